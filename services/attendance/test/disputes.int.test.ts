import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attendanceHarness, enrolled, group, mark, outboxEvents, world, type AttendanceHarness } from "./fixtures/attendance";

// The disputes to resolve (issue #18): a family disputes a mark; the municipality's official finds
// it on the municipality's list with the family's note, and resolves it by saying what the mark
// is, through the one write path of reviews (kept with who and when, announced as
// attendance.mark.reviewed). Another municipality's official neither sees nor resolves it.

interface DisputeView {
  lessonId: string;
  childId: string;
  date: string;
  start: string;
  status: string;
  disputedAt: string | null;
  note: string | null;
}

describe("disputed marks, resolved by the municipality", () => {
  let h: AttendanceHarness;
  beforeAll(async () => {
    h = await attendanceHarness("att-disputes", "2026-09-01T00:00:00Z");
  });
  afterAll(async () => h?.close());

  it("lists a family's dispute with its note, and the official's resolution ends it", async () => {
    const w = await world(h);
    const groupId = await group(h, w);
    const child = await enrolled(h, w, groupId);
    h.clock.set("2026-09-08T05:00:00Z");
    const marked = await mark(h, w, groupId, "2026-09-08T15:00", [{ childId: child.childId, status: "present" }]);
    expect(marked.statusCode, marked.body).toBe(200);
    const lessonId = marked.json<{ lessonId: string }>().lessonId;
    const disputedAt = new Date("2026-09-08T06:00:00Z");
    h.clock.set(disputedAt.toISOString());
    const disputed = await h.app.inject({ method: "POST", url: `/children/${child.childId}/mark-reviews`, headers: child.guardian, payload: { marks: [{ lessonId, decision: "dispute", note: "болел, не ходил" }] } });
    expect(disputed.statusCode, disputed.body).toBe(200);

    const official = await h.as({ role: "municipality", municipalityId: w.municipalityId });
    const list = async (headers = official, month = "2026-09") => h.app.inject({ method: "GET", url: `/municipalities/${w.municipalityId}/disputes?month=${month}`, headers });
    const found = await list();
    expect(found.statusCode, found.body).toBe(200);
    expect(found.json<DisputeView[]>()).toEqual([
      expect.objectContaining({ lessonId, childId: child.childId, date: "2026-09-08", start: "15:00", status: "present", disputedAt: disputedAt.toISOString(), note: "болел, не ходил" }),
    ]);
    expect((await list(official, "2026-10")).json()).toEqual([]);

    const neighbour = await h.as({ role: "municipality", municipalityId: randomUUID() });
    expect((await list(neighbour)).statusCode).toBe(403);
    expect((await list(w.provider)).statusCode).toBe(403);
    const foreign = await h.app.inject({ method: "POST", url: `/children/${child.childId}/mark-reviews`, headers: neighbour, payload: { marks: [{ lessonId, decision: "resolve", status: "absent" }] } });
    expect(foreign.statusCode).toBe(403);

    const resolved = await h.app.inject({ method: "POST", url: `/children/${child.childId}/mark-reviews`, headers: official, payload: { marks: [{ lessonId, decision: "resolve", status: "absent", note: "Журнал группы: отсутствовал" }] } });
    expect(resolved.statusCode, resolved.body).toBe(200);
    expect(resolved.json()).toEqual([{ lessonId, status: "absent", review: "resolved" }]);
    expect((await list()).json()).toEqual([]);
    const reviewed = (await outboxEvents<{ lessonId: string; review: string; status: string }>(h.pool, "attendance.mark.reviewed")).filter((e) => e.data.lessonId === lessonId).map((e) => e.data.review);
    expect(reviewed).toEqual(["disputed", "resolved"]);
  });
});
