import { randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { retryAll, serviceUnderTest, waitFor, type ServiceProcess, type ServiceUnderTest } from "@kruzhok/testkit";
import { seedFamilies } from "./fixtures/families";

// WORKERS=2: the service as two replicas on one machine, sharing its port. Any worker answers a
// family's position lookup from Redis and what the workers told each other, without reading the
// application from Postgres; /metrics counts the requests of both; a worker that dies is
// replaced; SIGTERM stops them all.
const CHILDREN = 120;
const GROUPS = 3;

/** Pids of the live node processes whose parent is `parent`: the primary's workers (tsx may run an esbuild child beside them). */
async function childrenOf(parent: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const command = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Its main thread's name: "node" on Node 20, "MainThread" on 24, "node-MainThread" on 26.
    if (/^(node|(node-)?MainThread)$/.test(command) && fields[0] !== "Z" && Number(fields[1]) === parent) pids.push(Number(entry));
  }
  return pids.sort();
}

/**
 * Resolves once `count` workers have listened since the start, by the primary's log: connections
 * made before a worker listens all go to the others (and keep-alive ones stay there).
 */
async function listened(service: { output(): string }, count: number): Promise<void> {
  await waitFor(() => ((service.output().match(/"msg":"worker listening"/g) ?? []).length >= count ? true : undefined), {
    timeoutMs: 30_000,
    intervalMs: 100,
    what: `${count} workers listening`,
  });
}

/** The pids of the primary's two workers, once both listen. */
async function twoWorkersListening(primary: ServiceProcess): Promise<number[]> {
  const workers = await waitFor(async () => {
    const pids = await childrenOf(primary.child.pid!);
    return pids.length === 2 ? pids : undefined;
  }, { timeoutMs: 30_000, intervalMs: 200, what: "two workers" }).catch(async (error: unknown) => {
    throw new Error(`${String(error)}; workers now: ${(await childrenOf(primary.child.pid!)).join(", ")}; the service wrote: ${primary.output().slice(-2_000)}`);
  });
  await listened(primary, 2);
  return workers;
}

/**
 * The primary's two workers once a new one has taken the place of `killed`. When none comes, the
 * error carries what the service wrote: the primary's account of the exit and the new start (one
 * CI run under load timed out here with nothing else to go on).
 */
async function workersReplacing(primary: ServiceProcess, killed: number): Promise<number[]> {
  return waitFor(async () => {
    const pids = await childrenOf(primary.child.pid!);
    return pids.length === 2 && !pids.includes(killed) ? pids : undefined;
  }, { timeoutMs: 30_000, intervalMs: 200, what: "a new worker in place of the killed one" }).catch(async (error: unknown) => {
    throw new Error(`${String(error)}; workers now: ${(await childrenOf(primary.child.pid!)).join(", ")}; the service wrote: ${primary.output().slice(-3_000)}`);
  });
}

describe("enrollment as two workers", () => {
  const infra = inject("infra");
  let service: ServiceUnderTest;
  let port = 0;
  beforeAll(async () => {
    service = await serviceUnderTest(infra, {
      name: "enrollment_workers",
      main: fileURLToPath(new URL("../src/main.ts", import.meta.url)),
      maxSockets: 12,
      env: {
        WORKERS: "2",
        LOG_LEVEL: "info",
        RATE_LIMIT_PER_MINUTE: "1000000",
        REDIS_KEY_PREFIX: `t_enrollment_workers_${process.pid}:`,
        // Nothing of the service's own reads applications while the test holds them locked.
        SWEEP_INTERVAL_MS: "3600000",
        QUEUE_CHECK_INTERVAL_MS: "3600000",
      },
    });
  });
  afterAll(async () => service.cleanup());

  /** One request on a connection of its own: the primary deals each new connection to a worker in turn. */
  const once = (path: string, authorization: string, timeoutMs: number) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ agent: false, hostname: "127.0.0.1", port, path, headers: { authorization }, timeout: timeoutMs }, (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("timeout", () => req.destroy(new Error(`no answer to GET ${path} in ${timeoutMs} ms`)));
      req.on("error", reject);
      req.end();
    });

  it("answers positions from any worker without Postgres, sums both workers' metrics, replaces a dead worker and stops on SIGTERM", async () => {
    const primary = await service.start();
    port = service.port;
    const pool = service.pool;
    const workers = await twoWorkersListening(primary);

    const { groupIds, childIds, tokens, region, municipalityId } = await seedFamilies(pool, { children: CHILDREN, groups: GROUPS, label: "workers" });
    const keys = childIds.map(() => randomUUID());
    const answers = await retryAll(CHILDREN, 12, (i) => service.send("POST", "/applications", tokens[i]!, { childId: childIds[i], groupId: groupIds[i % GROUPS] }, keys[i]));
    const ids = childIds.map((_, i) => {
      const answer = answers.get(i)!;
      expect(answer.status, answer.body).toBe(201);
      return (JSON.parse(answer.body) as { id: string }).id;
    });

    // With the applications table locked, a worker that had to read an application would wait
    // for the lock: every lookup must come back from what the workers know.
    const locker = await pool.connect();
    const positions: { groupId: string; position: number }[] = [];
    try {
      await locker.query("BEGIN");
      await locker.query("LOCK TABLE applications IN ACCESS EXCLUSIVE MODE");
      for (const [i, id] of ids.entries()) {
        const answer = await once(`/applications/${id}/position`, tokens[i]!, 5_000);
        expect(answer.status, answer.body).toBe(200);
        positions.push(JSON.parse(answer.body) as { groupId: string; position: number });
      }
    } finally {
      await locker.query("ROLLBACK");
      locker.release();
    }
    // Each group's positions are 1..n, once each.
    for (const groupId of groupIds) {
      const inGroup = positions.filter((p) => p.groupId === groupId).map((p) => p.position).sort((a, b) => a - b);
      expect(inGroup).toEqual(Array.from({ length: CHILDREN / GROUPS }, (_, k) => k + 1));
    }

    // /metrics, asked of whichever worker, counts the lookups of both.
    const metrics = await once("/metrics", "", 5_000);
    const lookupsCounted = metrics.body
      .split("\n")
      .filter((line) => line.startsWith("http_request_duration_seconds_count{") && line.includes('route="/applications/:id/position"') && line.includes('status="200"'))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
    expect(lookupsCounted).toBe(CHILDREN);

    // A worker killed outright is replaced, and the service goes on answering.
    process.kill(workers[0]!, "SIGKILL");
    const replaced = await workersReplacing(primary, workers[0]!);
    expect(replaced).toContain(workers[1]);
    await listened(primary, 3);
    await waitFor(async () => ((await once("/readyz", "", 2_000).catch(() => undefined))?.status === 200 ? true : undefined), { timeoutMs: 30_000, intervalMs: 200, what: "ready again" });
    const check = await service.send("GET", `/queues/check?municipalityId=${municipalityId}`, region);
    expect(check.status, check.body).toBe(200);
    expect(JSON.parse(check.body)).toMatchObject({ groups: GROUPS, entries: CHILDREN, mismatches: [] });

    // SIGTERM: every worker shuts down, then the primary ends with 0.
    primary.child.kill("SIGTERM");
    expect(await primary.exited).toBe(0);
    expect(await childrenOf(primary.child.pid!)).toEqual([]);
  });
});

// One replica killed while families apply: the other goes on taking applications, the primary
// starts another, and every family's retry (same key) gets the application its first attempt
// made; nothing lost or doubled, and the Redis queues equal Postgres.
describe("enrollment as two workers, one killed while families apply", () => {
  const CRASH_CHILDREN = 300;
  const IN_FLIGHT = 16;
  const KILL_AFTER_ANSWERS = 100;
  const infra = inject("infra");
  let service: ServiceUnderTest;
  beforeAll(async () => {
    service = await serviceUnderTest(infra, {
      name: "enrollment_worker_crash",
      main: fileURLToPath(new URL("../src/main.ts", import.meta.url)),
      maxSockets: IN_FLIGHT,
      env: { WORKERS: "2", LOG_LEVEL: "info", RATE_LIMIT_PER_MINUTE: "1000000", REDIS_KEY_PREFIX: `t_enrollment_worker_crash_${process.pid}:` },
    });
  });
  afterAll(async () => service.cleanup());

  it("loses and doubles no application and answers every retry with the first attempt's application", async () => {
    const primary = await service.start();
    // Both take connections before the load starts: the killed one has requests in flight.
    const workers = await twoWorkersListening(primary);
    const { municipalityId, groupIds, childIds, tokens, region } = await seedFamilies(service.pool, { children: CRASH_CHILDREN, groups: GROUPS, label: "workercrash" });
    const keys = childIds.map(() => randomUUID());
    const apply = (i: number) => service.send("POST", "/applications", tokens[i]!, { childId: childIds[i], groupId: groupIds[i % GROUPS] }, keys[i]);
    const idOf = (answer: { body: string }) => (JSON.parse(answer.body) as { id: string }).id;
    // One attempt, given up after 10 s as a family's app would: a connection the primary was
    // handing to the worker as it died is never answered (node:cluster), nor closed.
    const applyOnce = (i: number) => Promise.race([apply(i).catch(() => undefined), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 10_000))]);
    const applyUntilAnswered = async (i: number) => {
      for (;;) {
        const answer = await applyOnce(i);
        if (answer) return answer;
      }
    };

    // Every request once, IN_FLIGHT at a time; one worker is SIGKILLed once KILL_AFTER_ANSWERS came back.
    const before = new Map<number, { status: number; body: string }>();
    let next = 0;
    let killed = false;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < CRASH_CHILDREN) {
          const i = next++;
          const answer = await applyOnce(i); // none: its worker died with it in flight
          if (answer) before.set(i, answer);
          if (!killed && before.size >= KILL_AFTER_ANSWERS) {
            killed = true;
            process.kill(workers[0]!, "SIGKILL");
          }
        }
      }),
    );
    expect(killed).toBe(true);
    // Requests were in flight on the killed worker: they got no answer.
    expect(before.size).toBeLessThan(CRASH_CHILDREN);
    for (const answer of before.values()) expect(answer.status, answer.body).toBe(201);
    await workersReplacing(primary, workers[0]!);
    await listened(primary, 3);

    // Every request again, with its own key.
    const after = await retryAll(CRASH_CHILDREN, IN_FLIGHT, applyUntilAnswered);
    const { rows } = await service.pool.query<{ child_id: string; id: string }>("SELECT child_id, id FROM applications");
    const ofChild = new Map(rows.map((row) => [row.child_id, row.id]));
    expect(rows).toHaveLength(CRASH_CHILDREN);
    expect(ofChild.size).toBe(CRASH_CHILDREN);
    for (let i = 0; i < CRASH_CHILDREN; i++) {
      const retried = after.get(i)!;
      expect(retried.status, retried.body).toBe(201);
      expect(idOf(retried)).toBe(ofChild.get(childIds[i]!));
      const first = before.get(i);
      if (first) {
        expect(retried.replayed).toBe(true);
        expect(idOf(first)).toBe(ofChild.get(childIds[i]!));
      }
    }
    const check = await service.send("GET", `/queues/check?municipalityId=${municipalityId}`, region);
    expect(check.status, check.body).toBe(200);
    expect(JSON.parse(check.body)).toMatchObject({ groups: GROUPS, entries: CRASH_CHILDREN, mismatches: [] });
  });
});
