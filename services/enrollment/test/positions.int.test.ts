import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { CertificateIssued, MunicipalityYearSet } from "@kruzhok/contracts";
import { DEV_AUTH_SECRET, type HttpApp } from "@kruzhok/http";
import { newEvent } from "@kruzhok/messaging";
import { createLogger } from "@kruzhok/observability";
import { withTransaction } from "@kruzhok/postgres";
import type { Siblings } from "@kruzhok/service";
import { buildEnrollmentApp } from "../src/app";
import { eventHandlers } from "../src/messaging/handlers";
import { PositionLookups } from "../src/usecases/positions";
import { apply, child, enrollmentHarness, flushOwnKeys, openGroup, world, type Auth, type EnrollmentHarness, type World } from "./fixtures/enrollment";

/** Two workers' sibling channels, joined as the primary joins them: what one tells, the other hears. */
function siblingPair(): [Siblings, Siblings] {
  const heard = [new Map<string, ((message: unknown) => void)[]>(), new Map<string, ((message: unknown) => void)[]>()] as const;
  const side = (own: 0 | 1): Siblings => ({
    tell: (topic, message) => {
      for (const handler of heard[own === 0 ? 1 : 0].get(topic) ?? []) handler(structuredClone(message));
    },
    on: (topic, handler) => void heard[own].set(topic, [...(heard[own].get(topic) ?? []), handler]),
  });
  return [side(0), side(1)];
}

// The position lookup's fast path: an application the process knows is authorized from what it
// knows and answered by Redis alone. These check that knowing an application never lets anyone
// else read it, and that a lost Redis set is copied whole again rather than answering from what
// was added since.
describe("position lookups from the Redis index", () => {
  let h: EnrollmentHarness;
  let w: World;
  beforeAll(async () => {
    h = await enrollmentHarness("enr-positions");
    w = await world(h);
    h.clock.set("2026-09-01T09:00:00Z");
  });
  afterAll(async () => {
    await h.close();
  });

  const lookup = (id: string, who: Auth) => h.app.inject({ method: "GET", url: `/applications/${id}/position`, headers: who });

  it("answers the family, the group's provider and the office, and refuses everyone else, also once the application is known", async () => {
    const { groupId } = await openGroup(h, w);
    const large = await child(h, w, { categories: ["large_family"] });
    const plain = await child(h, w);
    const firstId = (await apply(h, plain.guardian, plain.childId, groupId)).json<{ id: string }>().id;
    const res = await apply(h, large.guardian, large.childId, groupId);
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json<{ id: string }>().id;

    // Known since its submission: the family reads it from Redis.
    const own = await lookup(id, large.guardian);
    expect(own.statusCode, own.body).toBe(200);
    expect(own.json()).toMatchObject({ position: 1, total: 2, source: "redis", category: { code: "large_family", rank: 2, of: 4 }, inOwnCategory: null });
    expect(own.json<{ explanation: string }>().explanation).toBe(
      "Место в очереди: 1 из 2. Ваша льготная категория — многодетная семья (3-я из 4 в порядке муниципалитета). Впереди вас: 0 детей с более высокими категориями и 0 детей вашей категории с более ранним заявлением.",
    );
    expect((await lookup(firstId, plain.guardian)).json()).toMatchObject({
      position: 2,
      aheadWithHigherCategories: 1,
      // One child of a category: too few to show (special-categories.int.test.ts).
      aheadByCategory: [{ code: "large_family", ahead: null }],
      source: "redis",
    });

    // Another family of the same municipality: not its child.
    expect((await lookup(id, plain.guardian)).json()).toMatchObject({ status: 403, code: "ENROLLMENT.NOT_YOUR_CHILD" });
    // A guardian of another child asks for it by a guardian id of its own that was never checked.
    const stranger = await h.as({ role: "guardian", municipalityId: w.municipalityId, guardianId: randomUUID() });
    expect((await lookup(id, stranger)).json()).toMatchObject({ status: 403, code: "ENROLLMENT.NOT_YOUR_CHILD" });
    // Another provider of the same municipality: not its group.
    const otherProvider = await h.as({ role: "provider", municipalityId: w.municipalityId, providerId: randomUUID() });
    expect((await lookup(id, otherProvider)).json()).toMatchObject({ status: 403, code: "ENROLLMENT.NOT_YOUR_GROUP" });
    // Anyone of another municipality, the child's guardian id in someone else's token included.
    const other = await world(h);
    expect((await lookup(id, other.operator)).json()).toMatchObject({ status: 403, code: "AUTH.OTHER_MUNICIPALITY" });
    const elsewhere = await h.as({ role: "guardian", municipalityId: other.municipalityId, guardianId: large.guardianId });
    expect((await lookup(id, elsewhere)).json()).toMatchObject({ status: 403, code: "AUTH.OTHER_MUNICIPALITY" });
    // Roles that never see a family's position.
    expect((await lookup(id, w.region)).json()).toMatchObject({ status: 403, code: "AUTH.FORBIDDEN_ROLE" });
    // No token, or a forged one: refused like any other route.
    expect((await h.app.inject({ method: "GET", url: `/applications/${id}/position` })).json()).toMatchObject({ status: 401, code: "AUTH.UNAUTHENTICATED" });
    const forged = `${large.guardian.authorization.slice(0, -4)}AAAA`;
    expect((await lookup(id, { authorization: forged })).json()).toMatchObject({ status: 401, code: "AUTH.UNAUTHENTICATED" });

    // The group's provider and the office do.
    expect((await lookup(id, w.provider)).json()).toMatchObject({ position: 1, source: "redis" });
    expect((await lookup(id, w.operator)).json()).toMatchObject({ position: 1, source: "redis" });
    // The family still does, after all those refusals.
    expect((await lookup(id, large.guardian)).statusCode).toBe(200);
    // An application nobody has: 404.
    expect((await lookup(randomUUID(), large.guardian)).json()).toMatchObject({ status: 404, code: "ENROLLMENT.APPLICATION_NOT_FOUND" });
  });

  it("leaves an access line for one in n of a family's quick answers (each saying so), and for every refusal and slow answer", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const logger = createLogger({ service: "enrollment", level: "info" }, sink);
    const app = await buildEnrollmentApp({ pool: h.pool, clock: h.clock, queues: h.queues, positions: h.positions, logger, auth: { mode: "dev", secret: DEV_AUTH_SECRET }, positionAccessLogOneIn: 3 });
    try {
      const { groupId } = await openGroup(h, w);
      const k = await child(h, w);
      const id = (await apply(h, k.guardian, k.childId, groupId)).json<{ id: string }>().id;
      const asked = 10;
      for (let i = 0; i < asked; i++) expect((await app.inject({ method: "GET", url: `/applications/${id}/position`, headers: k.guardian })).statusCode).toBe(200);
      const refused = await app.inject({ method: "GET", url: `/applications/${id}/position`, headers: w.region });
      expect(refused.statusCode).toBe(403);
      const completed = lines.filter((line) => line.msg === "request completed" && line.route === "/applications/:id/position");
      // A slow answer (10 ms or more: a busy test machine) is always written and is no sample;
      // of the quick ones the first and every third are.
      const slow = completed.filter((line) => line.status === 200 && line.sampledOneIn === undefined);
      const sampled = completed.filter((line) => line.sampledOneIn === 3);
      expect(slow.every((line) => (line.ms as number) >= 10)).toBe(true);
      expect(sampled.every((line) => line.status === 200)).toBe(true);
      expect(sampled).toHaveLength(Math.ceil((asked - slow.length) / 3));
      expect(completed.filter((line) => line.status === 403)).toMatchObject([{ requestId: refused.headers["x-request-id"], role: "region" }]);
      expect(completed).toHaveLength(slow.length + sampled.length + 1);
    } finally {
      await app.close();
    }
  });

  it("copies a lost set whole before answering from it, also when a submission comes first", async () => {
    const { groupId } = await openGroup(h, w);
    const kids = [await child(h, w), await child(h, w), await child(h, w)];
    const ids: string[] = [];
    for (const k of kids.slice(0, 2)) ids.push((await apply(h, k.guardian, k.childId, groupId)).json<{ id: string }>().id);
    expect((await lookup(ids[1]!, kids[1]!.guardian)).json()).toMatchObject({ position: 2, total: 2 });

    // Redis loses everything; the next submission finds the set incomplete and copies the group.
    await flushOwnKeys(h);
    const third = await apply(h, kids[2]!.guardian, kids[2]!.childId, groupId);
    expect(third.statusCode, third.body).toBe(201);
    ids.push(third.json<{ id: string }>().id);
    expect(await h.queues.members(groupId)).toHaveLength(3);
    for (const [index, id] of ids.entries()) expect((await lookup(id, kids[index]!.guardian)).json()).toMatchObject({ position: index + 1, total: 3, source: "redis" });

    // Lost again with no submission after: the lookup copies the group before answering.
    await flushOwnKeys(h);
    expect((await lookup(ids[2]!, kids[2]!.guardian)).json()).toMatchObject({ position: 3, total: 3, source: "redis" });
    expect((await h.queues.members(groupId)).map((m) => m.split(":")[2])).toEqual(ids);
  });

  it("answers from Postgres when an application has left the queue", async () => {
    const { groupId } = await openGroup(h, w);
    const k = await child(h, w);
    const id = (await apply(h, k.guardian, k.childId, groupId)).json<{ id: string }>().id;
    expect((await lookup(id, k.guardian)).statusCode).toBe(200);
    const withdrawn = await h.app.inject({ method: "POST", url: `/applications/${id}/withdrawal`, headers: k.guardian });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    expect((await lookup(id, k.guardian)).json()).toMatchObject({ status: 409, code: "ENROLLMENT.APPLICATION_NOT_IN_QUEUE" });
  });

  it("words the position with the new year's categories from the municipality's midnight, within the cache's lifetime", async () => {
    const { groupId } = await openGroup(h, w);
    const k = await child(h, w, { categories: ["large_family"] });
    const id = (await apply(h, k.guardian, k.childId, groupId)).json<{ id: string }>().id;
    await h.deliver(MunicipalityYearSet, { municipalityId: w.municipalityId, aggregateId: `${w.municipalityId}:2027` }, {
      year: 2027,
      currency: "RUB",
      nominal: 1_500_000,
      budget: 3_000_000_000,
      financedCap: 1000,
      childrenPopulation: 20_000,
      categories: [{ code: "large_family", coefficient: 1 }, { code: "orphan", coefficient: 1 }],
      maxOpenApplications: 3,
      deadlines: { offerAcceptanceDays: 3, providerReviewWorkingDays: 3, monthCloseDay: 5 },
    });
    try {
      // Kamchatka is UTC+12: its 2027 begins at noon of 31 December in UTC, 20 s between the two lookups.
      h.clock.set("2026-12-31T11:59:50Z");
      expect((await lookup(id, k.guardian)).json()).toMatchObject({ source: "redis", category: { code: "large_family", of: 4 } });
      h.clock.set("2026-12-31T12:00:10Z");
      expect((await lookup(id, k.guardian)).json()).toMatchObject({ source: "redis", category: { code: "large_family", of: 2 } });
    } finally {
      h.clock.set("2026-09-01T09:00:00Z");
    }
  });

  it("forgets a guardianship that ended, in the worker whose consumer saw it and in its sibling", async () => {
    // Two workers of one service, as main.ts wires each: the app and the consumers share the
    // process's position lookups, and the lookups hear their sibling's.
    const logger = createLogger({ service: "enrollment", level: "silent" });
    const [toB, toA] = siblingPair();
    const workers: { app: HttpApp; positions: PositionLookups }[] = [];
    for (const siblings of [toB, toA]) {
      const positions = new PositionLookups(h.pool, h.queues, { siblings });
      const app = await buildEnrollmentApp({ pool: h.pool, clock: h.clock, queues: h.queues, positions, siblings, logger, auth: { mode: "dev", secret: DEV_AUTH_SECRET } });
      await app.ready();
      workers.push({ app, positions });
    }
    const [a, b] = workers as [(typeof workers)[0], (typeof workers)[0]];
    const handlersOfA = eventHandlers({ clock: h.clock, positions: a.positions });
    try {
      const { groupId } = await openGroup(h, w);
      const k = await child(h, w);
      const submitted = await a.app.inject({ method: "POST", url: "/applications", headers: k.guardian, payload: { childId: k.childId, groupId } });
      expect(submitted.statusCode, submitted.body).toBe(201);
      const id = submitted.json<{ id: string }>().id;
      const lookupAt = (worker: { app: HttpApp }) => worker.app.inject({ method: "GET", url: `/applications/${id}/position`, headers: k.guardian });
      // B learnt the application and its guardian from A: it answers from Redis alone.
      expect(b.positions.isKnownGuardian(k.guardianId, k.childId)).toBe(true);
      expect((await lookupAt(b)).json()).toMatchObject({ position: 1, source: "redis" });

      // The registry announces the child's certificate again with another guardian only; A's consumer applies it.
      const certificate = (await h.pool.query<{ id: string; number: string }>("SELECT id, number FROM certificates WHERE child_id = $1", [k.childId])).rows[0]!;
      const data: z.input<typeof CertificateIssued.data> = {
        certificateId: certificate.id,
        number: certificate.number,
        childId: k.childId,
        birthYear: 2016,
        ageBand: "7-10",
        categories: [],
        funding: "accounting",
        guardianIds: [randomUUID()],
      };
      const event = newEvent(CertificateIssued, { municipalityId: w.municipalityId, aggregateId: certificate.id }, data, h.clock());
      const issued = handlersOfA.find((handler) => handler.contract.type === CertificateIssued.type)!;
      await withTransaction(h.pool, (tx) => issued.handle(event, { tx, logger }));

      // Neither worker lets the former guardian read the position any more, nor remembers a check made before the change.
      for (const worker of [a, b]) {
        expect(worker.positions.isKnownGuardian(k.guardianId, k.childId)).toBe(false);
        expect((await lookupAt(worker)).json()).toMatchObject({ status: 403, code: "ENROLLMENT.NOT_YOUR_CHILD" });
        worker.positions.rememberGuardian(k.guardianId, k.childId);
        expect(worker.positions.isKnownGuardian(k.guardianId, k.childId)).toBe(false);
      }
    } finally {
      for (const worker of workers) await worker.app.close();
    }
  });
});
