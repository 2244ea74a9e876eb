// Enrollment's opening-day surge through HTTP (issue #6): `bash test/bench/run enrollment`.
//
//   tsx test/bench/enrollment/main.ts [--ceilings <ceilings-*.json>] [--applications N] [--duration S]
//       [--burst N] [--groups N] [--duplicates F] [--retries F] [--sockets N]
//       [--lookup-concurrency N] [--lookup-seconds S]
//
// Enrollment runs as its own process (src/main.ts: HTTP, outbox relay to Kafka, consumers, the
// Redis queue syncer) on a scratch database and a scratch Redis key prefix. Its reference data
// (a municipality with its year's rules, one certificate per child, 500 groups of free programs)
// is written with SQL into its read-model tables once it has migrated (what its consumers would
// write from the registry's and the catalogue's events; their delivery is not what is measured).
// Then one client process sends POST /applications on an open-loop schedule: `burst` in the first
// second, the rest evenly until `duration`; a share of children submit twice (same group, a new
// Idempotency-Key: the second must get 409) and a share of answers are lost and the request sent
// again (same key: the first answer must come back replayed). Every child applies as its own
// guardian, so the service's per-subject rate limit stays on, as in production. Afterwards
// position lookups at fixed concurrency, next to redis-benchmark ZRANK measured in the same run.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Agent, request as httpRequest } from "node:http";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { DEV_AUTH_SECRET, signDevToken } from "@kruzhok/http";
import { createPool, dropDatabase, withDatabase, type Pool } from "@kruzhok/postgres";
import { ceilingsTable, figureOf, measurePgbenchAppOutbox, measureRedisSortedSet, measured, scratchId, type Ceiling } from "../ceilings/measure";
import { DISTURBED_CORES, settle, withCpu, type CpuUse } from "../lib/cpu";
import { benchEnv } from "../lib/env";
import { describeMachine, machineRows } from "../lib/machine";
import { stopChild } from "../lib/proc";
import { deleteServiceTopics, freePort, spawnService, waitReady } from "../lib/service";
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
    "lookup-concurrency": { type: "string", default: "32" },
    "lookup-seconds": { type: "string", default: "20" },
  },
});
const children = Number(args.applications);
const durationS = Number(args.duration);
const burst = Math.min(children, Number(args.burst));
const groupCount = Number(args.groups);
const duplicateShare = Number(args.duplicates);
const retryShare = Number(args.retries);
const sockets = Number(args.sockets);
const lookupConcurrency = Number(args["lookup-concurrency"]);
const lookupSeconds = Number(args["lookup-seconds"]);
for (const [name, value] of Object.entries({ children, durationS, groupCount, sockets, lookupConcurrency, lookupSeconds })) {
  if (!(Number.isInteger(value) && value > 0)) throw new Error(`${name} must be a positive integer`);
}
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

/** Deterministic pseudo-random numbers (mulberry32), so every run sends the same schedule. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const id = scratchId();
const database = `bench_enrollment_${id}`;
const keyPrefix = `bench:${id}:enrollment:`;
const port = await freePort();
// The service's own per-guardian limit stays: each simulated family is its own caller.
const service = spawnService("enrollment", env, database, port, { REDIS_KEY_PREFIX: keyPrefix, RATE_LIMIT_PER_MINUTE: "600" });

interface Answer {
  status: number;
  body: string;
  replayed: boolean;
  retryAfter: string | undefined;
}

const agent = new Agent({ keepAlive: true, maxSockets: sockets });
const statuses = new Map<string, number>();
const count = (what: string) => statuses.set(what, (statuses.get(what) ?? 0) + 1);
/** Non-2xx answers by code, and 5xx/429/503 whether they came with Retry-After. */
const refusals = new Map<string, number>();
const countRefusal = (what: string) => refusals.set(what, (refusals.get(what) ?? 0) + 1);

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

/** A well-behaved client: on 429/503 (or 409 "first request still running") it waits Retry-After and sends again, same key. */
async function sendPatiently(method: "GET" | "POST", path: string, authorization: string, body?: string, key?: string): Promise<Answer> {
  for (let attempt = 0; ; attempt++) {
    const answer = await send(method, path, authorization, body, key);
    const code = answer.status >= 400 ? codeOf(answer) : "";
    if (answer.status >= 400) countRefusal(`${answer.status} ${code}${answer.status >= 429 && answer.retryAfter === undefined ? " (no Retry-After)" : ""}`);
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
  const timeZone = "Asia/Yekaterinburg";
  const year = Number(new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric" }).format(new Date()));
  const municipalityId = randomUUID();
  progress(`writing reference data: ${fmt(groupCount)} groups, ${fmt(children)} children with certificates`);
  await pool.query("INSERT INTO municipalities (id, time_zone, updated_at) VALUES ($1, $2, now())", [municipalityId, timeZone]);
  await pool.query(
    `INSERT INTO municipality_years (municipality_id, year, categories, max_open_applications, offer_acceptance_days, provider_review_working_days)
     VALUES ($1, $2, ARRAY['orphan', 'large_family'], 5, 5, 3)`,
    [municipalityId, year],
  );
  const groupIds = Array.from({ length: groupCount }, () => randomUUID());
  await pool.query(
    `INSERT INTO groups (id, municipality_id, program_id, provider_id, capacity, time_zone, slots, starts_on, ends_on, age_min, age_max,
                         funding_kind, accepting, status, updated_at)
     SELECT g, $2, gen_random_uuid(), gen_random_uuid(), 30, $3, '[{"weekday":2,"start":"15:00","end":"16:30"}]'::jsonb,
            make_date($4 + 1, 1, 12), make_date($4 + 1, 5, 31), 6, 14, 'free', true, 'open', now()
       FROM unnest($1::uuid[]) AS g`,
    [groupIds, municipalityId, timeZone, year],
  );
  const childIds = Array.from({ length: children }, () => randomUUID());
  const guardianIds = Array.from({ length: children }, () => randomUUID());
  for (let from = 0; from < children; from += 10_000) {
    const c = childIds.slice(from, from + 10_000);
    const g = guardianIds.slice(from, from + 10_000);
    await pool.query(
      `WITH input AS (SELECT * FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS t(child, guardian, n)),
       cert AS (
         INSERT INTO certificates (id, municipality_id, child_id, number, birth_year, status, funding, updated_at)
         SELECT gen_random_uuid(), $3, child, 'BENCH-' || ($5 + n), $4 - 9, 'active', 'accounting', now() FROM input
       ), kid AS (
         INSERT INTO children (id, updated_at) SELECT child, now() FROM input
       ), cat AS (
         INSERT INTO child_categories (child_id, code) SELECT child, 'large_family' FROM input WHERE ($5 + n) % 10 = 0
       )
       INSERT INTO child_guardians (child_id, guardian_id) SELECT child, guardian FROM input`,
      [c, g, municipalityId, year, from],
    );
  }
  await pool.query("ANALYZE");

  progress("signing one guardian token per child");
  const tokens: string[] = [];
  for (let i = 0; i < children; i++) {
    const token = await signDevToken(
      { subject: `bench-guardian-${i}`, role: "guardian", municipalityId, guardianId: guardianIds[i]! },
      { secret: DEV_AUTH_SECRET, ttl: "2h" },
    );
    tokens.push(`Bearer ${token}`);
  }
  const region = `Bearer ${await signDevToken({ subject: "bench-region", role: "region" }, { secret: DEV_AUTH_SECRET, ttl: "2h" })}`;

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
  const [surgeSeconds, surgeCpu] = await withCpu(surge);
  const firstAnswerSeconds = Math.max(...answeredAt) / 1_000;

  // Drain: the relay publishes the outbox, the syncer copies changed queues to Redis.
  progress("waiting for the outbox to be published and the queue index to catch up");
  const drainStarted = performance.now();
  let unpublished = -1;
  let dirty = -1;
  for (let round = 0; round < 240; round++) {
    unpublished = Number((await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL")).rows[0]?.n);
    dirty = Number((await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM queue_dirty")).rows[0]?.n);
    if (unpublished === 0 && dirty === 0) break;
    await sleep(500);
  }
  const drainSeconds = (performance.now() - drainStarted) / 1_000;

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

  // Position lookups: every accepted application's guardian asks, round robin, fixed concurrency.
  const lookups = [...outcomes.keys()].flatMap((i) => {
    const o = outcomes[i]?.status === 201 ? outcomes[i] : duplicateOutcomes.get(i);
    return o?.id ? [{ token: tokens[i]!, path: `/applications/${o.id}/position` }] : [];
  });
  const lookupStatuses = new Map<string, number>();
  const lookupRun = async (seconds: number, latencies: number[]): Promise<number> => {
    let next = 0;
    let done = 0;
    const stopAt = performance.now() + seconds * 1_000;
    await Promise.all(
      Array.from({ length: lookupConcurrency }, async () => {
        while (performance.now() < stopAt && lookups.length > 0) {
          const l = lookups[next++ % lookups.length]!;
          const started = performance.now();
          const answer = await send("GET", l.path, l.token);
          latencies.push(performance.now() - started);
          const key = `${answer.status}${answer.status === 200 ? ` ${(JSON.parse(answer.body) as { source: string }).source}` : ` ${codeOf(answer)}`}`;
          lookupStatuses.set(key, (lookupStatuses.get(key) ?? 0) + 1);
          done++;
        }
      }),
    );
    return done;
  };
  progress(`position lookups: 2 s warm-up, then ${lookupSeconds} s at ${lookupConcurrency} in flight`);
  await lookupRun(2, []);
  lookupStatuses.clear();
  await settle(waiting);
  const lookupLatencies: number[] = [];
  const lookupStarted = performance.now();
  const [lookupCount, lookupCpu] = await withCpu(() => lookupRun(lookupSeconds, lookupLatencies));
  const lookupRate = lookupCount / ((performance.now() - lookupStarted) / 1_000);
  lookupLatencies.sort((a, b) => a - b);

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
      ["sustained submit rate (answers/s from 5 s to the last answer)", `${fmt(sustained)} /s = ${pct(sustained / pgbenchCeiling)} of ${fmt(pgbenchCeiling)} tx/s`, "≥ 40 % of pgbench app+outbox", sustained / pgbenchCeiling >= 0.4 ? "PASS" : "FAIL"],
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
      ["position lookups", `${fmt(lookupCount)} in ${lookupSeconds} s = ${fmt(lookupRate)} /s = ${pct(lookupRate / zrankCeiling)} of ZRANK ${fmt(zrankCeiling)} /s; ${list(lookupStatuses)}`, "≥ 50 % of raw ZRANK", lookupRate / zrankCeiling >= 0.5 ? "PASS" : "FAIL"],
      ["position lookup latency", lat(lookupLatencies), "p99 ≤ 10 ms", percentile(lookupLatencies, 99) <= 10 ? "PASS" : "FAIL"],
      ["CPU during lookups (cores busy; per lookup)", cpuLine(lookupCpu, lookupRate, "lookup"), "info", ""],
    ],
  };
  const settings = [
    `${fmt(children)} children (one guardian token each), ${fmt(groupCount)} groups of free programs in one municipality; open loop: ${fmt(burst)} first submissions in the first second,`,
    `the rest evenly to ${durationS} s; ${fmt(duplicates)} duplicates (same child and group, new Idempotency-Key, 0.2-5 s after the first), ${fmt(retries)} retries`,
    `(same key, sent when the first answer arrived); 429/503/409-in-progress with Retry-After waited out and sent again (≤ ${MAX_BACKOFFS} times).`,
    `One client process, node:http keep-alive, ≤ ${sockets} sockets (more requests wait in the client, counted in the latency from the scheduled time).`,
    `Enrollment in its own process with its outbox relay, consumers and queue syncer; rate limit as configured (600/min per subject); lookups ${lookupConcurrency} in flight.`,
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
      settings: { children, durationS, burst, groupCount, duplicates, retries, sockets, lookupConcurrency, lookupSeconds },
      surge: { seconds: surgeSeconds, answered, sustained, offered, maxBacklog, backlog, statuses: Object.fromEntries(statuses), refusals: Object.fromEntries(refusals), failures: failures.slice(0, 20) },
      latencies: {
        submit: { p50: percentile(submitLatencies, 50), p95: percentile(submitLatencies, 95), p99: percentile(submitLatencies, 99) },
        retry: { p50: percentile(retryLatencies, 50), p99: percentile(retryLatencies, 99) },
        lookup: { p50: percentile(lookupLatencies, 50), p95: percentile(lookupLatencies, 95), p99: percentile(lookupLatencies, 99) },
      },
      verification: { childrenAccepted, accepted, inPostgres, found, twice, submittedEvents, unpublished, dirty, check: checked, redisEntries },
      lookups: { count: lookupCount, rate: lookupRate, statuses: Object.fromEntries(lookupStatuses) },
      cpu: { surge: surgeCpu, lookups: lookupCpu },
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
