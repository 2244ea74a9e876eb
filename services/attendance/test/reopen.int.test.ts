import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attendanceHarness, enrolled, group, world, type AttendanceHarness } from "./fixtures/attendance";

// The municipality reopens a closed month saying why (issue #18): the reason is kept with the
// month and shown with its state; a reason too short to say anything is refused, naming the field.

describe("a month reopened with its reason", () => {
  let h: AttendanceHarness;
  beforeAll(async () => {
    h = await attendanceHarness("att-reopen", "2026-09-01T00:00:00Z");
  });
  afterAll(async () => h?.close());

  it("keeps the reason and shows it with the month's state", async () => {
    const w = await world(h);
    await enrolled(h, w, await group(h, w));
    const official = await h.as({ role: "municipality", municipalityId: w.municipalityId });
    const at = (path: string) => `/municipalities/${w.municipalityId}/months/2026-09${path}`;
    h.clock.set("2026-10-02T00:00:00Z");
    const closed = await h.app.inject({ method: "POST", url: at("/close"), headers: official });
    expect(closed.statusCode, closed.body).toBe(200);

    const short = await h.app.inject({ method: "POST", url: at("/reopen"), headers: official, payload: { reason: "да" } });
    expect(short.statusCode).toBe(400);
    expect(short.json()).toMatchObject({ invalidParams: [{ name: "body.reason" }] });
    expect((await h.app.inject({ method: "GET", url: at("/summaries"), headers: official })).json()).toMatchObject({ status: "closed", reopenReason: null });

    const reopened = await h.app.inject({ method: "POST", url: at("/reopen"), headers: official, payload: { reason: "Жалоба семьи на отметку 8 сентября" } });
    expect(reopened.statusCode, reopened.body).toBe(200);
    const state = (await h.app.inject({ method: "GET", url: at("/summaries"), headers: official })).json<{ status: string; version: number; reopenReason: string; reopenedAt: string; closedAt: string }>();
    expect(state).toMatchObject({ status: "reopened", version: 1, reopenReason: "Жалоба семьи на отметку 8 сентября", reopenedAt: "2026-10-02T00:00:00.000Z" });
  });
});
