import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnrollmentEnded, EnrollmentStarted, ProviderApproved, ProviderSuspended } from "@kruzhok/contracts";
import {
  approvedProvider,
  catalogueHarness,
  counts,
  createGroup,
  createProgram,
  groupBody,
  outboxEvents,
  publish,
  world,
  type CatalogueHarness,
  type World,
} from "./fixtures/catalogue";

type Problem = { code: string; status: number; invalidParams?: { name: string }[] };
type GroupView = { id: string; capacity: number; freeSeats: number; activeEnrollments: number; acceptingApplications: boolean; status: string };

describe("groups: schedules, seats, and a suspended provider", () => {
  let h: CatalogueHarness;
  let w: World;
  beforeAll(async () => {
    h = await catalogueHarness("cat-groups");
    w = await world(h);
  });
  afterAll(async () => {
    await h.close();
  });

  const getGroup = async (id: string) => (await h.app.inject({ method: "GET", url: `/groups/${id}` })).json<GroupView>();

  it("opens a draft's groups when the program is published, with the schedule's zone, capacity, price, funding and ages", async () => {
    const programId = await createProgram(h, w);
    const groupId = await createGroup(h, w, programId);
    expect((await outboxEvents(h.pool, "catalogue.group.opened")).map((e) => e.aggregateId)).not.toContain(groupId);
    await publish(h, w, programId);
    const opened = (await outboxEvents(h.pool, "catalogue.group.opened")).find((e) => e.aggregateId === groupId);
    expect(opened?.municipalityId).toBe(w.municipalityId);
    expect(opened?.data).toEqual({
      groupId,
      programId,
      providerId: w.providerId,
      capacity: 12,
      schedule: { timeZone: "Asia/Kamchatka", slots: [{ weekday: 2, start: "15:00", end: "16:30" }, { weekday: 4, start: "15:00", end: "16:30" }] },
      startsOn: "2026-09-15",
      endsOn: "2027-05-31",
      exceptions: [{ date: "2026-11-04", kind: "holiday", note: "День народного единства" }],
      direction: "technical",
      ageRange: { min: 8, max: 14 },
      pricePerHour: 25_000,
      currency: "RUB",
      fundingKind: "financed",
      certificationExpiresOn: "2027-01-15",
      acceptingApplications: true,
    });
    // A group added to a published program is announced at once.
    const later = await createGroup(h, w, programId, { capacity: 8 });
    expect((await outboxEvents(h.pool, "catalogue.group.opened")).map((e) => e.aggregateId)).toContain(later);
  });

  it("refuses overlapping slots, naming the slot, and a schedule in an invalid or foreign zone; writes nothing", async () => {
    const programId = await createProgram(h, w);
    const before = await counts(h.pool);
    const post = (overrides: Record<string, unknown>) =>
      h.app.inject({ method: "POST", url: `/programs/${programId}/groups`, headers: w.provider, payload: groupBody(overrides) });
    const overlap = await post({
      schedule: { timeZone: "Asia/Kamchatka", slots: [{ weekday: 3, start: "16:00", end: "17:30" }, { weekday: 1, start: "10:00", end: "11:00" }, { weekday: 3, start: "17:00", end: "18:00" }] },
    });
    expect(overlap.json<Problem>()).toMatchObject({ status: 422, code: "CATALOGUE.SLOTS_OVERLAP", invalidParams: [{ name: "body.schedule.slots.2" }] });
    const inverted = await post({ schedule: { timeZone: "Asia/Kamchatka", slots: [{ weekday: 3, start: "18:00", end: "17:00" }] } });
    expect(inverted.json<Problem>()).toMatchObject({ status: 422, code: "CATALOGUE.SLOT_INVERTED", invalidParams: [{ name: "body.schedule.slots.0.end" }] });
    const invalidZone = await post({ schedule: { timeZone: "Mars/Olympus_Mons", slots: [{ weekday: 1, start: "10:00", end: "11:00" }] } });
    expect(invalidZone.json<Problem>()).toMatchObject({ status: 400, code: "HTTP.VALIDATION", invalidParams: [{ name: "body.schedule.timeZone" }] });
    const offset = await post({ schedule: { timeZone: "+12:00", slots: [{ weekday: 1, start: "10:00", end: "11:00" }] } });
    expect(offset.json<Problem>()).toMatchObject({ status: 400, invalidParams: [{ name: "body.schedule.timeZone" }] });
    const foreignZone = await post({ schedule: { timeZone: "Europe/Moscow", slots: [{ weekday: 1, start: "10:00", end: "11:00" }] } });
    expect(foreignZone.json<Problem>()).toMatchObject({ status: 422, code: "CATALOGUE.SCHEDULE_ZONE_MISMATCH", invalidParams: [{ name: "body.schedule.timeZone" }] });
    const badTime = await post({ schedule: { timeZone: "Asia/Kamchatka", slots: [{ weekday: 8, start: "25:00", end: "11:00" }] } });
    expect(badTime.json<Problem>().invalidParams?.map((p) => p.name).sort()).toEqual(["body.schedule.slots.0.start", "body.schedule.slots.0.weekday"]);
    const dates = await post({ startsOn: "2027-06-01", endsOn: "2027-05-31", exceptions: [] });
    expect(dates.json<Problem>()).toMatchObject({ status: 422, code: "CATALOGUE.GROUP_DATES_INVERTED" });
    const exception = await post({ exceptions: [{ date: "2028-01-01", kind: "cancelled", note: null }] });
    expect(exception.json<Problem>()).toMatchObject({ status: 422, code: "CATALOGUE.EXCEPTION_OUTSIDE_GROUP", invalidParams: [{ name: "body.exceptions.0.date" }] });
    expect(await counts(h.pool)).toEqual(before);
  });

  it("keeps free seats as capacity minus active enrollments from enrollment events, counting each once", async () => {
    const programId = await createProgram(h, w);
    const groupId = await createGroup(h, w, programId, { capacity: 2 });
    await publish(h, w, programId);
    const enrollment = () => ({ enrollmentId: randomUUID(), groupId, programId, childId: randomUUID() });
    const first = enrollment();
    const second = enrollment();
    const origin = (e: { enrollmentId: string }) => ({ municipalityId: w.municipalityId, aggregateId: e.enrollmentId });
    await h.deliver(EnrollmentStarted, origin(first), first);
    await h.deliver(EnrollmentStarted, origin(first), first); // a redelivery under a new event id
    expect(await getGroup(groupId)).toMatchObject({ capacity: 2, activeEnrollments: 1, freeSeats: 1 });
    await h.deliver(EnrollmentStarted, origin(second), second);
    expect(await getGroup(groupId)).toMatchObject({ freeSeats: 0 });

    // Capacity cannot drop below the seats taken.
    const lower = await h.app.inject({ method: "PUT", url: `/groups/${groupId}`, headers: w.provider, payload: groupBody({ capacity: 1 }) });
    expect(lower.json<Problem>()).toMatchObject({ status: 409, code: "CATALOGUE.CAPACITY_BELOW_ENROLLED", invalidParams: [{ name: "body.capacity" }] });

    await h.deliver(EnrollmentEnded, origin(first), { ...first, reason: "withdrawn" });
    await h.deliver(EnrollmentEnded, origin(first), { ...first, reason: "withdrawn" });
    expect(await getGroup(groupId)).toMatchObject({ activeEnrollments: 1, freeSeats: 1 });

    const raised = await h.app.inject({ method: "PUT", url: `/groups/${groupId}`, headers: w.provider, payload: groupBody({ capacity: 5 }) });
    expect(raised.json()).toMatchObject({ capacity: 5, freeSeats: 4 });
    const updated = (await outboxEvents<{ capacity: number; reason: string }>(h.pool, "catalogue.group.updated")).filter((e) => e.aggregateId === groupId);
    expect(updated.map((e) => [e.data.capacity, e.data.reason])).toEqual([[5, "edited"]]);
  });

  it("closes a group: announced, no longer accepting, and closed groups take no edits", async () => {
    const programId = await createProgram(h, w);
    const groupId = await createGroup(h, w, programId);
    await publish(h, w, programId);
    const closed = await h.app.inject({ method: "POST", url: `/groups/${groupId}/closure`, headers: w.provider });
    expect(closed.json()).toMatchObject({ status: "closed", acceptingApplications: false });
    expect((await outboxEvents(h.pool, "catalogue.group.closed")).find((e) => e.aggregateId === groupId)?.data).toMatchObject({ reason: "closed" });
    const edit = await h.app.inject({ method: "PUT", url: `/groups/${groupId}`, headers: w.provider, payload: groupBody() });
    expect(edit.json<Problem>()).toMatchObject({ status: 409, code: "CATALOGUE.GROUP_CLOSED" });
  });

  it("stops a suspended provider's groups taking applications at once and hides its programs; reinstatement restores both", async () => {
    const providerId = await approvedProvider(h, w.municipalityId, "ЧОУ «Шахматная школа»");
    const provider = await h.as({ role: "provider", municipalityId: w.municipalityId, providerId });
    const own: World = { municipalityId: w.municipalityId, providerId, provider };
    const programId = await createProgram(h, own, { title: "Шахматы для начинающих", direction: "physical_culture_and_sports" });
    const groupId = await createGroup(h, own, programId);
    await publish(h, own, programId);
    const listed = async () =>
      (await h.app.inject({ method: "GET", url: `/search?municipalityId=${w.municipalityId}&q=шахматы` })).json<{ items: { id: string }[] }>().items.map((i) => i.id);
    expect(await listed()).toContain(programId);

    const suspension = { municipalityId: w.municipalityId, aggregateId: providerId };
    await h.deliver(ProviderSuspended, suspension, { providerId, kind: "private", name: "ЧОУ «Шахматная школа»", reason: "complaint" });
    expect(await listed()).not.toContain(programId);
    expect((await h.app.inject({ method: "GET", url: `/groups/${groupId}`, headers: provider })).json()).toMatchObject({ acceptingApplications: false });
    const stop = (await outboxEvents<{ acceptingApplications: boolean; reason: string }>(h.pool, "catalogue.group.updated")).filter((e) => e.aggregateId === groupId);
    expect(stop.map((e) => [e.data.reason, e.data.acceptingApplications])).toEqual([["provider_suspended", false]]);

    await h.deliver(ProviderApproved, suspension, { providerId, kind: "private", name: "ЧОУ «Шахматная школа»" });
    expect(await listed()).toContain(programId);
    expect(await getGroup(groupId)).toMatchObject({ acceptingApplications: true });
    const back = (await outboxEvents<{ acceptingApplications: boolean; reason: string }>(h.pool, "catalogue.group.updated")).filter((e) => e.aggregateId === groupId);
    expect(back.map((e) => [e.data.reason, e.data.acceptingApplications])).toEqual([["provider_suspended", false], ["provider_reinstated", true]]);
  });

  it("shows a financed group as not accepting once its certification has expired in the municipality's zone", async () => {
    const programId = await createProgram(h, w, { certification: { number: "НОК-3", date: "2025-01-01", expiry: "2026-12-31" } });
    const groupId = await createGroup(h, w, programId);
    await publish(h, w, programId);
    h.clock.set("2026-12-31T11:59:00Z"); // 23:59 on 31 December in Kamchatka
    try {
      expect(await getGroup(groupId)).toMatchObject({ acceptingApplications: true });
      h.clock.set("2026-12-31T12:00:00Z"); // midnight, 1 January in Kamchatka
      expect(await getGroup(groupId)).toMatchObject({ acceptingApplications: false });
    } finally {
      h.clock.set("2026-09-01T09:00:00Z");
    }
  });
});
