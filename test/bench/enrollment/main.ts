// Enrollment's opening-day surge through HTTP (issue #6): `bash test/bench/run enrollment`.
//
//   tsx test/bench/enrollment/main.ts [--ceilings <ceilings-*.json>] [--applications N] [--duration S]
//       [--burst N] [--groups N] [--duplicates F] [--retries F] [--sockets N]
//       [--capacity-applications N] [--capacity-seconds S] [--capacity-concurrency N]
//       [--lookup-concurrency N[,N...]] [--lookup-seconds S] [--lookup-client raw|node-http] [--workers N]
//       [--lookup-rate N] [--lookup-rate-seconds S] [--lookup-families N]
//
// Enrollment runs as its own process (src/main.ts: HTTP, outbox relay to Kafka, consumers, the
// Redis queue syncer), with `--workers` replicas of it sharing the port (WORKERS, default 2: one
// per core, as a trial machine would run it on opening day), on a scratch database and a scratch
// Redis key prefix. Its reference data
// (a municipality with its year's rules, one certificate per child, 500 groups of free programs)
// is written with SQL into its read-model tables once it has migrated (what its consumers would
// write from the registry's and the catalogue's events; their delivery is not what is measured).
// Then one client process sends POST /applications on an open-loop schedule: `burst` in the first
// second, the rest evenly until `duration`; a share of children submit twice (same group, a new
// Idempotency-Key: the second must get 409) and a share of answers are lost and the request sent
// again (same key: the first answer must come back replayed). Every child applies as its own
// guardian, so the service's per-subject rate limit stays on, as in production. The surge's
// offered rate (~515/s) is below the goal (40 % of pgbench), so the submit rate is measured
// apart: once the surge is verified, more children (never seen by the surge) submit the same mix
// of duplicates and retries in a closed loop with `capacity-concurrency` requests in flight, so
// the service, not the schedule, sets the pace; their accepted submissions per second are the
// sustained submit rate. Afterwards position lookups at fixed concurrency, next to
// redis-benchmark ZRANK and Fastify hello-world measured in the same run (in rounds taking turns with
// the closed loop's, at 32, 64 and 128 in flight in turn; the goal: 40 % of hello-world, the median of
// the rounds' ratios at the best level, as the registry's issuance is judged), then at a fixed rate (`--lookup-rate`, 5,000 /s: the p99 goal); every answer is checked
// (its application, a position within the queue's length in Postgres, the same each time, none
// given twice in a group), then a sample is asked again by another family (refused), the
// municipality's office (the same answer) and another municipality's office (refused).
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Agent, request as httpRequest } from "node:http";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { seededRandom } from "@kruzhok/testkit/random";
import { Redis } from "ioredis";
import { createPool, dropDatabase, withDatabase, type Pool } from "@kruzhok/postgres";
import { autocannonRun, ceilingsTable, figureOf, helloRound, measureFastifyHello, measureFastifyHelloPaced, measurePgbenchAppOutbox, measureRedisSortedSet, measured, scratchId, startFastifyHello, type Ceiling } from "../ceilings/measure";
import { DISTURBED_CORES, cpuOverPeriods, cpuSnapshot, settle, withCpu, type CpuSnapshot, type CpuUse } from "../lib/cpu";
import { benchEnv } from "../lib/env";
import { describeMachine, machineRows } from "../lib/machine";
import { stopChild } from "../lib/proc";
import { writeReferenceData } from "./reference";
import { pacedRun } from "../lib/paced";
import { RawHttpConnection, rawRequest } from "../lib/raw-http";
import { startStallProbe, stallsLine } from "../lib/stalls";
import { bearerFor, deleteServiceTopics, freePort, spawnService, waitReady } from "../lib/service";
import { fmt, pct, percentile, printRun, progress, writeResults, type Table } from "../lib/report";

const { values: args } = parseArgs({
  options: {
    ceilings: { type: "string" },
    applications: { type: "string", default: "61750" },
    duration: { type: "string", default: "120" },
    burst: { type: "string", default: "2000" },
    groups: { type: "string", default: "500" },
    duplicates: { type: "string", default: "0.06" },
    retries: { type: "string", default: "0.10" },
    sockets: { type: "string", default: "256" },
    "capacity-applications": { type: "string", default: "60000" },
    "capacity-seconds": { type: "string", default: "20" },
    "capacity-concurrency": { type: "string", default: "256" },
    "lookup-concurrency": { type: "string", default: "32,64,128" },
    "lookup-seconds": { type: "string", default: "30" },
    "lookup-client": { type: "string", default: "raw" },
    "lookup-rate": { type: "string", default: "5000" },
    "lookup-families": { type: "string", default: "4000" },
    "lookup-rate-seconds": { type: "string", default: "15" },
    workers: { type: "string", default: "2" },
  },
});
const children = Number(args.applications);
const durationS = Number(args.duration);
const burst = Math.min(children, Number(args.burst));
const groupCount = Number(args.groups);
const duplicateShare = Number(args.duplicates);
const retryShare = Number(args.retries);
const sockets = Number(args.sockets);
const capacityChildren = Number(args["capacity-applications"]);
const capacitySeconds = Number(args["capacity-seconds"]);
const capacityConcurrency = Number(args["capacity-concurrency"]);
/** The closed loop's levels of requests in flight, in turn (`--lookup-concurrency 32,64,128`). */
const lookupLevels = args["lookup-concurrency"].split(",").map(Number);
const lookupSeconds = Number(args["lookup-seconds"]);
const lookupClient = args["lookup-client"];
const lookupPace = Number(args["lookup-rate"]);
const lookupFamilies = Number(args["lookup-families"]);
const lookupPaceSeconds = Number(args["lookup-rate-seconds"]);
const workers = Number(args.workers);
if (lookupClient !== "raw" && lookupClient !== "node-http") throw new Error("--lookup-client is raw or node-http");
for (const [name, value] of Object.entries({ children, durationS, groupCount, sockets, capacityChildren, capacitySeconds, capacityConcurrency, lookupSeconds, workers, lookupPace, lookupPaceSeconds, lookupFamilies })) {
  if (!(Number.isInteger(value) && value > 0)) throw new Error(`${name} must be a positive integer`);
}
if (lookupLevels.some((level) => !(Number.isInteger(level) && level > 0))) throw new Error("--lookup-concurrency takes positive integers, comma-separated");
if (!(duplicateShare >= 0 && duplicateShare < 1 && retryShare >= 0 && retryShare < 1 && durationS > 1)) throw new Error("bad shares or duration");
const duplicates = Math.round(children * duplicateShare);
const retries = Math.round(children * retryShare);
/**
 * A request answered 429/503 (or 409 "in progress") with Retry-After is sent again at most this
 * often: enough to outlast the shedding of a whole surge (the service answers 503 at once rather
 * than queueing), few enough that a service that only ever refuses still ends the run.
 */
const MAX_BACKOFFS = 60;
const REQUEST_TIMEOUT_MS = 60_000;
/** Connections the paced lookups may use at once: a crowd's, not a load generator's 32. */
const PACED_CONNECTIONS = 128;
/** About how long each round of the closed loop and of hello-world beside it lasts (`--lookup-seconds` is cut into rounds). */
const LOOKUP_ROUND_SECONDS = 5;
/** Seconds of paced lookups before the measured ones, as the machine's own paced tail has. */
const PACED_WARMUP_SECONDS = 2;

// This client's own heap: without allocation-site pretenuring, as the service runs (its main sets
// the same flag; BENCHMARKS.md says why). Set before the surge, whose objects would teach V8 to pretenure.
setFlagsFromString("--no-allocation-site-pretenuring");

const env = benchEnv();
const machine = await describeMachine(env);

let ceilings: Ceiling[] = [];
if (args.ceilings) ceilings = (JSON.parse(await readFile(args.ceilings, "utf8")) as { ceilings: Ceiling[] }).ceilings;
if (!ceilings.some((c) => c.id === "pgbench.app+outbox")) {
  progress("measuring the pgbench app+outbox ceiling");
  ceilings = [...ceilings, ...(await measured(() => measurePgbenchAppOutbox(env)))];
}
if (!ceilings.some((c) => c.id === "redis.zrank.p1")) {
  progress("measuring redis-benchmark ZRANK");
  ceilings = [...ceilings, ...(await measured(() => measureRedisSortedSet(env)))];
}
ceilings = ceilings.filter((c) => c.id === "pgbench.app+outbox" || c.id === "redis.zrank.p1");
const pgbenchCeiling = figureOf(ceilings, "pgbench.app+outbox");
const zrankCeiling = figureOf(ceilings, "redis.zrank.p1");

/** Deterministic pseudo-random numbers, so every run sends the same schedule. */
const random = seededRandom;

const id = scratchId();
const database = `bench_enrollment_${id}`;
const keyPrefix = `bench:${id}:enrollment:`;
const port = await freePort();
// The service's own per-guardian limit stays: each simulated family is its own caller.
// One worker per core (WORKERS): the trial machine's deployment of a service that has a region's opening day to carry.
const service = await spawnService("enrollment", env, database, port, { REDIS_KEY_PREFIX: keyPrefix, RATE_LIMIT_PER_MINUTE: "600", WORKERS: String(workers) });

interface Answer {
  status: number;
  body: string;
  /** The body's bytes, from the raw client (`RawHttpAnswer`): compared without decoding them. */
  bytes?: Buffer;
  replayed: boolean;
  retryAfter: string | undefined;
}

const agent = new Agent({ keepAlive: true, maxSockets: sockets });
const statuses = new Map<string, number>();
const count = (what: string) => statuses.set(what, (statuses.get(what) ?? 0) + 1);
/** Non-2xx answers by code, and 5xx/429/503 whether they came with Retry-After. */
const refusals = new Map<string, number>();
const countRefusal = (what: string, into = refusals) => into.set(what, (into.get(what) ?? 0) + 1);

// node:http on keep-alive sockets rather than fetch: on two cores undici's fetch costs the client
// several times the CPU per request (see the registry benchmark).
function send(method: "GET" | "POST", path: string, authorization: string, body?: string, key?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { authorization };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = Buffer.byteLength(body);
    }
    if (key) headers["idempotency-key"] = key;
    const req = httpRequest({ agent, hostname: "127.0.0.1", port, method, path, headers, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const retryAfter = res.headers["retry-after"];
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString("utf8"),
          replayed: res.headers["idempotent-replayed"] === "true",
          retryAfter: typeof retryAfter === "string" ? retryAfter : undefined,
        });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${path} timed out after ${REQUEST_TIMEOUT_MS} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

const codeOf = (a: Answer): string => {
  try {
    const code = (JSON.parse(a.body) as { code?: unknown }).code;
    return typeof code === "string" ? code : "";
  } catch {
    return "";
  }
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Transactions committed in the database so far (the statistics lag by up to a second). */
const commitCount = async (db: Pool, name: string): Promise<number> =>
  Number((await db.query<{ n: number }>("SELECT xact_commit AS n FROM pg_stat_database WHERE datname = $1", [name])).rows[0]?.n);

/** A well-behaved client: on 429/503 (or 409 "first request still running") it waits Retry-After and sends again, same key. */
async function sendPatiently(method: "GET" | "POST", path: string, authorization: string, body?: string, key?: string, into = refusals, transport: typeof send = send): Promise<Answer> {
  for (let attempt = 0; ; attempt++) {
    const answer = await transport(method, path, authorization, body, key);
    const code = answer.status >= 400 ? codeOf(answer) : "";
    if (answer.status >= 400) countRefusal(`${answer.status} ${code}${answer.status >= 429 && answer.retryAfter === undefined ? " (no Retry-After)" : ""}`, into);
    const backOff = (answer.status === 429 || answer.status === 503 || code === "HTTP.IDEMPOTENCY_IN_PROGRESS") && answer.retryAfter !== undefined;
    if (!backOff || attempt >= MAX_BACKOFFS) return answer;
    // Retry-After plus up to half of it again at random, as a well-behaved client does: refused
    // together, a crowd that came back together would be refused together again.
    const wait = Math.min(10_000, Math.max(100, Number(answer.retryAfter) * 1_000 || 1_000));
    await sleep(wait * (1 + jitter() / 2));
  }
}

const jitter = random(7);

let pool: Pool | undefined;
let redis: Redis | undefined;
try {
  progress(`starting enrollment on :${port} (database ${database}, Redis prefix ${keyPrefix})`);
  await waitReady(service, port, "enrollment");
  pool = createPool({ connectionString: withDatabase(env.databaseUrl, database), max: 2 });

  // Reference data, as enrollment's consumers would have written it from the registry's and the
  // catalogue's events: one municipality (Sverdlovsk's zone) with the year's rules, one accounting
  // certificate per child (10 % of children in a category), groups of free programs (no financing
  // round trip to the registry), each child's guardian.
  // The surge's children first, then the capacity run's; 10 % in a category (BENCH-n, n % 10 = 0).
  const allChildren = children + capacityChildren;
  progress(`writing reference data: ${fmt(groupCount)} groups, ${fmt(allChildren)} children with certificates`);
  const { municipalityId, groupIds, childIds, guardianIds } = await writeReferenceData(pool, { groups: groupCount, children: allChildren, largeFamily: (child) => (child + 1) % 10 === 0 });

  progress("signing one guardian token per child");
  const tokens: string[] = [];
  for (let i = 0; i < allChildren; i++) {
    tokens.push(await bearerFor({ subject: `bench-guardian-${i}`, role: "guardian", municipalityId, guardianId: guardianIds[i]! }));
  }
  const region = await bearerFor({ subject: "bench-region", role: "region", regionCode: "66" });

  // The schedule: each child once (burst in the first second, the rest evenly until the end),
  // duplicates of random children a little after their first (0.2-5 s later: a second click, a
  // second device), and retries of random first submissions once their answer came back.
  const rand = random(6);
  const groupOf = (child: number) => child % groupCount;
  const firstAt = (i: number) => (i < burst ? (i * 1_000) / burst : 1_000 + ((i - burst) * (durationS - 1) * 1_000) / Math.max(1, children - burst));
  interface Scheduled {
    at: number;
    child: number;
    duplicate: boolean;
  }
  const schedule: Scheduled[] = Array.from({ length: children }, (_, i) => ({ at: firstAt(i), child: i, duplicate: false }));
  const duplicated = new Set<number>();
  for (let guard = 0; duplicated.size < duplicates && guard < duplicates * 10; guard++) duplicated.add(Math.floor(rand() * children));
  for (const child of duplicated) schedule.push({ at: Math.min(durationS * 1_000, firstAt(child) + 200 + rand() * 4_800), child, duplicate: true });
  schedule.sort((a, b) => a.at - b.at);
  const retried = new Set<number>();
  for (let guard = 0; retried.size < retries && guard < retries * 10; guard++) retried.add(Math.floor(rand() * children));

  interface Outcome {
    status: number;
    id: string | undefined;
    code: string;
  }
  const outcomes: (Outcome | undefined)[] = Array.from({ length: children });
  const duplicateOutcomes = new Map<number, Outcome>();
  const submitLatencies: number[] = [];
  const retryLatencies: number[] = [];
  const answeredAt: number[] = [];
  let retryProblems = 0;
  let retryReplayed = 0;
  const failures: string[] = [];
  const outcomeOf = (a: Answer): Outcome => {
    if (a.status !== 201) return { status: a.status, id: undefined, code: codeOf(a) };
    return { status: 201, id: (JSON.parse(a.body) as { id: string }).id, code: "" };
  };

  const surge = async (): Promise<number> => {
    const t0 = performance.now();
    const inFlight = new Set<Promise<void>>();
    const submit = async (s: Scheduled): Promise<void> => {
      const body = JSON.stringify({ childId: childIds[s.child], groupId: groupIds[groupOf(s.child)] });
      const key = randomUUID();
      try {
        const answer = await sendPatiently("POST", "/applications", tokens[s.child]!, body, key);
        const now = performance.now();
        submitLatencies.push(now - t0 - s.at);
        answeredAt.push(now - t0);
        count(`${s.duplicate ? "duplicate" : "first"} ${answer.status}${answer.status === 409 ? ` ${codeOf(answer)}` : ""}`);
        const outcome = outcomeOf(answer);
        if (s.duplicate) duplicateOutcomes.set(s.child, outcome);
        else outcomes[s.child] = outcome;
        if (!s.duplicate && retried.has(s.child)) {
          // The answer "was lost": the client sends the same request with the same key again.
          const sent = performance.now();
          const again = await sendPatiently("POST", "/applications", tokens[s.child]!, body, key);
          retryLatencies.push(performance.now() - sent);
          count(`retry ${again.status}${again.replayed ? " replayed" : ""}`);
          if (again.replayed) retryReplayed++;
          const second = outcomeOf(again);
          if (second.status !== outcome.status || second.id !== outcome.id || !again.replayed) retryProblems++;
        }
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    };
    let next = 0;
    const end = durationS * 1_000 + REQUEST_TIMEOUT_MS * (MAX_BACKOFFS + 2);
    while (next < schedule.length && performance.now() - t0 < end) {
      const now = performance.now() - t0;
      while (next < schedule.length && schedule[next]!.at <= now) {
        const p = submit(schedule[next++]!);
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      if (next < schedule.length) await sleep(Math.max(0, Math.min(5, schedule[next]!.at - (performance.now() - t0))));
    }
    await Promise.all(inFlight);
    return (performance.now() - t0) / 1_000;
  };

  progress(`surge: ${fmt(schedule.length)} submissions (${fmt(children)} children + ${fmt(duplicates)} duplicates), ${fmt(burst)} in the first second, the rest over ${durationS} s; ${fmt(retries)} retried`);
  const waiting = (busy: number) => progress(`machine ${pct(busy)} busy; waiting up to BENCH_QUIET_WAIT_S for it to calm down`);
  await settle(waiting);
  const surgeCommitsBefore = await commitCount(pool, database);
  const [surgeSeconds, surgeCpu] = await withCpu(surge);
  const surgeCommits = (await commitCount(pool, database)) - surgeCommitsBefore;
  const firstAnswerSeconds = Math.max(...answeredAt) / 1_000;

  // Drain: the relay publishes the outbox, the syncer copies changed queues to Redis.
  const drain = async (): Promise<{ seconds: number; unpublished: number; dirty: number }> => {
    const started = performance.now();
    let unpublished = -1;
    let dirty = -1;
    for (let round = 0; round < 240; round++) {
      unpublished = Number((await pool!.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL")).rows[0]?.n);
      dirty = Number((await pool!.query<{ n: number }>("SELECT count(*)::int AS n FROM queue_dirty")).rows[0]?.n);
      if (unpublished === 0 && dirty === 0) break;
      await sleep(500);
    }
    return { seconds: (performance.now() - started) / 1_000, unpublished, dirty };
  };
  progress("waiting for the outbox to be published and the queue index to catch up");
  const { seconds: drainSeconds, unpublished, dirty } = await drain();

  // Verification against Postgres and Redis.
  const accepted = outcomes.filter((o) => o?.status === 201).length + [...duplicateOutcomes.values()].filter((o) => o.status === 201).length;
  const childrenAccepted = new Set([...outcomes.keys()].filter((i) => outcomes[i]?.status === 201 || duplicateOutcomes.get(i)?.status === 201)).size;
  const acceptedIds = [...outcomes, ...duplicateOutcomes.values()].flatMap((o) => (o?.id ? [o.id] : []));
  const inPostgres = Number((await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM applications")).rows[0]?.n);
  const found = Number((await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM applications WHERE id = ANY($1::uuid[])", [acceptedIds])).rows[0]?.n);
  const twice = Number(
    (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM (SELECT 1 FROM applications GROUP BY child_id, group_id HAVING count(*) > 1) d")).rows[0]?.n,
  );
  const submittedEvents = Number(
    (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE type LIKE '%application.submitted'")).rows[0]?.n,
  );
  const check = await send("GET", `/queues/check?municipalityId=${municipalityId}`, region);
  const checked = JSON.parse(check.body) as { groups: number; entries: number; mismatches: unknown[] };
  redis = new Redis(env.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  let redisEntries = 0;
  // ZCARD less the completeness mark every copied set carries (`~`, see store/queue-index.ts).
  for (const groupId of groupIds) {
    const key = `${keyPrefix}{group:${groupId}}:queue`;
    redisEntries += (await redis.zcard(key)) - ((await redis.zscore(key, "~")) === null ? 0 : 1);
  }

  // Capacity: the submit rate the service sustains when it, not the schedule, sets the pace.
  // Children the surge never used apply once each, in order; a share of them a second time with
  // a new key a little further down the list (a second click), and a share resend with the same
  // key as soon as the first answer comes (a lost answer): the surge's mix. `capacityConcurrency`
  // workers each send the next request as soon as their answer comes (a closed loop), for
  // `capacitySeconds` or until the list runs out. The figure: new applications (201, not a
  // replay) answered per second from the end of the warm-up to the last answer.
  interface CapacityItem {
    child: number;
    duplicate: boolean;
  }
  const capacityRand = random(8);
  const capacityDuplicates = Math.round(capacityChildren * duplicateShare);
  const capacityRetries = Math.round(capacityChildren * retryShare);
  const capacityOrder: { order: number; item: CapacityItem }[] = Array.from({ length: capacityChildren }, (_, i) => ({ order: i, item: { child: children + i, duplicate: false } }));
  const capacityDuplicated = new Set<number>();
  for (let guard = 0; capacityDuplicated.size < capacityDuplicates && guard < capacityDuplicates * 10; guard++) capacityDuplicated.add(Math.floor(capacityRand() * capacityChildren));
  for (const i of capacityDuplicated) capacityOrder.push({ order: i + capacityConcurrency * (1 + capacityRand() * 7), item: { child: children + i, duplicate: true } });
  capacityOrder.sort((a, b) => a.order - b.order);
  const capacityList = capacityOrder.map((o) => o.item);
  const capacityRetried = new Set<number>();
  for (let guard = 0; capacityRetried.size < capacityRetries && guard < capacityRetries * 10; guard++) capacityRetried.add(children + Math.floor(capacityRand() * capacityChildren));

  const capacityStatuses = new Map<string, number>();
  const capacityRefusals = new Map<string, number>();
  const countCapacity = (what: string) => capacityStatuses.set(what, (capacityStatuses.get(what) ?? 0) + 1);
  /** Answer times (ms from the start) of new applications. */
  const capacityNewAt: number[] = [];
  const capacityLatencies: number[] = [];
  const capacityFirst = new Map<number, Outcome>();
  const capacityDuplicateOutcomes = new Map<number, Outcome>();
  const capacityFailures: string[] = [];
  let capacityRetriedSent = 0;
  let capacityReplayed = 0;
  let capacityRetryProblems = 0;
  let capacityAnswers = 0;
  const capacityRun = async (): Promise<number> => {
    const t0 = performance.now();
    const stopAt = t0 + capacitySeconds * 1_000;
    let next = 0;
    // Each request in flight on its own hand-parsed connection (lib/raw-http.ts): node:http cost
    // the client ~150 µs a submission, taken from the service on two cores.
    const post = async (connection: RawHttpConnection, child: number, body: string, key: string): Promise<Answer> => {
      const started = performance.now();
      const transport: typeof send = (method, path, authorization, text, idempotencyKey) =>
        connection.get(
          rawRequest(method, path, port, { authorization, "content-type": "application/json", ...(idempotencyKey && { "idempotency-key": idempotencyKey }) }, text),
        );
      const answer = await sendPatiently("POST", "/applications", tokens[child]!, body, key, capacityRefusals, transport);
      const now = performance.now();
      capacityLatencies.push(now - started);
      capacityAnswers++;
      if (answer.status === 201 && !answer.replayed) capacityNewAt.push(now - t0);
      return answer;
    };
    const connections = Array.from({ length: capacityConcurrency }, () => new RawHttpConnection(port));
    await Promise.all(
      connections.map(async (connection) => {
        while (performance.now() < stopAt && next < capacityList.length) {
          const { child, duplicate } = capacityList[next++]!;
          const body = JSON.stringify({ childId: childIds[child], groupId: groupIds[groupOf(child)] });
          const key = randomUUID();
          try {
            const answer = await post(connection, child, body, key);
            countCapacity(`${duplicate ? "duplicate" : "first"} ${answer.status}${answer.status === 409 ? ` ${codeOf(answer)}` : ""}`);
            const outcome = outcomeOf(answer);
            if (duplicate) capacityDuplicateOutcomes.set(child, outcome);
            else capacityFirst.set(child, outcome);
            if (!duplicate && capacityRetried.has(child)) {
              capacityRetriedSent++;
              const again = await post(connection, child, body, key);
              countCapacity(`retry ${again.status}${again.replayed ? " replayed" : ""}`);
              if (again.replayed) capacityReplayed++;
              const second = outcomeOf(again);
              if (second.status !== outcome.status || second.id !== outcome.id || !again.replayed) capacityRetryProblems++;
            }
          } catch (error) {
            capacityFailures.push(error instanceof Error ? error.message : String(error));
          }
        }
      }),
    );
    for (const connection of connections) connection.close();
    return (performance.now() - t0) / 1_000;
  };

  progress(`capacity: ${fmt(capacityConcurrency)} submissions in flight for ${capacitySeconds} s (${fmt(capacityChildren)} fresh children, ${pct(duplicateShare)} duplicates, ${pct(retryShare)} retries)`);
  await settle(waiting);
  const commitsBefore = await commitCount(pool, database);
  const [capacityElapsed, capacityCpu] = await withCpu(capacityRun);
  const capacityCommits = (await commitCount(pool, database)) - commitsBefore;
  capacityNewAt.sort((a, b) => a - b);
  capacityLatencies.sort((a, b) => a - b);
  const capacityWarmup = Math.min(3_000, (capacitySeconds * 1_000) / 5);
  const capacityEnd = capacityNewAt.at(-1) ?? 0;
  const capacityInWindow = capacityNewAt.filter((t) => t >= capacityWarmup).length;
  const capacityRate = capacityEnd > capacityWarmup ? capacityInWindow / ((capacityEnd - capacityWarmup) / 1_000) : 0;
  const capacityRequestRate = capacityAnswers / capacityElapsed;
  const capacityNew = capacityNewAt.length;

  progress("waiting for the outbox to be published and the queue index to catch up again");
  const capacityDrain = await drain();
  // Every child of the run that got a 201 (first or duplicate) has exactly one application, with that id.
  const capacityIds = [...capacityFirst.values(), ...capacityDuplicateOutcomes.values()].flatMap((o) => (o.id ? [o.id] : []));
  const capacityChildrenAccepted = new Set([...capacityFirst.keys(), ...capacityDuplicateOutcomes.keys()].filter((c) => capacityFirst.get(c)?.status === 201 || capacityDuplicateOutcomes.get(c)?.status === 201)).size;
  const capacityFound = Number((await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM applications WHERE id = ANY($1::uuid[])", [capacityIds])).rows[0]?.n);
  const capacityInPostgres = Number(
    (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM applications WHERE child_id = ANY($1::uuid[])", [childIds.slice(children)])).rows[0]?.n,
  );
  const twiceAfterCapacity = Number(
    (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM (SELECT 1 FROM applications GROUP BY child_id, group_id HAVING count(*) > 1) d")).rows[0]?.n,
  );
  const capacityUnexpected = [...capacityFirst.values()].filter((o) => o.status !== 201 && !(o.status === 409 && o.code.endsWith("ALREADY_APPLYING_TO_PROGRAM"))).length;
  const capacityDuplicatesRefused = [...capacityDuplicateOutcomes.values()].filter((o) => o.status === 409 && o.code.endsWith("ALREADY_APPLYING_TO_PROGRAM")).length;
  const capacityChecked = JSON.parse((await send("GET", `/queues/check?municipalityId=${municipalityId}`, region)).body) as { groups: number; entries: number; mismatches: unknown[] };
  const capacityCorrect =
    capacityFailures.length === 0 &&
    capacityUnexpected === 0 &&
    capacityChildrenAccepted === capacityFirst.size &&
    capacityFound === capacityIds.length &&
    capacityInPostgres === capacityChildrenAccepted &&
    twiceAfterCapacity === 0 &&
    capacityRetryProblems === 0 &&
    capacityReplayed === capacityRetriedSent &&
    capacityDrain.unpublished === 0 &&
    capacityDrain.dirty === 0 &&
    capacityChecked.mismatches.length === 0;

  // Position lookups: every accepted application's guardian asks, round robin, fixed concurrency.
  // Every answer is checked: 200 for this application with a position within its queue's total,
  // the same every time it is asked (nothing changes the queues meanwhile).
  // The families who ask: `--lookup-families` of them, each asking again and again as a family
  // waiting on opening day does (~25 times in the run). A family's first lookup on a worker
  // costs an ES256 signature check (its token is new to that worker's cache); every later one is
  // answered from the cache. Asking each of 86,000 families once (as this benchmark did) measured
  // the signature checks, a quarter of the CPU, rather than the lookups (BENCHMARKS.md).
  const lookups = [...outcomes.keys()].slice(0, lookupFamilies).flatMap((i) => {
    const o = outcomes[i]?.status === 201 ? outcomes[i] : duplicateOutcomes.get(i);
    if (!o?.id) return [];
    const path = `/applications/${o.id}/position`;
    const request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: ${tokens[i]!}\r\n\r\n`, "latin1");
    return [{ id: o.id, child: i, token: tokens[i]!, path, request }];
  });
  type Lookup = (typeof lookups)[number];
  /** The closed loop's connections for a level of requests in flight (opened as it starts, closed as it ends). */
  const connectionsFor = (level: number) => Array.from({ length: level }, () => new RawHttpConnection(port));
  const askAs = (connection: RawHttpConnection, l: Lookup, authorization?: string): Promise<Answer> =>
    authorization !== undefined
      ? connection.get(Buffer.from(`GET ${l.path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: ${authorization}\r\n\r\n`, "latin1"))
      : lookupClient === "raw"
        ? connection.get(l.request)
        : send("GET", l.path, l.token);
  /** The first answer of each application: position and total. */
  const answeredPositions = new Map<string, { position: number; total: number }>();
  let inconsistent = 0;
  let wrongAnswers = 0;
  /**
   * Each application's first answer and what checking it found. A later answer with the very same
   * body (byte for byte, without decoding it, when the raw client read it) is the same answer and
   * is counted alike without being parsed again: parsing every answer
   * (~2 KB of garbage each) gave this client scavenges of 14–28 ms that landed in the paced
   * latencies as if the service had paused (BENCHMARKS.md); hello-world's answers cost it nothing.
   */
  const checkedBodies = new Map<string, { body: string; bytes: Buffer | undefined; key: string; wrong: boolean }>();
  const checkLookup = (l: Lookup, answer: Answer): string => {
    if (answer.status !== 200) return `${answer.status} ${codeOf(answer)}`;
    const seen = checkedBodies.get(l.id);
    if (seen && (seen.bytes && answer.bytes ? seen.bytes.equals(answer.bytes) : seen.body === answer.body)) {
      if (seen.wrong) wrongAnswers++;
      return seen.key;
    }
    const p = JSON.parse(answer.body) as { applicationId?: unknown; position?: unknown; total?: unknown; source?: unknown };
    const { position, total } = p;
    let key: string;
    let wrong = false;
    if (p.applicationId !== l.id || typeof position !== "number" || typeof total !== "number" || !Number.isInteger(position) || position < 1 || position > total) {
      wrongAnswers++;
      wrong = true;
      key = "200 wrong answer";
    } else {
      const first = answeredPositions.get(l.id);
      if (!first) answeredPositions.set(l.id, { position, total });
      else if (first.position !== position || first.total !== total) inconsistent++;
      key = `200 ${String(p.source)}`;
    }
    // The bytes copied: the answer's are a view of what its socket read.
    if (!seen) checkedBodies.set(l.id, { body: answer.body, bytes: answer.bytes && Buffer.from(answer.bytes), key, wrong });
    return key;
  };
  /** A lookup that got no answer, as its phase's list of statuses names it. */
  const transportError = (error: unknown) => `transport error (${error instanceof Error ? error.message : String(error)})`;
  /** The measured rounds' answers, every level's; a warm-up's are checked alike but counted apart. */
  const lookupStatuses = new Map<string, number>();
  const lookupRun = async (connections: readonly RawHttpConnection[], seconds: number, latencies: number[], statuses = lookupStatuses): Promise<number> => {
    let next = 0;
    let done = 0;
    const stopAt = performance.now() + seconds * 1_000;
    await Promise.all(
      connections.map(async (connection) => {
        while (performance.now() < stopAt && lookups.length > 0) {
          const l = lookups[next++ % lookups.length]!;
          const started = performance.now();
          let key: string;
          try {
            const answer = await askAs(connection, l);
            latencies.push(performance.now() - started);
            key = checkLookup(l, answer);
          } catch (error) {
            key = transportError(error);
          }
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
          done++;
        }
      }),
    );
    return done;
  };
  // What any HTTP request costs on this machine, at the lookups' concurrency, and the lookups, in
  // alternating rounds: hello-world (a server kept running, autocannon) and the lookups take
  // turns, in the order AB BA AB…, and a level's figure is the median of its rounds' ratios.
  // Measured once before and once after the closed loop, hello-world moved by up to 70 % between
  // the two within one run and by half between runs while the lookups' rate moved by a tenth
  // (BENCHMARKS.md): a ratio of two figures taken minutes apart measured the machine's drift.
  //
  // At each level of `--lookup-concurrency` in turn (32, 64, 128 by default), both at the same
  // level, and the goal judged on the best level, as the registry's issuance rate is: a rate goal
  // is the service's capacity, which it reaches only with enough requests in flight. At 32 each
  // of the two workers holds 16 connections and finds ~1.7 requests per turn of its event loop
  // where hello-world, one process, finds ~30 (strace, BENCHMARKS.md): every turn's fixed cost
  // (epoll, timers, ticks, being woken) then falls on a request or two. Every level is shown.
  //
  // The machine's own stalls, from the rounds to the end of the paced lookups (lib/stalls.ts).
  const stallProbe = startStallProbe();
  const rounds = Math.max(2, Math.round(lookupSeconds / LOOKUP_ROUND_SECONDS));
  const roundSeconds = lookupSeconds / rounds;
  await settle(waiting);
  const helloKept = await startFastifyHello();
  progress(
    `position lookups (${lookupClient} client): warm-up, then at ${lookupLevels.join(", ")} in flight in turn, ${rounds} rounds of ${fmt(roundSeconds, 1)} s each, each beside a round of hello-world at the same level`,
  );
  // Warm-up: each family asks on four connections (both workers, whichever took which
  // connection), so that every worker has seen its token; then 2 s of the closed loop.
  const warmConnections = connectionsFor(4);
  await Promise.all(
    warmConnections.map(async (connection) => {
      for (const l of lookups) await askAs(connection, l);
    }),
  );
  await lookupRun(warmConnections, 2, [], new Map());
  for (const connection of warmConnections) connection.close();
  /** One level of the closed loop: its rounds beside hello-world's, what they cost, how long lookups took. */
  interface LookupLevel {
    concurrency: number;
    rounds: { hello: number; lookups: number }[];
    /** The median of the rounds' ratios (lookups ÷ hello-world): the goal's figure. */
    share: number;
    /** hello-world's median at this level. */
    hello: number;
    count: number;
    elapsed: number;
    rate: number;
    /** Sorted. */
    latencies: number[];
    cpu: CpuUse;
    redisCommands: number;
    /** Each lookup round's span (Date.now() scale), for the stalls within it. */
    windows: [number, number][];
  }
  const measuredLevels: LookupLevel[] = [];
  const redisClient = redis;
  try {
    for (const concurrency of lookupLevels) {
      const connections = connectionsFor(concurrency);
      // This level's connections opened and each worker's part of them warm before its rounds.
      await lookupRun(connections, 2, [], new Map());
      const latencies: number[] = [];
      const periods: [CpuSnapshot, CpuSnapshot][] = [];
      const windows: [number, number][] = [];
      const figures: { hello: number; lookups: number }[] = [];
      let count = 0;
      let elapsed = 0;
      let redisCommands = 0;
      for (let round = 0; round < rounds; round++) {
        const lookupsRound = async (): Promise<number> => {
          await settle(waiting);
          // Every command Redis ran meanwhile (INFO commandstats), the benchmark's own INFO calls aside.
          const commandsBefore = await redisCommandCount(redisClient);
          const before = await cpuSnapshot();
          const started = performance.now();
          const startedAt = Date.now();
          const done = await lookupRun(connections, roundSeconds, latencies);
          windows.push([startedAt, Date.now()]);
          const seconds = (performance.now() - started) / 1_000;
          periods.push([before, await cpuSnapshot()]);
          redisCommands += (await redisCommandCount(redisClient)) - commandsBefore - 1;
          count += done;
          elapsed += seconds;
          return done / seconds;
        };
        const helloTurn = async (): Promise<number> => {
          await settle(waiting);
          return helloRound(helloKept, { connections: concurrency, durationS: roundSeconds, warmupS: 1 });
        };
        if (round % 2 === 0) {
          const hello = await helloTurn();
          figures.push({ hello, lookups: await lookupsRound() });
        } else {
          const lookupsRate = await lookupsRound();
          figures.push({ hello: await helloTurn(), lookups: lookupsRate });
        }
      }
      for (const connection of connections) connection.close();
      latencies.sort((a, b) => a - b);
      measuredLevels.push({
        concurrency,
        rounds: figures,
        share: median(figures.map((f) => f.lookups / f.hello)),
        hello: median(figures.map((f) => f.hello)),
        count,
        elapsed,
        rate: count / elapsed,
        latencies,
        cpu: cpuOverPeriods(periods),
        redisCommands,
        windows,
      });
      progress(`${concurrency} in flight: ${pct(measuredLevels.at(-1)!.share)} of hello-world (median of ${rounds} rounds)`);
    }
  } finally {
    await helloKept.stop();
  }
  const bestLevel = measuredLevels.reduce((best, level) => (level.share > best.share ? level : best));
  const lookupShare = bestLevel.share;
  const helloRate = bestLevel.hello;
  const lookupRate = bestLevel.rate;
  ceilings = [
    ...ceilings,
    ...measuredLevels.map(
      (level): Ceiling => ({
        id: level === bestLevel ? "fastify.hello" : `fastify.hello.c${level.concurrency}`,
        ceiling: `Fastify hello-world (server in a child process), ${level.concurrency} connections${level === bestLevel ? ": the lookups' best level" : ""}`,
        figure: level.hello,
        unit: "req/s",
        settings: `median of ${rounds} rounds of autocannon -c ${level.concurrency} -p 1 -d ${fmt(roundSeconds, 1)} (each after 1 s warm-up), taking turns with the lookups' rounds: ${level.rounds.map((figures) => fmt(figures.hello)).join(", ")} /s`,
        details: { rounds, roundSeconds, concurrency: level.concurrency, ...Object.fromEntries(level.rounds.map((figures, i) => [`round${i + 1}`, figures.hello])) },
      }),
    ),
  ];

  // The latency goal: lookups at a fixed rate (open loop), each one's latency counted from the
  // moment it was due, so that waiting for a free connection or a busy service counts too. A
  // pool of connections as a crowd of families' phones would be; one that is busy is skipped.
  const pacedConnections = Array.from({ length: PACED_CONNECTIONS }, () => new RawHttpConnection(port));
  const pacedLatencies: number[] = [];
  const pacedStatuses = new Map<string, number>();
  progress(`position lookups at ${fmt(lookupPace)} /s for ${lookupPaceSeconds} s after ${PACED_WARMUP_SECONDS} s (open loop, up to ${PACED_CONNECTIONS} connections)`);
  await settle(waiting);
  const askPaced = (connection: RawHttpConnection, index: number) => {
    const l = lookups[index % lookups.length]!;
    return askAs(connection, l).then((answer) => ({ answer, l }));
  };
  // A warm-up on the same connections, as the machine's own tail below has (connections opened,
  // each accepted through the primary, and the route's code compiled): measured from cold, the
  // first 50 ms alone held a tenth of the answers above p99. Its answers are checked all the same.
  if (lookups.length > 0) {
    await pacedRun({
      connections: pacedConnections,
      rate: lookupPace,
      seconds: PACED_WARMUP_SECONDS,
      ask: askPaced,
      answered: ({ answer, l }) => void checkLookup(l, answer),
      failed: (error) => {
        const key = `warm-up ${transportError(error)}`;
        pacedStatuses.set(key, (pacedStatuses.get(key) ?? 0) + 1);
      },
    });
  }
  const pacedFrom = Date.now();
  const [pacedSent, pacedCpu] = await withCpu(() =>
    lookups.length === 0
      ? Promise.resolve(0)
      : pacedRun({
          connections: pacedConnections,
          rate: lookupPace,
          seconds: lookupPaceSeconds,
          ask: askPaced,
          answered: ({ answer, l }, latencyMs) => {
            pacedLatencies.push(latencyMs);
            const key = checkLookup(l, answer);
            pacedStatuses.set(key, (pacedStatuses.get(key) ?? 0) + 1);
          },
          failed: (error) => {
            const key = transportError(error);
            pacedStatuses.set(key, (pacedStatuses.get(key) ?? 0) + 1);
          },
        }),
  );
  const pacedTo = Date.now();
  const { measured: stallsMeasured, stalls } = await stallProbe.stop();
  for (const connection of pacedConnections) connection.close();
  pacedLatencies.sort((a, b) => a - b);
  const stallsIn = (windows: readonly (readonly [number, number])[]) =>
    stallsMeasured ? windows.map(([from, to]) => stallsLine(stalls, from, to)).join("; ") : "not measured (the probe needs root for its real-time priority)";

  // The answers against Postgres (after the measurement): in each group every application asked
  // got the group's queue length as its total and a position no other got.
  const queueSizes = new Map(
    (await pool.query<{ groupId: string; n: number }>(`SELECT group_id AS "groupId", count(*)::int AS n FROM applications WHERE status IN ('awaiting_financing', 'queued') GROUP BY group_id`)).rows.map(
      (r) => [r.groupId, r.n],
    ),
  );
  const groupOfApplication = new Map(lookups.map((l) => [l.id, groupIds[groupOf(l.child)]!]));
  const positionsTaken = new Map<string, Set<number>>();
  let wrongTotals = 0;
  let positionsTwice = 0;
  for (const [id, { position, total }] of answeredPositions) {
    const groupId = groupOfApplication.get(id)!;
    if (total !== queueSizes.get(groupId)) wrongTotals++;
    let taken = positionsTaken.get(groupId);
    if (!taken) positionsTaken.set(groupId, (taken = new Set()));
    if (taken.has(position)) positionsTwice++;
    taken.add(position);
  }
  // Who is answered, now that the process knows every application: another family never, the
  // municipality's office with the family's answer, another municipality's office never.
  const operator = await bearerFor({ subject: "bench-operator", role: "operator", municipalityId });
  const foreignOperator = await bearerFor({ subject: "bench-foreign-operator", role: "operator", municipalityId: randomUUID() });
  const authSample = lookups.length > 1 ? lookups.slice(0, 200) : [];
  let strangerRefused = 0;
  let officeAnswered = 0;
  let foreignRefused = 0;
  const probe = new RawHttpConnection(port);
  for (const [n, l] of authSample.entries()) {
    const stranger = await askAs(probe, l, lookups[(n + 1) % lookups.length]!.token);
    if (stranger.status === 403 && codeOf(stranger) === "ENROLLMENT.NOT_YOUR_CHILD") strangerRefused++;
    const office = await askAs(probe, l, operator);
    const officePosition = office.status === 200 ? (JSON.parse(office.body) as { position?: unknown }).position : undefined;
    if (officePosition !== undefined && officePosition === answeredPositions.get(l.id)?.position) officeAnswered++;
    const foreign = await askAs(probe, l, foreignOperator);
    if (foreign.status === 403 && codeOf(foreign) === "AUTH.OTHER_MUNICIPALITY") foreignRefused++;
  }
  probe.close();
  await settle(waiting);
  // The floor of any request to this service: its /livez (public, outside the rate limit, no
  // work) through the same kit, workers and log as a lookup, by hello-world's client at the same
  // concurrency (the lookups' best level). What hello-world does not have and a lookup does not
  // do: the kit's hooks, the headers, the access line, the histogram, two workers.
  const [livez, livezCpu] = await withCpu(() => measureRoute(`http://127.0.0.1:${port}/livez`, bestLevel.concurrency));
  await settle(waiting);
  // The bound of a lookup built as ours is (a rate-limit count, then a position script, each a
  // Redis round trip), and of one with a single round trip: hello-world doing only that.
  const [helloTwoScripts] = await measured(() => measureFastifyHello({ connections: bestLevel.concurrency, redisScripts: 2 }));
  const [helloOneScript] = await measured(() => measureFastifyHello({ connections: bestLevel.concurrency, redisScripts: 1 }));
  ceilings = [...ceilings, ...[helloTwoScripts, helloOneScript].filter((ceiling) => ceiling !== undefined)];
  const twoScriptsRate = helloTwoScripts?.figure ?? Number.NaN;
  const oneScriptRate = helloOneScript?.figure ?? Number.NaN;
  // The machine's own tail at the paced rate: hello-world in as many processes as our workers,
  // asked by the same open loop and client.
  const [helloPaced] = await measured(() => measureFastifyHelloPaced({ rate: lookupPace, seconds: lookupPaceSeconds, connections: PACED_CONNECTIONS, workers }));
  if (helloPaced) ceilings = [...ceilings, helloPaced];
  // And a server of the lookups' cost: hello-world with the CPU a lookup costs the service beyond
  // what a hello-world request costs, spent in each request, at the same rate by the same client.
  // Its tail is what the machine gives a request of that cost and nothing else: near or above
  // ours, the paced tail is the lookup's CPU (only cutting it helps); far below ours, something
  // of the service's own (a pause, a burst of work) adds to it.
  const lookupMicros = pacedSent > 0 ? (pacedCpu.children * 1e6) / (pacedSent / lookupPaceSeconds) : 0;
  const helloMicros = Number(helloPaced?.details?.serverMicros ?? Number.NaN);
  const [helloPacedAtCost] =
    helloPaced && lookupMicros > helloMicros
      ? await measured(() =>
          measureFastifyHelloPaced({ rate: lookupPace, seconds: lookupPaceSeconds, connections: PACED_CONNECTIONS, workers, burnMicros: lookupMicros - helloMicros }),
        )
      : [undefined];
  if (helloPacedAtCost) ceilings = [...ceilings, helloPacedAtCost];
  const lookupsCorrect =
    answeredPositions.size > 0 &&
    wrongAnswers === 0 &&
    inconsistent === 0 &&
    wrongTotals === 0 &&
    positionsTwice === 0 &&
    strangerRefused === authSample.length &&
    officeAnswered === authSample.length &&
    foreignRefused === authSample.length;

  // Figures.
  submitLatencies.sort((a, b) => a - b);
  retryLatencies.sort((a, b) => a - b);
  const answered = answeredAt.length;
  const sorted = [...answeredAt].sort((a, b) => a - b);
  const lastAnswer = sorted.at(-1) ?? 0;
  const windowFrom = 5_000;
  const inWindow = sorted.filter((t) => t >= windowFrom).length;
  const sustained = lastAnswer > windowFrom ? inWindow / ((lastAnswer - windowFrom) / 1_000) : answered / (lastAnswer / 1_000);
  const offered = schedule.length / durationS;
  // Backlog: scheduled but not yet answered, each second.
  const backlog: number[] = [];
  for (let s = 1, a = 0, q = 0; s <= Math.ceil(lastAnswer / 1_000) && s < 3_600; s++) {
    while (q < schedule.length && schedule[q]!.at <= s * 1_000) q++;
    while (a < sorted.length && sorted[a]! <= s * 1_000) a++;
    backlog.push(q - a);
  }
  const maxBacklog = Math.max(0, ...backlog);
  const backlogAtEnd = backlog[Math.min(backlog.length, durationS) - 1] ?? 0;
  const fiveHundreds = [...refusals].filter(([k]) => Number(k.slice(0, 3)) >= 500 && !(k.startsWith("503 ") && !k.includes("no Retry-After")));
  const badRefusals = [...refusals].filter(([k]) => (k.startsWith("429") || k.startsWith("503")) && k.includes("no Retry-After"));
  const unexpectedFirst = outcomes.filter((o) => !o || (o.status !== 201 && !(o.status === 409 && o.code.endsWith("ALREADY_APPLYING_TO_PROGRAM")))).length;
  const duplicatesRefused = [...duplicateOutcomes.values()].filter((o) => o.status === 409 && o.code.endsWith("ALREADY_APPLYING_TO_PROGRAM")).length;
  const noneLost = childrenAccepted === children && found === acceptedIds.length && failures.length === 0;
  const noneDuplicated = accepted === childrenAccepted && inPostgres === childrenAccepted && twice === 0;
  const indexEqual = checked.mismatches.length === 0 && checked.entries === inPostgres && redisEntries === inPostgres;
  const cpuLine = (cpu: CpuUse, rate: number, what: string) =>
    [
      `enrollment ${fmt(cpu.children, 2)} (${fmt((cpu.children * 1e6) / rate)} µs/${what})`,
      `client ${fmt(cpu.benchProcess, 2)} (${fmt((cpu.benchProcess * 1e6) / rate)} µs)`,
      `Postgres ${fmt(cpu.postgres, 2)} (${fmt((cpu.postgres * 1e6) / rate)} µs)`,
      `Redis ${fmt(cpu.redis, 2)} (${fmt((cpu.redis * 1e6) / rate)} µs)`,
      `Kafka ${fmt(cpu.kafka, 2)}, irq ${fmt(cpu.irq, 2)}, other load ${fmt(cpu.other, 2)}${cpu.other > DISTURBED_CORES ? " DISTURBED" : ""}`,
    ].join("; ");
  const lat = (xs: readonly number[]) => `p50 ${fmt(percentile(xs, 50), 1)} ms, p95 ${fmt(percentile(xs, 95), 1)} ms, p99 ${fmt(percentile(xs, 99), 1)} ms, max ${fmt(xs.at(-1) ?? Number.NaN, 1)} ms`;
  const list = (m: Map<string, number>) => [...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${fmt(n)} × ${k}`).join(", ");

  const results: Table = {
    headers: ["measure", "figure", "goal", "result"],
    rows: [
      [
        "submissions answered",
        `${fmt(answered)} of ${fmt(schedule.length)} scheduled (offered ${fmt(offered)} /s) in ${fmt(firstAnswerSeconds, 1)} s: ${list(statuses)}${failures.length ? `; ${failures.length} transport errors (${failures[0]})` : ""}`,
        "info",
        "",
      ],
      ["surge: answers/s from 5 s to the last answer (at most the offered rate)", `${fmt(sustained)} /s against ${fmt(offered)} /s offered; ${fmt(surgeCommits)} commits in the database (${fmt(surgeCommits / Math.max(1, answered), 2)} per answer)`, "info", ""],
      ["backlog (scheduled, not yet answered)", `max ${fmt(maxBacklog)}; ${fmt(backlogAtEnd)} at ${Math.min(backlog.length, durationS)} s; last answer ${fmt(lastAnswer / 1_000, 1)} s after the start (schedule ends at ${durationS} s)`, "info", ""],
      ["latency from the scheduled time (submissions)", lat(submitLatencies), "info", ""],
      ["latency of retries (from their sending)", lat(retryLatencies), "info", ""],
      ["non-2xx answers (each attempt)", refusals.size ? list(refusals) : "none", "info", ""],
      ["lost: every child accepted once, every 201 in Postgres", `${fmt(childrenAccepted)} of ${fmt(children)} children accepted; ${fmt(found)} of ${fmt(acceptedIds.length)} ids found; ${fmt(unexpectedFirst)} first submissions neither 201 nor 409 duplicate`, "0 lost", noneLost && unexpectedFirst === 0 ? "PASS" : "FAIL"],
      ["duplicated: applications in Postgres, (child, group) twice", `${fmt(inPostgres)} applications for ${fmt(childrenAccepted)} accepted children; ${fmt(twice)} pairs twice; ${fmt(duplicatesRefused)} of ${fmt(duplicateOutcomes.size)} duplicates 409 ALREADY_APPLYING_TO_PROGRAM`, "0 duplicated", noneDuplicated ? "PASS" : "FAIL"],
      ["retries replay the first answer", `${fmt(retryReplayed)} of ${fmt(retried.size)} replayed; ${fmt(retryProblems)} differed`, "all", retryProblems === 0 && retryReplayed === retried.size ? "PASS" : "FAIL"],
      ["5xx other than 503 with Retry-After; 429/503 without it", fiveHundreds.length + badRefusals.length ? list(new Map([...fiveHundreds, ...badRefusals])) : "none", "none", fiveHundreds.length + badRefusals.length === 0 ? "PASS" : "FAIL"],
      ["outbox and queue index drained after the surge", `${fmt(drainSeconds, 1)} s; ${fmt(unpublished)} unpublished, ${fmt(dirty)} dirty groups left; ${fmt(submittedEvents)} submitted events`, `0, 0, ${fmt(inPostgres)}`, unpublished === 0 && dirty === 0 && submittedEvents === inPostgres ? "PASS" : "FAIL"],
      ["Redis queue index equals Postgres (GET /queues/check, ZCARD)", `${fmt(checked.groups)} groups, ${fmt(checked.entries)} entries, ${checked.mismatches.length} mismatches; ZCARD sum ${fmt(redisEntries)}`, "equal", indexEqual ? "PASS" : "FAIL"],
      ["CPU during the surge (cores busy; per answered submission)", cpuLine(surgeCpu, answered / surgeSeconds, "submission"), "info", ""],
      [
        `sustained submit rate (closed loop, ${fmt(capacityConcurrency)} in flight: new applications/s after ${fmt(capacityWarmup / 1_000, 1)} s warm-up)`,
        `${fmt(capacityRate)} /s = ${pct(capacityRate / pgbenchCeiling)} of ${fmt(pgbenchCeiling)} tx/s; ${fmt(capacityNew)} new in ${fmt(capacityElapsed, 1)} s, ${fmt(capacityRequestRate)} requests/s with duplicates and retries: ${list(capacityStatuses)}`,
        "≥ 40 % of pgbench app+outbox",
        capacityRate / pgbenchCeiling >= 0.4 ? "PASS" : "FAIL",
      ],
      ["capacity: latency of each request", `${lat(capacityLatencies)}; non-2xx ${capacityRefusals.size ? list(capacityRefusals) : "none"}; ${fmt(capacityCommits)} commits in the database (${fmt(capacityCommits / Math.max(1, capacityNew), 2)} per new application)`, "info", ""],
      [
        "capacity: nothing lost or doubled, retries replayed, outbox and index caught up",
        `${fmt(capacityChildrenAccepted)} of ${fmt(capacityFirst.size)} children accepted, ${fmt(capacityFound)} of ${fmt(capacityIds.length)} ids found, ${fmt(capacityInPostgres)} applications of theirs; ${fmt(twiceAfterCapacity)} pairs twice; ${fmt(capacityDuplicatesRefused)} of ${fmt(capacityDuplicateOutcomes.size)} duplicates 409; ${fmt(capacityReplayed)} of ${fmt(capacityRetriedSent)} retries replayed (${fmt(capacityRetryProblems)} differed); drained in ${fmt(capacityDrain.seconds, 1)} s (${fmt(capacityDrain.unpublished)} unpublished, ${fmt(capacityDrain.dirty)} dirty); ${capacityChecked.mismatches.length} index mismatches${capacityFailures.length ? `; ${capacityFailures.length} transport errors (${capacityFailures[0]})` : ""}`,
        "all",
        capacityCorrect ? "PASS" : "FAIL",
      ],
      ["CPU during the capacity run (cores busy; per new application)", cpuLine(capacityCpu, capacityNew / capacityElapsed, "application"), "info", ""],
      ...measuredLevels.flatMap((level): [string, string, string, string][] => [
        [
          `position lookups, closed loop, ${level.concurrency} in flight`,
          `${pct(level.share)} of Fastify hello-world at ${level.concurrency} connections, the median of ${level.rounds.length} rounds' ratios (lookups /s ÷ hello-world /s, taking turns: ${level.rounds.map((figures) => `${fmt(figures.lookups)} ÷ ${fmt(figures.hello)} = ${pct(figures.lookups / figures.hello)}`).join("; ")}); ${fmt(level.count)} in ${fmt(level.elapsed, 1)} s = ${fmt(level.rate)} /s (${pct(level.rate / zrankCeiling)} of ZRANK ${fmt(zrankCeiling)} /s); latency ${lat(level.latencies)}`,
          "info",
          "",
        ],
        [`${level.concurrency} in flight: CPU (cores busy; per lookup)`, cpuLine(level.cpu, level.rate, "lookup"), "info", ""],
        [`${level.concurrency} in flight: the machine's own stalls in each lookup round (a real-time probe per core, waking every 1 ms)`, stallsIn(level.windows), "info", ""],
        [
          `${level.concurrency} in flight: Redis commands per lookup (INFO commandstats, every client)`,
          `${fmt(level.redisCommands / Math.max(level.count, 1), 2)} (${fmt(level.redisCommands)} commands for ${fmt(level.count)} lookups: rate-limit batches, position scripts of changed groups, the workers' own rounds)`,
          "info",
          "",
        ],
      ]),
      [
        "position lookups, closed loop: the best level's ratio to hello-world at the same level",
        `${pct(lookupShare)} at ${bestLevel.concurrency} in flight (${fmt(lookupRate)} /s against hello-world's ${fmt(helloRate)} /s); every level: ${measuredLevels.map((level) => `${level.concurrency} → ${pct(level.share)}`).join(", ")}; answers ${list(lookupStatuses)}`,
        "≥ 40 % of hello-world",
        lookupShare >= 0.4 ? "PASS" : "FAIL",
      ],
      [
        "the bound of a lookup with two Redis round trips (hello-world running two scripts per request; one script beside it)",
        `two scripts ${fmt(twoScriptsRate)} /s = ${pct(twoScriptsRate / helloRate)} of hello-world; one script ${fmt(oneScriptRate)} /s = ${pct(oneScriptRate / helloRate)}; our lookups reach ${pct(lookupRate / twoScriptsRate)} of the two-script bound`,
        "info",
        "",
      ],
      [
        `the service's own floor: its /livez (no token, no rate limit, no work), closed loop, ${bestLevel.concurrency} in flight`,
        `${fmt(livez.rate)} /s = ${pct(livez.rate / helloRate)} of hello-world (${livez.settings}); our lookups reach ${pct(lookupRate / livez.rate)} of it; ${cpuLine(livezCpu, livez.rate, "request")}`,
        "info",
        "",
      ],
      [
        `position lookups at ${fmt(lookupPace)} /s (open loop, ${workers} workers, after ${PACED_WARMUP_SECONDS} s; latency from when each was due)`,
        `${fmt(pacedLatencies.length)} of ${fmt(pacedSent)} answered: ${lat(pacedLatencies)}; ${list(pacedStatuses)}`,
        "p99 ≤ 10 ms",
        pacedLatencies.length === pacedSent && percentile(pacedLatencies, 99) <= 10 ? "PASS" : "FAIL",
      ],
      ["the machine's own stalls during the paced lookups (the same probe)", stallsIn([[pacedFrom, pacedTo]]), "info", ""],
      [
        "the machine's own tail at that rate (hello-world, same client and loop)",
        helloPaced ? `${helloPaced.settings}; our p99 is ${fmt(percentile(pacedLatencies, 99) / helloPaced.figure, 1)} × its p99` : "not measured",
        "info",
        "",
      ],
      ["CPU during paced lookups (cores busy; per lookup)", cpuLine(pacedCpu, pacedSent / lookupPaceSeconds, "lookup"), "info", ""],
      [
        "the machine's tail for a request of a lookup's cost (hello-world spending the lookup's CPU beyond its own in each request; same rate, client and loop)",
        helloPacedAtCost
          ? `${helloPacedAtCost.settings}; a lookup ${fmt(lookupMicros)} µs, a hello-world request ${fmt(helloMicros)} µs; our p99 is ${fmt(percentile(pacedLatencies, 99) / helloPacedAtCost.figure, 1)} × its p99`
          : "not measured",
        "info",
        "",
      ],
      [
        "position answers: right, and only to the family and its municipality's office",
        `${fmt(answeredPositions.size)} applications answered: ${fmt(wrongAnswers)} wrong, ${fmt(inconsistent)} changed, ${fmt(wrongTotals)} totals ≠ Postgres queue, ${fmt(positionsTwice)} positions given twice; of ${fmt(authSample.length)} asked again: ${fmt(strangerRefused)} refused to another family, ${fmt(officeAnswered)} answered alike to the office, ${fmt(foreignRefused)} refused to another municipality's office`,
        "all",
        lookupsCorrect ? "PASS" : "FAIL",
      ],
    ],
  };
  const settings = [
    `${fmt(children)} children (one guardian token each), ${fmt(groupCount)} groups of free programs in one municipality; open loop: ${fmt(burst)} first submissions in the first second,`,
    `the rest evenly to ${durationS} s; ${fmt(duplicates)} duplicates (same child and group, new Idempotency-Key, 0.2-5 s after the first), ${fmt(retries)} retries`,
    `(same key, sent when the first answer arrived); 429/503/409-in-progress with Retry-After waited out and sent again (≤ ${MAX_BACKOFFS} times).`,
    `One client process, node:http keep-alive, ≤ ${sockets} sockets (more requests wait in the client, counted in the latency from the scheduled time).`,
    `Capacity: ${fmt(capacityChildren)} other children, closed loop with ${fmt(capacityConcurrency)} in flight for ≤ ${capacitySeconds} s, the same shares of duplicates (a new key, a little later in the list) and retries (same key, on the answer).`,
    `Enrollment as ${workers === 1 ? "one process with its outbox relay, consumers and queue syncer" : `${workers} worker processes sharing its port (WORKERS=${workers}), each with its own outbox relay, consumers and queue syncer`}; rate limit as configured (600/min per subject); lookups ${lookupLevels.join(", ")} in flight in turn (${lookupClient === "raw" ? "one hand-parsed keep-alive HTTP/1.1 connection each" : "node:http keep-alive agent"}).`,
  ].join(" ");
  const machineTable: Table = { headers: ["machine", ""], rows: machineRows(machine) };
  const markdown = printRun(`Enrollment: opening-day surge, ${new Date().toISOString()}`, [
    "Ceilings:",
    ceilingsTable(ceilings),
    results,
    settings,
    machineTable,
  ]);
  const files = await writeResults(
    "enrollment",
    {
      ceilings,
      settings: { children, durationS, burst, groupCount, duplicates, retries, sockets, capacityChildren, capacitySeconds, capacityConcurrency, lookupLevels, lookupSeconds, workers },
      surge: { seconds: surgeSeconds, answered, sustained, offered, maxBacklog, backlog, commits: surgeCommits, statuses: Object.fromEntries(statuses), refusals: Object.fromEntries(refusals), failures: failures.slice(0, 20) },
      capacity: {
        seconds: capacityElapsed,
        newApplications: capacityNew,
        rate: capacityRate,
        requestRate: capacityRequestRate,
        ofPgbench: capacityRate / pgbenchCeiling,
        commits: capacityCommits,
        latency: { p50: percentile(capacityLatencies, 50), p95: percentile(capacityLatencies, 95), p99: percentile(capacityLatencies, 99) },
        statuses: Object.fromEntries(capacityStatuses),
        refusals: Object.fromEntries(capacityRefusals),
        verification: { childrenAccepted: capacityChildrenAccepted, found: capacityFound, inPostgres: capacityInPostgres, twice: twiceAfterCapacity, replayed: capacityReplayed, retried: capacityRetriedSent, drain: capacityDrain, mismatches: capacityChecked.mismatches.length },
        failures: capacityFailures.slice(0, 20),
      },
      latencies: {
        submit: { p50: percentile(submitLatencies, 50), p95: percentile(submitLatencies, 95), p99: percentile(submitLatencies, 99) },
        retry: { p50: percentile(retryLatencies, 50), p99: percentile(retryLatencies, 99) },
        lookup: Object.fromEntries(
          measuredLevels.map((level) => [`c${level.concurrency}`, { p50: percentile(level.latencies, 50), p95: percentile(level.latencies, 95), p99: percentile(level.latencies, 99) }]),
        ),
        pacedLookup: { rate: lookupPace, sent: pacedSent, answered: pacedLatencies.length, p50: percentile(pacedLatencies, 50), p95: percentile(pacedLatencies, 95), p99: percentile(pacedLatencies, 99) },
      },
      verification: { childrenAccepted, accepted, inPostgres, found, twice, submittedEvents, unpublished, dirty, check: checked, redisEntries },
      lookups: {
        client: lookupClient,
        best: bestLevel.concurrency,
        rate: lookupRate,
        ofHello: lookupShare,
        levels: measuredLevels.map(({ concurrency, rounds: figures, share, hello, count, elapsed, rate, cpu, redisCommands }) => ({ concurrency, rounds: figures, share, hello, count, elapsed, rate, cpu, redisCommands })),
        statuses: Object.fromEntries(lookupStatuses),
        verification: { answered: answeredPositions.size, wrongAnswers, inconsistent, wrongTotals, positionsTwice, asked: authSample.length, strangerRefused, officeAnswered, foreignRefused },
      },
      cpu: { surge: surgeCpu, capacity: capacityCpu, lookups: bestLevel.cpu },
      machine,
    },
    markdown,
  );
  progress(`wrote ${files.join(", ")}`);
} finally {
  agent.destroy();
  await pool?.end();
  await stopChild(service);
  await dropDatabase(env.databaseUrl, database).catch(() => undefined);
  await deleteServiceTopics(env, database).catch(() => undefined);
  // The queue index's keys (the service's own prefix); rate-limit counters expire on their own.
  redis ??= new Redis(env.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  try {
    if (redis.status === "wait") await redis.connect();
    let cursor = "0";
    let rounds = 0;
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${keyPrefix}*`, "COUNT", 1_000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== "0" && ++rounds < 100_000);
  } catch {
    // `bash test/bench/run clean` removes bench:* keys a failed cleanup left.
  } finally {
    redis.disconnect();
  }
}

/** How many commands Redis has run since it started, every client's (INFO commandstats). */
async function redisCommandCount(client: Redis): Promise<number> {
  const info = await client.info("commandstats");
  let total = 0;
  for (const match of info.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)) total += Number(match[1]);
  return total;
}

/** A route of the service under test in a closed loop, run as hello-world's is (`autocannonRun`: 2 s warm-up, then 10 s). */
async function measureRoute(url: string, connections: number): Promise<{ rate: number; settings: string }> {
  const result = await autocannonRun(url, { connections });
  return { rate: result.requests.average, settings: `autocannon -c ${connections} -d 10 after 2 s; p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms` };
}

/** The middle of `values` (the mean of the middle two when they are even in number). */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const half = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? Number.NaN : sorted.length % 2 === 1 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2;
}
