import { request as httpRequest, type IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_AUTH_SECRET, type HttpApp } from "@kruzhok/http";
import { createLogger } from "@kruzhok/observability";
import { createRedisClient } from "@kruzhok/service";
import { buildEnrollmentApp } from "../src/app";
import { QueueIndex } from "../src/store/queue-index";
import { PositionLookups } from "../src/usecases/positions";
import { waitFor } from "@kruzhok/testkit";
import { apply, child, enrollmentHarness, openGroup, world, type Auth, type EnrollmentHarness, type World } from "./fixtures/enrollment";

interface StreamEvent {
  event: string;
  data: Record<string, unknown>;
}

/** An open Server-Sent Events response, its events as they come. */
class Stream {
  readonly events: StreamEvent[] = [];
  ended = false;
  private buffer = "";
  private waiters: (() => void)[] = [];

  constructor(readonly response: IncomingMessage) {
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf("\n\n")) >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const event = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (event && data) this.events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
      }
      this.wake();
    });
    response.on("end", () => {
      this.ended = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** The `n`th event (1-based), waiting up to 5 s for it. */
  async nth(n: number): Promise<StreamEvent> {
    const deadline = Date.now() + 5_000;
    while (this.events.length < n) {
      if (this.ended || Date.now() > deadline) throw new Error(`stream has ${this.events.length} events, not ${n}${this.ended ? " and ended" : ""}: ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    return this.events[n - 1]!;
  }

  close(): void {
    this.response.destroy();
  }
}

// The position stream (issue 19): a waiting family subscribes to its place in the queue and is
// told only when it changes, whoever changed the queue; it is refused to whoever may not read the
// position, as the lookup is. Real Postgres and Redis (its pub/sub carries the queue changes).
describe("the position stream (Server-Sent Events)", () => {
  let h: EnrollmentHarness;
  let w: World;
  let app: HttpApp;
  let base = "";
  let production: ReturnType<typeof createRedisClient> | undefined;
  let positions: PositionLookups;
  beforeAll(async () => {
    h = await enrollmentHarness("enr-position-stream");
    w = await world(h);
    h.clock.set("2026-09-01T09:00:00Z");
    // Its own app, listening (a stream never ends, so inject cannot read it), over the harness's
    // queue keys through a client made as the service makes its own (no offline queue).
    production = createRedisClient(h.iso.redisUrl, { logger: createLogger({ service: "enrollment", level: "silent" }), commandTimeoutMs: 2_000 });
    await production.connected(5_000);
    const queues = new QueueIndex(production.redis, h.iso.redisPrefix);
    app = await buildEnrollmentApp({
      pool: h.pool,
      clock: h.clock,
      queues,
      positions: (positions = new PositionLookups(h.pool, queues)),
      logger: createLogger({ service: "enrollment", level: "silent" }),
      auth: { mode: "dev", secret: DEV_AUTH_SECRET },
      positionStreams: { coalesceMs: 50 },
      // Shorter than the test's pauses: a stream outlives the app's handler timeout.
      timeouts: { handlerMs: 300 },
    });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    production?.redis.disconnect();
    await h?.close();
  });

  const open = (id: string, who: Auth): Promise<{ status: number; stream: Stream }> =>
    new Promise((resolve, reject) => {
      const req = httpRequest(`${base}/applications/${id}/position/stream`, { headers: { ...who, "accept-language": "ru" } }, (response) => {
        resolve({ status: response.statusCode ?? 0, stream: new Stream(response) });
      });
      req.on("error", reject);
      req.end();
    });
  const problemOf = (id: string, who: Auth) => h.app.inject({ method: "GET", url: `/applications/${id}/position/stream`, headers: who });

  it("answers a lookup again from the counts it kept, until the group's queue changes in any process", async () => {
    const { groupId } = await openGroup(h, w);
    const first = await child(h, w);
    const res = await apply(h, first.guardian, first.childId, groupId);
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json<{ id: string }>().id;
    const ask = async () => {
      const answer = await fetch(`${base}/applications/${id}/position`, { headers: first.guardian });
      expect(answer.status).toBe(200);
      return (await answer.json()) as { position: number; total: number };
    };
    // Once the app hears the queue changes (it subscribes when it starts), a second lookup needs no Redis.
    await waitFor(async () => {
      await ask();
      const kept = positions.countHits.kept;
      expect(await ask()).toMatchObject({ position: 1, total: 1 });
      return positions.countHits.kept === kept + 1 ? true : undefined;
    }, { what: "a lookup answered from the kept counts" });

    // Another process (the harness's own app, its own queue index) adds a child behind: heard
    // through Redis, the next lookup asks again and tells the longer queue.
    const behind = await child(h, w);
    expect((await apply(h, behind.guardian, behind.childId, groupId)).statusCode).toBe(201);
    await waitFor(async () => ((await ask()).total === 2 ? true : undefined), { what: "the longer queue" });
    expect(await ask()).toMatchObject({ position: 1, total: 2 });

    // While the changes cannot be heard, nothing is kept: every lookup asks Redis.
    positions.hearingChanges(false);
    const asked = positions.countHits.asked;
    await ask();
    await ask();
    expect(positions.countHits.asked).toBe(asked);
    positions.hearingChanges(true);
  });

  it("sends the place at once, then again only when it changes, and `left` when the application leaves the queue", async () => {
    const { groupId } = await openGroup(h, w);
    const { groupId: otherGroup } = await openGroup(h, w);
    const first = await child(h, w);
    const res = await apply(h, first.guardian, first.childId, groupId);
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json<{ id: string }>().id;

    const { status, stream } = await open(id, first.guardian);
    expect(status).toBe(200);
    expect(stream.response.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    expect(await stream.nth(1)).toMatchObject({ event: "position", data: { applicationId: id, position: 1, total: 1 } });
    // Longer than the app's handler timeout (300 ms here, 60 s in production): still open.
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(stream.ended).toBe(false);

    // Someone applies behind: the place is the same, the queue longer: told.
    const behind = await child(h, w);
    expect((await apply(h, behind.guardian, behind.childId, groupId)).statusCode).toBe(201);
    expect(await stream.nth(2)).toMatchObject({ event: "position", data: { position: 1, total: 2 } });

    // Another group's queue changes: nothing is sent.
    const elsewhere = await child(h, w);
    expect((await apply(h, elsewhere.guardian, elsewhere.childId, otherGroup)).statusCode).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(stream.events).toHaveLength(2);

    // A child of a priority category applies: it goes ahead, and the family is told its new place in words.
    const large = await child(h, w, { categories: ["large_family"] });
    expect((await apply(h, large.guardian, large.childId, groupId)).statusCode).toBe(201);
    const moved = await stream.nth(3);
    expect(moved).toMatchObject({ event: "position", data: { position: 2, total: 3 } });
    expect(moved.data.explanation).toMatch(/^Место в очереди: 2 из 3\./);

    // The child ahead withdraws (a change copied to Redis whole, by the route before it answers): moved up.
    const largeId = (await h.pool.query<{ id: string }>("SELECT id FROM applications WHERE child_id = $1", [large.childId])).rows[0]!.id;
    const withdrawn = await h.app.inject({ method: "POST", url: `/applications/${largeId}/withdrawal`, headers: large.guardian });
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    await h.sync();
    expect(await stream.nth(4)).toMatchObject({ event: "position", data: { position: 1, total: 2 } });

    // The family withdraws its own: the stream says so and ends.
    expect((await h.app.inject({ method: "POST", url: `/applications/${id}/withdrawal`, headers: first.guardian })).statusCode).toBe(200);
    await h.sync();
    expect(await stream.nth(5)).toMatchObject({ event: "left", data: { code: "ENROLLMENT.APPLICATION_NOT_IN_QUEUE" } });
    await expect.poll(() => stream.ended).toBe(true);
    expect(stream.events).toHaveLength(5);
  });

  it("is refused, as the lookup is, to another family, another municipality's office and the region, and says so for an unknown application", async () => {
    const { groupId } = await openGroup(h, w);
    const k = await child(h, w);
    const id = (await apply(h, k.guardian, k.childId, groupId)).json<{ id: string }>().id;
    const stranger = await child(h, w);
    const otherOffice = await h.as({ role: "operator", municipalityId: "00000000-0000-4000-8000-000000000001" });
    for (const [who, code] of [
      [stranger.guardian, "ENROLLMENT.NOT_YOUR_CHILD"],
      [otherOffice, "AUTH.OTHER_MUNICIPALITY"],
      [w.region, "AUTH.FORBIDDEN_ROLE"],
    ] as const) {
      const refused = await problemOf(id, who);
      expect(refused.statusCode, refused.body).toBe(403);
      expect(refused.json()).toMatchObject({ code });
    }
    const missing = await problemOf("00000000-0000-4000-8000-0000000000ff", k.guardian);
    expect(missing.json()).toMatchObject({ status: 404, code: "ENROLLMENT.APPLICATION_NOT_FOUND" });
    const anonymous = await h.app.inject({ method: "GET", url: `/applications/${id}/position/stream` });
    expect(anonymous.statusCode).toBe(401);

    // The office of the child's municipality may watch it too.
    const office = await open(id, w.operator);
    expect(office.status).toBe(200);
    expect(await office.stream.nth(1)).toMatchObject({ event: "position", data: { applicationId: id, position: 1 } });
    office.stream.close();
  });

  it("ends the open streams when the service closes, so that a deploy does not wait for families to leave", async () => {
    const own = await buildEnrollmentApp({
      pool: h.pool,
      clock: h.clock,
      queues: h.queues,
      positions: h.positions,
      logger: createLogger({ service: "enrollment", level: "silent" }),
      auth: { mode: "dev", secret: DEV_AUTH_SECRET },
    });
    const url = await own.listen({ host: "127.0.0.1", port: 0 });
    const { groupId } = await openGroup(h, w);
    const k = await child(h, w);
    const id = (await apply(h, k.guardian, k.childId, groupId)).json<{ id: string }>().id;
    const stream = await new Promise<Stream>((resolve, reject) => {
      httpRequest(`${url}/applications/${id}/position/stream`, { headers: k.guardian }, (response) => resolve(new Stream(response)))
        .on("error", reject)
        .end();
    });
    expect(await stream.nth(1)).toMatchObject({ event: "position" });
    const closing = own.close();
    await expect.poll(() => stream.ended, { timeout: 5_000 }).toBe(true);
    await closing;
  });
});
