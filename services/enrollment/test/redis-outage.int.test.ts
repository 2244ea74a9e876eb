import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GroupOpened } from "@kruzhok/contracts";
import type { HttpApp } from "@kruzhok/http";
import { createRedisClient } from "@kruzhok/service";
import { privateRedis, serviceHarness, waitFor, type Harness, type PrivateRedis } from "@kruzhok/testkit";
import { buildEnrollmentApp } from "../src/app";
import { eventHandlers } from "../src/messaging/handlers";
import { migrateEnrollment } from "../src/migrations";
import { QueueIndex, checkQueues, syncDirtyGroups } from "../src/store/queue-index";
import { startQueueIndex } from "../src/usecases/indexing";
import { PositionLookups } from "../src/usecases/positions";
import { apply, child, groupData, world, type Auth, type Child, type EnrollmentHarness } from "./fixtures/enrollment";

type Client = ReturnType<typeof createRedisClient>;

// Redis hung (SIGSTOP: connections open, no answers) and then gone, mid-traffic, under enrollment
// in this process with its rate limit and queue index on a Redis of the test's own: every route
// keeps answering (rate limiting off, positions from Postgres) with no 500 and no request waiting
// on Redis for long, one log line per outage; once Redis is back, empty, every queue is copied
// again and Redis answers exactly what Postgres holds.
describe("enrollment while Redis hangs, goes away and comes back empty", () => {
  let redis: PrivateRedis;
  let h: Harness<
    { client: Client["redis"]; connected: Client["connected"]; outage: Client["outage"]; queues: QueueIndex; positions: PositionLookups; sync(): Promise<void> },
    HttpApp
  >;
  let w: Awaited<ReturnType<typeof world>>;

  beforeAll(async () => {
    redis = await privateRedis();
    h = await serviceHarness({
      service: "enrollment",
      isolation: "enr-redis-outage",
      migrate: migrateEnrollment,
      deps: ({ pool, logger, metrics, iso }) => {
        // As main.ts builds them, on the private Redis: a short command timeout, one outage tracker.
        const client = createRedisClient(redis.url, { logger, metrics, commandTimeoutMs: 300 });
        const queues = new QueueIndex(client.redis, iso.redisPrefix, client.outage);
        return {
          client: client.redis,
          connected: client.connected,
          outage: client.outage,
          queues,
          positions: new PositionLookups(pool, queues),
          async sync() {
            while ((await syncDirtyGroups(pool, queues)) > 0) {
              /* until nothing is left */
            }
          },
        };
      },
      app: ({ pool, clock, queues, positions, logger, auth, metrics, client, outage }) =>
        buildEnrollmentApp({ pool, clock, queues, positions, logger, auth, metrics, redis: client, redisOutage: outage, rateLimit: { max: 100_000 } }),
      handlers: ({ clock, positions }) => eventHandlers({ clock, positions }),
      stop: ({ client }) => void client.disconnect(),
    });
    // As runService waits for the first connection before the service starts.
    expect(await h.connected(10_000)).toBe(true);
    await startQueueIndex({ pool: h.pool, queues: h.queues, log: h.logger });
    w = await world(H());
    h.clock.set("2026-09-01T09:00:00Z");
  });
  afterAll(async () => {
    await h?.close();
    await redis?.stop();
  });

  const H = () => h as unknown as EnrollmentHarness;
  const timed = async <T>(run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await run();
    // Bounded by the command timeout (300 ms), not by Redis coming back.
    expect(performance.now() - started).toBeLessThan(3_000);
    return result;
  };
  const position = (id: string, who: Auth) => timed(() => h.app.inject({ method: "GET", url: `/applications/${id}/position`, headers: who }));
  const positions = async (applications: { id: string; who: Child }[]) => {
    const answers = [];
    for (const a of applications) {
      const res = await position(a.id, a.who.guardian);
      expect(res.statusCode, res.body).toBe(200);
      answers.push(res.json<{ position: number; total: number; source: string }>());
    }
    return answers;
  };

  /** Traffic of one moment: new applications, positions, the application and the queue read, a withdrawal. No 5xx. */
  const traffic = async (groupId: string, applied: { id: string; who: Child }[]) => {
    for (let i = 0; i < 3; i++) {
      const c = await child(H(), w);
      const res = await timed(() => apply(H(), c.guardian, c.childId, groupId));
      expect(res.statusCode, res.body).toBe(201);
      applied.push({ id: res.json<{ id: string }>().id, who: c });
    }
    const read = await timed(() => h.app.inject({ method: "GET", url: `/applications/${applied[0]!.id}`, headers: applied[0]!.who.guardian }));
    expect(read.statusCode, read.body).toBe(200);
    const queue = await timed(() => h.app.inject({ method: "GET", url: `/groups/${groupId}/queue`, headers: w.operator }));
    expect(queue.statusCode, queue.body).toBe(200);
    const leaving = applied.splice(1, 1)[0]!;
    const withdrawn = await timed(() => h.app.inject({ method: "POST", url: `/applications/${leaving.id}/withdrawal`, headers: leaving.who.guardian }));
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    return positions(applied);
  };

  it("answers every route without Redis, then rebuilds the queues identical to Postgres", async () => {
    const groupId = randomUUID();
    await h.deliver(GroupOpened, { municipalityId: w.municipalityId, aggregateId: groupId }, groupData(w, groupId, { capacity: 50 }));
    const applied: { id: string; who: Child }[] = [];
    const before = await traffic(groupId, applied);
    expect(before.map((p) => p.source)).toEqual(before.map(() => "redis"));

    redis.pause();
    const hung = await traffic(groupId, applied);
    expect(hung.map((p) => p.position)).toEqual(applied.map((_, i) => i + 1));
    expect(h.outage.down).toBe(true);

    await redis.stop();
    const gone = await traffic(groupId, applied);
    expect(gone.map((p) => p.source)).toEqual(gone.map(() => "postgres"));
    expect(gone.map((p) => p.position)).toEqual(applied.map((_, i) => i + 1));

    await redis.start();
    await waitFor(() => (h.outage.down ? undefined : true), { what: "the client to reconnect to the restarted Redis" });
    // The syncer's round (main.ts runs it every QUEUE_SYNC_INTERVAL_MS): every queue was marked on recovery.
    await waitFor(async () => {
      await h.sync();
      const checked = await checkQueues(h.pool, h.queues);
      return checked.mismatches.length === 0 && checked.entries === applied.length ? checked : undefined;
    }, { what: "Redis to hold every queue as Postgres does" });
    const back = await positions(applied);
    expect(back.map((p) => p.source)).toEqual(back.map(() => "redis"));
    expect(back.map(({ position: p, total }) => [p, total])).toEqual(gone.map(({ position: p }) => [p, applied.length]));

    // One line when Redis went, one when it came back: not a line per request or per retry.
    const lines = h.logs.filter((line) => line.includes('"dependency":"redis"'));
    expect(lines.filter((line) => line.includes("redis unavailable")), lines.join("\n")).toHaveLength(1);
    expect(lines.filter((line) => line.includes("redis available again"))).toHaveLength(1);
  });
});
