import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnrollmentEnded, EnrollmentStarted, GroupClosed, GroupOpened, GroupUpdated, MunicipalityCreated, Topics, type EventContract } from "@kruzhok/contracts";
import { createKafka, newEvent, sendToTopic, type Kafka } from "@kruzhok/messaging";
import type { RunningConsumer } from "@kruzhok/testkit";
import type { z } from "zod";
import { attendanceHarness, slots, type AttendanceHarness } from "./fixtures/attendance";

// The projections through the real broker: municipalities, groups and enrollments as their
// services announce them, whatever order the events come in and however often.

describe("registry, catalogue and enrollment events through Kafka into attendance", () => {
  let h: AttendanceHarness;
  let consumer: RunningConsumer;
  let kafka: Kafka;
  const topics = { registry: "", catalogue: "", enrollment: "" };
  const municipalityId = randomUUID();
  const providerId = randomUUID();

  beforeAll(async () => {
    h = await attendanceHarness("att-messaging");
    topics.registry = h.iso.topic("registry");
    topics.catalogue = h.iso.topic("catalogue");
    topics.enrollment = h.iso.topic("enrollment");
    // One partition each: "the event after it was handled" then proves the earlier ones were.
    consumer = await h.consume(Object.values(topics).map((topic) => ({ topic, partitions: 1 })));
    kafka = createKafka({ brokers: h.iso.kafkaBrokers, clientId: `${h.iso.id}-test` });
  });
  afterAll(async () => h?.close());

  const topicOf = (contract: EventContract) =>
    contract.topic === Topics.registry ? topics.registry : contract.topic === Topics.catalogue ? topics.catalogue : topics.enrollment;
  async function publish<C extends EventContract>(contract: C, aggregateId: string, data: z.input<C["data"]>, at: string, id?: string): Promise<string> {
    const event = newEvent(contract, { municipalityId, aggregateId }, data, new Date(at), id);
    await sendToTopic(kafka, topicOf(contract), [{ key: aggregateId, value: JSON.stringify(event) }]);
    return event.id;
  }
  const groupData = (groupId: string, overrides: Record<string, unknown> = {}) => ({
    groupId,
    programId: randomUUID(),
    providerId,
    capacity: 15,
    schedule: { timeZone: "Europe/Moscow", slots },
    startsOn: "2026-09-01",
    endsOn: "2027-05-31",
    exceptions: [],
    direction: "arts" as const,
    ageRange: { min: 7, max: 14 },
    pricePerHour: 20_000,
    currency: "RUB" as const,
    fundingKind: "financed" as const,
    certificationExpiresOn: null,
    acceptingApplications: true,
    ...overrides,
  });
  const enrollment = async (id: string) =>
    (
      await h.pool.query<{ startedAt: Date | null; endedAt: Date | null }>(`SELECT started_at AS "startedAt", ended_at AS "endedAt" FROM enrollments WHERE id = $1`, [id])
    ).rows[0];

  it("keeps a municipality's zone and a group's schedule; an older snapshot arriving late changes nothing", async () => {
    const created = await publish(MunicipalityCreated, municipalityId, { municipalityId, code: "1101", name: "Сыктывкар", regionCode: "11", timeZone: "Europe/Moscow", currency: "RUB" }, "2026-08-01T00:00:00Z");
    const groupId = randomUUID();
    const opened = await publish(GroupOpened, groupId, groupData(groupId), "2026-08-10T00:00:00Z");
    const edited = await publish(GroupUpdated, groupId, { ...groupData(groupId, { schedule: { timeZone: "Europe/Moscow", slots: [{ weekday: 1, start: "10:00", end: "11:00" }] } }), reason: "edited" }, "2026-08-12T00:00:00Z");
    // An update from before the edit, delivered after it.
    const stale = await publish(GroupUpdated, groupId, { ...groupData(groupId), reason: "edited" }, "2026-08-11T00:00:00Z");
    for (const id of [created, opened, edited, stale]) expect(await consumer.handled(id)).toBe("applied");
    const { rows } = await h.pool.query<{ slots: unknown; timeZone: string }>(`SELECT slots, time_zone AS "timeZone" FROM groups WHERE id = $1`, [groupId]);
    expect(rows[0]).toEqual({ slots: [{ weekday: 1, start: "10:00", end: "11:00" }], timeZone: "Europe/Moscow" });
    expect((await h.pool.query(`SELECT time_zone FROM municipalities WHERE id = $1`, [municipalityId])).rows[0]).toEqual({ time_zone: "Europe/Moscow" });

    const closed = await publish(GroupClosed, groupId, { groupId, programId: randomUUID(), providerId, reason: "closed" }, "2026-12-20T09:00:00Z");
    expect(await consumer.handled(closed)).toBe("applied");
    expect((await h.pool.query(`SELECT closed_at FROM groups WHERE id = $1`, [groupId])).rows[0]).toEqual({ closed_at: new Date("2026-12-20T09:00:00Z") });
  });

  it("applies a replayed enrollment event once, and a start replayed after the end does not put the child back", async () => {
    const enrollmentId = randomUUID();
    const ref = { enrollmentId, groupId: randomUUID(), programId: randomUUID(), childId: randomUUID() };
    const started = await publish(EnrollmentStarted, enrollmentId, ref, "2026-09-01T08:00:00Z");
    expect(await consumer.handled(started)).toBe("applied");
    // The same event again (a redelivery): skipped by the inbox.
    await publish(EnrollmentStarted, enrollmentId, ref, "2026-09-01T08:00:00Z", started);
    const ended = await publish(EnrollmentEnded, enrollmentId, { ...ref, reason: "expelled" }, "2026-10-15T08:00:00Z");
    expect(await consumer.handled(ended)).toBe("applied");
    // The start published again as a new event (a producer replaying its outbox): the end stays.
    const replayed = await publish(EnrollmentStarted, enrollmentId, ref, "2026-10-20T08:00:00Z");
    expect(await consumer.handled(replayed)).toBe("applied");
    expect(await enrollment(enrollmentId)).toEqual({ startedAt: new Date("2026-09-01T08:00:00Z"), endedAt: new Date("2026-10-15T08:00:00Z") });
    const inbox = await h.pool.query(`SELECT count(*)::int AS n FROM inbox WHERE event_id = $1`, [started]);
    expect(inbox.rows[0]).toEqual({ n: 1 });
  });

  it("keeps an end that arrives before its start (out of order): the child is never on the roster after it", async () => {
    const enrollmentId = randomUUID();
    const ref = { enrollmentId, groupId: randomUUID(), programId: randomUUID(), childId: randomUUID() };
    const ended = await publish(EnrollmentEnded, enrollmentId, { ...ref, reason: "withdrawn" }, "2026-11-10T08:00:00Z");
    expect(await consumer.handled(ended)).toBe("applied");
    expect(await enrollment(enrollmentId)).toEqual({ startedAt: null, endedAt: new Date("2026-11-10T08:00:00Z") });
    const started = await publish(EnrollmentStarted, enrollmentId, ref, "2026-09-05T08:00:00Z");
    expect(await consumer.handled(started)).toBe("applied");
    expect(await enrollment(enrollmentId)).toEqual({ startedAt: new Date("2026-09-05T08:00:00Z"), endedAt: new Date("2026-11-10T08:00:00Z") });
  });

  it("sends a malformed group event to the dead-letter topic and moves on", async () => {
    const groupId = randomUUID();
    const poison = newEvent(GroupOpened, { municipalityId, aggregateId: groupId }, groupData(groupId), new Date());
    await sendToTopic(kafka, topics.catalogue, [{ key: groupId, value: JSON.stringify({ ...poison, data: { ...poison.data, schedule: { timeZone: "+12:00", slots: "tuesdays" } } }) }]);
    const next = randomUUID();
    const after = await publish(GroupOpened, next, groupData(next), new Date().toISOString());
    expect(await consumer.handled(after, "the event after the poison one")).toBe("applied");
    expect(await consumer.handled(poison.id)).toBe("dead_lettered");
    expect((await h.pool.query(`SELECT 1 FROM groups WHERE id = $1`, [groupId])).rowCount).toBe(0);
  });
});
