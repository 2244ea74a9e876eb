// The families' navigator search over 100,000 programs and 300,000 groups, next to Fastify
// hello-world measured in the same run: `bash test/bench/run catalogue`.
//
//   tsx test/bench/catalogue/main.ts [--ceilings <ceilings-*.json>] [--programs N] [--groups N]
//       [--concurrency N] [--duration S] [--warmup S] [--single S] [--fresh S] [--floor S] [--paced S] [--rate N]
//       [--surge S] [--surge-events N] [--explain] [--in-memory N] [--moscow] [--index on|off]
//
// The catalogue runs as its own process (src/main.ts, with its relay and consumers) on a scratch
// database filled beforehand with bulk SQL (data.ts). One client process sends a mix of eight
// query kinds (queries.ts) round-robin over GET /search at a fixed concurrency, on keep-alive
// sockets. Goals (issue #5): p95 <= 20 ms; throughput >= 20 % of Fastify hello-world. Then the
// same mix one request at a time (--single S seconds): latency without queueing, for reference.
// The catalogue keeps whole answers in memory (services/catalogue/src/store/search-cache.ts), and
// the mix repeats its 1,600 parameter sets, so after the first round it is answered from memory;
// its /metrics tell how each search was served, and the report shows it. A second, labelled
// scenario (--fresh S seconds, 10 in flight) sends parameter sets never sent before: the cost of
// an answer the cache does not hold (only the 3 "municipality only" queries repeat there).
// --floor S seconds (same concurrency) then sends the cheapest search the catalogue computes,
// never twice alike (queries.ts `floorQuery`): the rate no computed search can pass here.
// Two paced scenarios follow (issue #20; open loop, latency counted from when each search was
// due): --paced S seconds of fresh parameter sets at --rate searches/s (goal: p95 <= 30 ms at
// 500 /s), and --surge S seconds of the repeated mix at the same rate while enrollment events
// (EnrollmentStarted, --surge-events per second, produced straight into the catalogue's topic and
// applied by its own consumer) take seats in the searched municipality, as on an opening day,
// after the same mix paced without them (the mix warmed again first), for comparison.
// --moscow adds a municipality at Moscow's scale (--moscow-programs 120,000, --moscow-groups
// 400,000; issue #20) and searches it. BENCH_PROFILE=<dir> writes a --cpu-prof of the catalogue there; --explain adds EXPLAIN
// (ANALYZE, BUFFERS) of the results and facets queries of one query per kind to the results.
// --index off runs the catalogue with SEARCH_INDEX=off (Postgres computes every search), for
// comparison with its index in memory (store/search-index.ts, on by default); with it on, the run
// waits for the index to hold every listed program before it measures, and each phase reports how
// many computed answers came from the index and how many from Postgres.
// --in-memory N (issue #20) ends the run with a check (in-memory.ts): N parameter sets of each
// kind without words computed by Postgres and by the catalogue's own index in memory, the answers
// and their next pages through either side's cursor compared.
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Agent, request as httpRequest } from "node:http";
import { parseArgs } from "node:util";
import { CompressionTypes, Partitioners } from "kafkajs";
import { EnrollmentStarted } from "@kruzhok/contracts";
import { createKafka, newEvent } from "@kruzhok/messaging";
import { createPool, dropDatabase, ensureDatabase, withDatabase, type Pool, type Queryable } from "@kruzhok/postgres";
import { migrateCatalogue } from "../../../services/catalogue/src/migrations";
import { searchFacets, searchPrograms } from "../../../services/catalogue/src/store/search";
import { ceilingsTable, figureOf, measureFastifyHello, measured, scratchId, type Ceiling } from "../ceilings/measure";
import { DISTURBED_CORES, idleCheck, settle, withCpu, type CpuUse } from "../lib/cpu";
import { benchEnv } from "../lib/env";
import { describeMachine, machineRows } from "../lib/machine";
import { stopChild } from "../lib/proc";
import { pacedRun } from "../lib/paced";
import { RawHttpConnection, rawRequest } from "../lib/raw-http";
import { deleteServiceTopics, freePort, spawnService, topicPrefixOf, waitReady } from "../lib/service";
import { fmt, markdownTable, out, pct, percentile, progress, textTable, writeResults, type Table } from "../lib/report";
import { demoMunicipalities, loadCatalogue, moscow, type LoadResult } from "./data";
import { probeInMemory } from "./in-memory";
import { filtersOf, floorQuery, kindDescriptions, kinds, pathOf, queryOf, searchIn, type Kind } from "./queries";

const { values: args } = parseArgs({
  options: {
    ceilings: { type: "string" },
    programs: { type: "string", default: "100000" },
    groups: { type: "string", default: "300000" },
    concurrency: { type: "string", default: "10" },
    duration: { type: "string", default: "20" },
    warmup: { type: "string", default: "5" },
    single: { type: "string", default: "8" },
    fresh: { type: "string", default: "10" },
    floor: { type: "string", default: "10" },
    paced: { type: "string", default: "10" },
    rate: { type: "string", default: "500" },
    surge: { type: "string", default: "10" },
    "surge-events": { type: "string", default: "50" },
    explain: { type: "boolean", default: false },
    "in-memory": { type: "string", default: "0" },
    moscow: { type: "boolean", default: false },
    index: { type: "string", default: "on" },
    "moscow-programs": { type: "string", default: "120000" },
    "moscow-groups": { type: "string", default: "400000" },
  },
});
// --moscow (issue #20): a fourth municipality at Moscow's scale beside the three, and every query
// kind but the Kazakh words searches it.
const big = args.moscow ? { programs: Number(args["moscow-programs"]), groups: Number(args["moscow-groups"]), providers: 3_000 } : undefined;
if (big) searchIn([moscow]);
const programCount = Number(args.programs);
const groupCount = Number(args.groups);
const concurrency = Number(args.concurrency);
const durationS = Number(args.duration);
const warmupS = Number(args.warmup);
const singleS = Number(args.single);
const freshS = Number(args.fresh);
const floorS = Number(args.floor);
const pacedS = Number(args.paced);
const pacedRate = Number(args.rate);
const surgeS = Number(args.surge);
const surgeEvents = Number(args["surge-events"]);
const searchedIds = (big ? [moscow] : demoMunicipalities).map((m) => m.id);
const GOALS = { p95Ms: 20, helloRatio: 0.2, pacedP95Ms: 30, freshOfCached: 0.25 } as const;
const VARIANTS = 200;

const env = benchEnv();
const started = new Date();
const machine = await describeMachine(env);
const busyBefore = await idleCheck();
const quiet = busyBefore < 0.1 ? "quiet" : "NOT quiet: other load will lower the figures";
progress(`machine busy before the run: ${pct(busyBefore)} (${quiet})`);
const waiting = (busy: number) => progress(`machine ${pct(busy)} busy; waiting for it to quieten (BENCH_QUIET_WAIT_S)`);

let reused: Ceiling[] | undefined;
let ceilingsSource = "measured in this run, just before the search";
if (args.ceilings) {
  const saved = JSON.parse(await readFile(args.ceilings, "utf8")) as { ceilings: Ceiling[]; startedAt: string };
  reused = saved.ceilings.filter((ceiling) => ceiling.id === "fastify.hello");
  if (reused.length === 0) reused = undefined; // not in that file: measure it here
  else ceilingsSource = `reused from ${args.ceilings} (measured ${saved.startedAt})`;
}

/**
 * CPU ticks of the backends serving one database, by pid: the Postgres share of this benchmark
 * alone. The machine-wide Postgres figure of lib/cpu also holds other people's queries on a
 * shared machine (and loses backends of theirs that exit meanwhile).
 */
async function backendTicks(pool: Pool, database: string): Promise<Map<number, number>> {
  const { rows } = await pool.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = $1", [database]);
  const ticks = new Map<number, number>();
  for (const { pid } of rows) {
    const text = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
    if (rest.length > 12) ticks.set(pid, Number(rest[11]) + Number(rest[12]));
  }
  return ticks;
}

interface Sample {
  kind: Kind;
  path: string;
}

/**
 * How the catalogue's answer cache served searches (catalogue_search_cache_total by outcome), and
 * what computed the answers it did not hold (catalogue_search_computed_total: the index in
 * memory or Postgres).
 */
type CacheOutcomes = Record<"hit" | "shared" | "miss" | "bypass" | "index" | "postgres", number>;
const cacheDelta = (after: CacheOutcomes, before: CacheOutcomes): CacheOutcomes => ({
  hit: after.hit - before.hit,
  shared: after.shared - before.shared,
  miss: after.miss - before.miss,
  bypass: after.bypass - before.bypass,
  index: after.index - before.index,
  postgres: after.postgres - before.postgres,
});
const cacheText = (c: CacheOutcomes) =>
  `${fmt(c.hit)} from memory, ${fmt(c.shared)} sharing a computation under way, ${fmt(c.miss)} computed and kept, ${fmt(c.bypass)} past the cache; computed by the index ${fmt(c.index)}, by Postgres ${fmt(c.postgres)}`;

interface Measurement {
  requests: number;
  seconds: number;
  latencies: Map<Kind | "all", number[]>;
  statuses: Map<number, number>;
  cpu: CpuUse;
  /** Cores kept busy by this database's backends (the catalogue's pool and ours). */
  postgresOwn: number;
  cache: CacheOutcomes;
}

const database = `bench_catalogue_${scratchId()}`;
const databaseUrl = withDatabase(env.databaseUrl, database);
let pool: Pool | undefined;
let catalogue: ChildProcess | undefined;
let load: LoadResult | undefined;
let loadSeconds: number | undefined;
let ceilings: Ceiling[] | undefined;
let measurement: Measurement | undefined;
let single: Omit<Measurement, "cpu" | "postgresOwn" | "cache"> | undefined;
let fresh: (Omit<Measurement, "cpu" | "postgresOwn" | "cache"> & { cache: CacheOutcomes; cpu: CpuUse; postgresOwn: number }) | undefined;
let floor: Measurement | undefined;
let paced: Measurement | undefined;
let calm: Measurement | undefined;
let surge: (Measurement & { produced: number; applied: number; producedSeconds: number }) | undefined;
const matches = new Map<Kind, { totals: number[]; items: number[] }>();
const explains: string[] = [];
let inMemory: Table | undefined;
let indexSeconds: number | undefined;
const samples: Sample[] = [];
try {
  // ------------------------------------------------------------------ data
  await ensureDatabase(env.databaseUrl, database);
  pool = createPool({ connectionString: databaseUrl, max: 2, applicationName: "bench-catalogue" });
  await migrateCatalogue(pool);
  const loading = performance.now();
  progress(`loading ${fmt(programCount)} programs and ~${fmt(groupCount)} groups${big ? `, and Moscow's ${fmt(big.programs)} and ~${fmt(big.groups)},` : ""} into ${database}`);
  load = await loadCatalogue(pool, { programs: programCount, groups: groupCount, ...(big && { big }) }, progress);
  loadSeconds = (performance.now() - loading) / 1_000;
  progress(`loaded in ${fmt(loadSeconds, 1)} s`);

  // ------------------------------------------------------------------ the catalogue process
  const port = await freePort();
  catalogue = await spawnService("catalogue", env, database, port, { SEARCH_INDEX: args.index === "off" ? "off" : "on" });
  progress(`starting the catalogue on :${port}`);
  await waitReady(catalogue, port, "the catalogue");
  if (args.index !== "off") {
    // The index loads every municipality in the background once the catalogue listens; searches
    // are Postgres's until then. Held once the gauge reaches the listed programs and stays (the
    // gauge sums the processes' indexes).
    const indexing = performance.now();
    const { rows } = await pool.query<{ listed: number }>("SELECT count(*)::int AS listed FROM programs WHERE status = 'published' AND provider_approved");
    const held = async () => Number(/catalogue_search_index_programs(?:\{[^}]*\})? (\d+)/.exec(await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()))?.[1] ?? 0);
    let last = -1;
    for (let now = await held(); now < rows[0]!.listed || now !== last; now = await held()) {
      last = now;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    indexSeconds = (performance.now() - indexing) / 1_000;
    progress(`the catalogue's index holds ${fmt(rows[0]!.listed)} listed programs after ${fmt(indexSeconds, 1)} s`);
  }

  // Preparing the queries: node:http on keep-alive sockets (undici's fetch costs the client
  // several times more CPU per request); the measured mix uses lib/raw-http.ts (see runMix).
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const get = (path: string, body: boolean): Promise<{ status: number; ms: number; json?: unknown }> =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      const req = httpRequest({ agent, host: "127.0.0.1", port, method: "GET", path }, (res) => {
        const chunks: Buffer[] = [];
        if (body) res.on("data", (chunk: Buffer) => chunks.push(chunk));
        else res.resume();
        res.on("error", reject);
        res.on("end", () => {
          const ms = performance.now() - t0;
          const status = res.statusCode ?? 0;
          resolve({ status, ms, json: body ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown) : undefined });
        });
      });
      req.on("error", reject);
      req.end();
    });

  const cacheOutcomes = async (): Promise<CacheOutcomes> => {
    const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
    const count = (outcome: string) => Number(new RegExp(`catalogue_search_cache_total\\{[^}]*outcome="${outcome}"[^}]*\\} (\\d+)`).exec(text)?.[1] ?? 0);
    const computed = (source: string) => Number(new RegExp(`catalogue_search_computed_total\\{[^}]*source="${source}"[^}]*\\} (\\d+)`).exec(text)?.[1] ?? 0);
    return { hit: count("hit"), shared: count("shared"), miss: count("miss"), bypass: count("bypass"), index: computed("memory"), postgres: computed("postgres") };
  };

  // ------------------------------------------------------------------ the query mix
  // Every query once with its body read: how many programs each kind matches, and the cursors
  // of first pages for the page-2 kind. This also warms the catalogue and Postgres up.
  progress(`preparing ${VARIANTS} queries of each kind and checking their answers`);
  const cursors: string[] = [];
  for (const kind of kinds) {
    if (kind === "page-2") continue;
    const seen = { totals: [] as number[], items: [] as number[] };
    matches.set(kind, seen);
    for (let i = 0; i < VARIANTS; i++) {
      const path = pathOf(queryOf(kind));
      const res = await get(path, true);
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.json)}`);
      const page = res.json as { total: number; items: unknown[]; nextCursor: string | null };
      seen.totals.push(page.total);
      seen.items.push(page.items.length);
      samples.push({ kind, path });
      if (page.nextCursor) cursors.push(`${path}&cursor=${encodeURIComponent(page.nextCursor)}`);
    }
  }
  const second = { totals: [] as number[], items: [] as number[] };
  matches.set("page-2", second);
  for (let i = 0; i < VARIANTS && cursors.length > 0; i++) {
    const path = cursors[(i * 37) % cursors.length]!;
    const res = await get(path, true);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.json)}`);
    const page = res.json as { total: number; items: unknown[] };
    second.totals.push(page.total);
    second.items.push(page.items.length);
    samples.push({ kind: "page-2", path });
  }
  const byKind = new Map<Kind, string[]>(kinds.map((kind) => [kind, samples.filter((s) => s.kind === kind).map((s) => s.path)]));

  const runMix = async (seconds: number, inFlight = concurrency, pathOf_ = (kind: Kind, i: number) => byKind.get(kind)![Math.floor(i / kinds.length) % byKind.get(kind)!.length]!): Promise<Omit<Measurement, "cpu" | "postgresOwn" | "cache">> => {
    const latencies = new Map<Kind | "all", number[]>([["all", []], ...kinds.map((kind): [Kind, number[]] => [kind, []])]);
    const statuses = new Map<number, number>();
    let next = 0;
    // The measured requests go through the hand-parsed client (lib/raw-http.ts): node:http cost
    // this process ~100 µs of CPU a search, nearly what the catalogue spends answering one, taken
    // from the catalogue on two cores. Requests are built once per path.
    const built = new Map<string, Buffer>();
    const requestOf = (path: string) => built.get(path) ?? built.set(path, rawRequest("GET", path, port, {})).get(path)!;
    const connections = Array.from({ length: inFlight }, () => new RawHttpConnection(port, false));
    const t0 = performance.now();
    const end = t0 + seconds * 1_000;
    try {
      await Promise.all(
        connections.map(async (connection) => {
          while (performance.now() < end) {
            const i = next++;
            const kind = kinds[i % kinds.length]!;
            const request = requestOf(pathOf_(kind, i));
            const started = performance.now();
            const { status } = await connection.get(request);
            const ms = performance.now() - started;
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            latencies.get(kind)!.push(ms);
            latencies.get("all")!.push(ms);
          }
        }),
      );
    } finally {
      for (const connection of connections) connection.close();
    }
    const elapsed = (performance.now() - t0) / 1_000;
    for (const list of latencies.values()) list.sort((a, b) => a - b);
    return { requests: next, seconds: elapsed, latencies, statuses };
  };

  /** The same searches in an open loop at `rate` per second (lib/paced.ts): latency from when each was due. */
  const runPaced = async (seconds: number, rate: number, pathFor: (i: number) => [Kind, string]): Promise<Omit<Measurement, "cpu" | "postgresOwn" | "cache">> => {
    const latencies = new Map<Kind | "all", number[]>([["all", []], ...kinds.map((kind): [Kind, number[]] => [kind, []])]);
    const statuses = new Map<number, number>();
    const kindOf: Kind[] = [];
    // Enough connections that a slow answer never holds the loop back (a crowd of phones).
    const connections = Array.from({ length: 64 }, () => new RawHttpConnection(port, false));
    const t0 = performance.now();
    let failures = 0;
    try {
      const sent = await pacedRun({
        connections,
        rate,
        seconds,
        ask: (connection, i) => {
          const [kind, path] = pathFor(i);
          kindOf[i] = kind;
          return connection.get(rawRequest("GET", path, port, {}));
        },
        answered: ({ status }, ms, i) => {
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          latencies.get(kindOf[i]!)!.push(ms);
          latencies.get("all")!.push(ms);
        },
        failed: () => failures++,
      });
      if (failures > 0) statuses.set(0, failures);
      const elapsed = (performance.now() - t0) / 1_000;
      for (const list of latencies.values()) list.sort((a, b) => a - b);
      return { requests: sent, seconds: elapsed, latencies, statuses };
    } finally {
      for (const connection of connections) connection.close();
    }
  };
  const firstPages = kinds.filter((kind): kind is Exclude<Kind, "page-2"> => kind !== "page-2");
  // Fresh: the first-page kinds in turn with new parameters (a next page needs its first page's cursor).
  const freshPath = (i: number): [Kind, string] => {
    const kind = firstPages[i % firstPages.length]!;
    return [kind, pathOf(queryOf(kind))];
  };
  // The mix as the closed loop sends it: its parameter sets again and again.
  const mixPath = (i: number): [Kind, string] => {
    const kind = kinds[i % kinds.length]!;
    const list = byKind.get(kind)!;
    return [kind, list[Math.floor(i / kinds.length) % list.length]!];
  };

  // ------------------------------------------------------------------ measurements
  if (reused) ceilings = reused;
  else {
    await settle(waiting);
    ceilings = await measured(() => measureFastifyHello({ connections: concurrency }));
  }
  progress(`warm-up: ${warmupS} s of the mix, ${concurrency} in flight`);
  await runMix(warmupS);
  await settle(waiting);
  progress(`measuring: ${durationS} s of the mix, ${concurrency} in flight`);
  const measure = async (run: () => Promise<Omit<Measurement, "cpu" | "postgresOwn" | "cache">>): Promise<Measurement> => {
    const ticksBefore = await backendTicks(pool!, database);
    const cacheBefore = await cacheOutcomes();
    const [result, cpu] = await withCpu(run);
    const cache = cacheDelta(await cacheOutcomes(), cacheBefore);
    const ticksAfter = await backendTicks(pool!, database);
    let ownTicks = 0;
    for (const [pid, ticks] of ticksAfter) ownTicks += ticks - (ticksBefore.get(pid) ?? 0);
    return { ...result, cpu, postgresOwn: ownTicks / 100 / result.seconds, cache };
  };
  measurement = await measure(() => runMix(durationS));
  if (singleS > 0) {
    progress(`one at a time: ${singleS} s of the mix, 1 in flight`);
    single = await runMix(singleS, 1);
  }
  if (freshS > 0) {
    // Scenario 2, for reference: parameter sets never sent before (page-2 follows the cursors
    // of the first pages, which the mix has already asked for, so it is left out here).
    progress(`fresh queries: ${freshS} s of the kinds with new parameters, ${concurrency} in flight`);
    await settle(waiting);
    fresh = await measure(() => runMix(freshS, concurrency, (_kind, i) => pathOf(queryOf(firstPages[i % firstPages.length]!))));
  }
  if (floorS > 0) {
    progress(`the floor: ${floorS} s of the cheapest computed search, ${concurrency} in flight`);
    await settle(waiting);
    floor = await measure(() => runMix(floorS, concurrency, () => pathOf(floorQuery())));
  }
  if (pacedS > 0) {
    progress(`fresh queries paced: ${pacedS} s at ${fmt(pacedRate)} /s (open loop)`);
    await settle(waiting);
    paced = await measure(() => runPaced(pacedS, pacedRate, freshPath));
  }
  if (surgeS > 0) {
    // Scenario 4: an enrollment surge. Seats taken in open groups of the searched municipality,
    // by events as enrollment publishes them, while the families repeat the mix's searches.
    const wanted = Math.ceil(surgeS * surgeEvents);
    const { rows: seats } = await pool.query<{ id: string; program_id: string; municipality_id: string }>(
      `SELECT g.id, g.program_id, p.municipality_id FROM groups g JOIN programs p ON p.id = g.program_id
       WHERE g.status = 'open' AND g.capacity > g.active_enrollments AND p.municipality_id = ANY($1::uuid[]) ORDER BY random() LIMIT $2`,
      [searchedIds, wanted],
    );
    const applied = async () => Number((await pool!.query<{ n: string }>("SELECT count(*) AS n FROM inbox WHERE topic LIKE $1 AND outcome = 'applied'", [`%${EnrollmentStarted.topic}`])).rows[0]!.n);
    const appliedBefore = await applied();
    const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: `bench-catalogue-${scratchId()}` });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const topic = `${topicPrefixOf(database)}${EnrollmentStarted.topic}`;
    let produced = 0;
    let producedSeconds = 0;
    const produce = async () => {
      const t0 = performance.now();
      // A tenth of a second's events at a time, on the clock: the surge's rate, not the broker's.
      for (let tick = 0; produced < seats.length; tick++) {
        const wait = t0 + tick * 100 - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const batch = seats.slice(produced, produced + Math.max(1, Math.round(surgeEvents / 10)));
        const at = new Date();
        await producer.sendBatch({
          acks: -1,
          compression: CompressionTypes.None,
          topicMessages: [{
            topic,
            messages: batch.map((seat) => {
              // Built and validated as enrollment's outbox builds it, keyed by the aggregate as its relay keys it.
              const enrollmentId = randomUUID();
              const data = { enrollmentId, groupId: seat.id, programId: seat.program_id, childId: randomUUID() };
              return { key: enrollmentId, value: JSON.stringify(newEvent(EnrollmentStarted, { municipalityId: seat.municipality_id, aggregateId: enrollmentId }, data, at)) };
            }),
          }],
        });
        produced += batch.length;
      }
      producedSeconds = (performance.now() - t0) / 1_000;
    };
    // The fresh searches before pushed the mix's answers out of the cache's 64 MiB: warmed again,
    // and measured paced without a surge, so that the surge's figures show the surge alone.
    progress(`the mix again: ${warmupS} s to warm it, then ${surgeS} s at ${fmt(pacedRate)} /s without a surge`);
    await runMix(warmupS);
    await settle(waiting);
    calm = await measure(() => runPaced(surgeS, pacedRate, mixPath));
    progress(`enrollment surge: ${surgeS} s of the mix at ${fmt(pacedRate)} /s while ${fmt(surgeEvents)} seats a second are taken`);
    await settle(waiting);
    try {
      const producing = produce();
      const result = await measure(() => runPaced(surgeS, pacedRate, mixPath));
      await producing;
      // The consumer's own pace: every event applied (and its cache drop heard of) before the figures count it.
      const deadline = performance.now() + 30_000;
      while ((await applied()) - appliedBefore < produced && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
      surge = { ...result, produced, applied: (await applied()) - appliedBefore, producedSeconds };
    } finally {
      await producer.disconnect();
    }
  }
  agent.destroy();

  if (args.explain) {
    progress("EXPLAIN ANALYZE of one query per kind");
    const client = await pool.connect();
    try {
      for (const kind of kinds) {
        const path = byKind.get(kind)![0];
        if (!path) continue;
        const plans: string[] = [];
        const explaining = Object.assign(Object.create(client) as object, {
          query: async (text: string, params: unknown[]) => {
            const { rows } = await client.query<{ "QUERY PLAN": string }>(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, params);
            plans.push(rows.map((row) => row["QUERY PLAN"]).join("\n"));
            return { rows: [] };
          },
        }) as unknown as Queryable;
        const filters = filtersOf(path);
        const url = new URL(path, "http://x");
        const order = filters.near ? "distance" : filters.text ? "relevance" : "id";
        // Page 2's cursor is left out: its plan is its first page's with one more condition.
        await searchPrograms(explaining, filters, order, undefined, 20, new Date());
        await searchFacets(explaining, filters);
        explains.push(`### ${kind}: ${decodeURIComponent(url.search)}\n\nresults:\n\n\`\`\`\n${plans[0] ?? ""}\n\`\`\`\n\nfacets:\n\n\`\`\`\n${plans[1] ?? ""}\n\`\`\``);
      }
    } finally {
      client.release();
    }
  }
  const inMemoryRounds = Number(args["in-memory"]);
  if (inMemoryRounds > 0) inMemory = await probeInMemory(pool, big ? moscow : demoMunicipalities[0]!, inMemoryRounds, progress);
} finally {
  await pool?.end();
  if (catalogue) await stopChild(catalogue);
  await dropDatabase(env.databaseUrl, database).catch(() => undefined);
  await deleteServiceTopics(env, database).catch(() => undefined);
}

// -------------------------------------------------------------------- report
if (!measurement || !load || !ceilings || loadSeconds === undefined) throw new Error("no measurement");
const { requests, seconds, latencies, statuses, cpu, postgresOwn } = measurement;
const hello = figureOf(ceilings, "fastify.hello");
const rate = requests / seconds;
const all = latencies.get("all")!;
const p95 = percentile(all, 95);
const ok = statuses.get(200) ?? 0;
// Postgres plus other processes, less this database's backends: other people's load, however
// lib/cpu files this scratch database's backends (its list of our databases may not know it).
const otherLoad = Math.max(0, cpu.other + cpu.postgres - postgresOwn);
const disturbed = otherLoad > DISTURBED_CORES;
const verdict = (pass: boolean) => (pass ? "PASS" : disturbed ? `FAIL (DISTURBED: other load ${otherLoad.toFixed(2)} cores)` : "FAIL");
const ms = (value: number) => fmt(value, 1);
const pacedText = (m: Omit<Measurement, "cpu" | "postgresOwn" | "cache">) => {
  const list = m.latencies.get("all")!;
  return `${fmt(m.requests)} in ${fmt(m.seconds, 1)} s; ${[...m.statuses].map(([st, n]) => `${fmt(n)} × ${st || "failed"}`).join(", ")}; p50 ${ms(percentile(list, 50))} ms, p95 ${ms(percentile(list, 95))} ms, p99 ${ms(percentile(list, 99))} ms`;
};
const us = (cores: number) => fmt((cores * 1e6) / rate);
const alone = (kind: Kind | "all") => {
  const list = single?.latencies.get(kind);
  return list ? `${ms(percentile(list, 50))} / ${ms(percentile(list, 95))}` : "";
};
const median = (values: readonly number[]) => percentile([...values].sort((a, b) => a - b), 50);

const results: Table = {
  headers: ["measure", "figure", "goal", "result"],
  rows: [
    ["searches answered", `${fmt(requests)} in ${fmt(seconds, 1)} s = ${fmt(rate)} /s; ${[...statuses].map(([s, n]) => `${fmt(n)} × ${s}`).join(", ")}`, "all 200", ok === requests ? "PASS" : "FAIL"],
    ["throughput / Fastify hello-world", `${pct(rate / hello)} (${fmt(rate)} / ${fmt(hello)} req/s)`, `≥ ${pct(GOALS.helloRatio)}`, verdict(rate / hello >= GOALS.helloRatio)],
    ["latency over the mix", `p50 ${ms(percentile(all, 50))} ms, p95 ${ms(p95)} ms, p99 ${ms(percentile(all, 99))} ms`, `p95 ≤ ${GOALS.p95Ms} ms`, verdict(p95 <= GOALS.p95Ms)],
    ...(single
      ? [[
          "latency one request at a time (no queueing)",
          `p50 ${ms(percentile(single.latencies.get("all")!, 50))} ms, p95 ${ms(percentile(single.latencies.get("all")!, 95))} ms, p99 ${ms(percentile(single.latencies.get("all")!, 99))} ms; ${fmt(single.requests / single.seconds)} /s`,
          "info",
          "",
        ]]
      : []),
    ["answer cache during the measured mix", cacheText(measurement.cache), "info", ""],
    ...(fresh
      ? [[
          "fresh parameter sets / the cached mix (closed loop, same concurrency)",
          `${pct(fresh.requests / fresh.seconds / rate)} (${fmt(fresh.requests / fresh.seconds)} / ${fmt(rate)} /s); Postgres ${fmt((fresh.postgresOwn * 1e6 * fresh.seconds) / fresh.requests)} µs per fresh search`,
          `≥ ${pct(GOALS.freshOfCached)}`,
          verdict(fresh.requests / fresh.seconds / rate >= GOALS.freshOfCached),
        ]]
      : []),
    ...(floor
      ? [[
          "the floor: the cheapest computed search (a municipality's page after a random place; counts kept) / the cached mix",
          `${pct(floor.requests / floor.seconds / rate)} (${fmt(floor.requests / floor.seconds)} / ${fmt(rate)} /s), ${[...floor.statuses].map(([s, n]) => `${fmt(n)} × ${s}`).join(", ")}; per search: Postgres ${fmt((floor.postgresOwn * 1e6 * floor.seconds) / floor.requests)} µs, catalogue ${fmt((floor.cpu.children * 1e6 * floor.seconds) / floor.requests)} µs, client ${fmt((floor.cpu.benchProcess * 1e6 * floor.seconds) / floor.requests)} µs; ${cacheText(floor.cache)}`,
          "info: no computed search passes it",
          "",
        ]]
      : []),
    ...(paced
      ? [[
          `fresh parameter sets paced at ${fmt(pacedRate)} /s (open loop)`,
          `${pacedText(paced)}; Postgres ${fmt((paced.postgresOwn * 1e6 * paced.seconds) / paced.requests)} µs per search (${fmt(paced.postgresOwn, 2)} cores), catalogue ${fmt(paced.cpu.children, 2)} cores; ${cacheText(paced.cache)}`,
          `p95 ≤ ${GOALS.pacedP95Ms} ms`,
          verdict(percentile(paced.latencies.get("all")!, 95) <= GOALS.pacedP95Ms && (paced.statuses.get(200) ?? 0) === paced.requests),
        ]]
      : []),
    ...(calm
      ? [[
          `the mix paced at ${fmt(pacedRate)} /s, no surge (beside the next row)`,
          `${pacedText(calm)}; ${cacheText(calm.cache)}; Postgres ${fmt(calm.postgresOwn, 2)} cores, catalogue ${fmt(calm.cpu.children, 2)}`,
          "info",
          "",
        ]]
      : []),
    ...(surge
      ? [[
          `during an enrollment surge: the mix paced at ${fmt(pacedRate)} /s while ${fmt(surgeEvents)} seats a second are taken`,
          `${pacedText(surge)}; ${fmt(surge.produced)} EnrollmentStarted events produced in ${fmt(surge.producedSeconds, 1)} s, ${fmt(surge.applied)} applied by the catalogue's consumer; ${cacheText(surge.cache)}; Postgres ${fmt(surge.postgresOwn, 2)} cores, catalogue ${fmt(surge.cpu.children, 2)}`,
          "info",
          "",
        ]]
      : []),
    [
      "CPU while searching (cores busy; µs per search)",
      [
        `catalogue ${fmt(cpu.children, 2)} (${us(cpu.children)} µs)`,
        `Postgres, this database's backends ${fmt(postgresOwn, 2)} (${us(postgresOwn)} µs)`,
        `client ${fmt(cpu.benchProcess, 2)} (${us(cpu.benchProcess)} µs)`,
        `Redis ${fmt(cpu.redis, 2)}, Kafka ${fmt(cpu.kafka, 2)}, irq ${fmt(cpu.irq, 2)}, other load (others' processes and Postgres work) ${fmt(otherLoad, 2)}${disturbed ? " (DISTURBED)" : ""}`,
      ].join("; "),
      "info",
      "",
    ],
  ],
};
const freshTable: Table | undefined = fresh && {
  headers: ["scenario 2: fresh parameter sets (info, not the goal)", "figure"],
  rows: [
    ["searches answered", `${fmt(fresh.requests)} in ${fmt(fresh.seconds, 1)} s = ${fmt(fresh.requests / fresh.seconds)} /s; ${[...fresh.statuses].map(([s, n]) => `${fmt(n)} × ${s}`).join(", ")}`],
    ["latency", `p50 ${ms(percentile(fresh.latencies.get("all")!, 50))} ms, p95 ${ms(percentile(fresh.latencies.get("all")!, 95))} ms, p99 ${ms(percentile(fresh.latencies.get("all")!, 99))} ms`],
    ["answer cache", cacheText(fresh.cache)],
    [
      "CPU (cores busy; µs per search)",
      `catalogue ${fmt(fresh.cpu.children, 2)} (${fmt((fresh.cpu.children * 1e6 * fresh.seconds) / fresh.requests)} µs); Postgres, this database's backends ${fmt(fresh.postgresOwn, 2)} (${fmt((fresh.postgresOwn * 1e6 * fresh.seconds) / fresh.requests)} µs); client ${fmt(fresh.cpu.benchProcess, 2)}`,
    ],
    ...kinds.filter((kind) => kind !== "page-2").map((kind) => {
      const list = fresh.latencies.get(kind)!;
      return [`${kind}: p50 / p95 / p99 ms`, `${ms(percentile(list, 50))} / ${ms(percentile(list, 95))} / ${ms(percentile(list, 99))} (${fmt(list.length)} searches)`];
    }),
  ],
};
const pacedKinds: Table | undefined = (paced ?? calm ?? surge) && {
  headers: ["paced scenarios, per kind: p50 / p95 / p99 ms (searches)", ...(paced ? [`fresh at ${fmt(pacedRate)} /s`] : []), ...(calm ? ["the mix, no surge"] : []), ...(surge ? ["the mix during the surge"] : [])],
  rows: kinds.map((kind) => {
    const cell = (m: Measurement | undefined) => {
      const list = m?.latencies.get(kind);
      return list && list.length > 0 ? `${ms(percentile(list, 50))} / ${ms(percentile(list, 95))} / ${ms(percentile(list, 99))} (${fmt(list.length)})` : "";
    };
    return [kind, ...(paced ? [cell(paced)] : []), ...(calm ? [cell(calm)] : []), ...(surge ? [cell(surge)] : [])];
  }),
};
const perKind: Table = {
  headers: ["query kind", "searches", "p50 ms", "p95 ms", "p99 ms", "alone: p50 / p95 ms", "matches (median total)", "items (median)"],
  rows: [
    ...kinds.map((kind) => {
      const list = latencies.get(kind)!;
      const seen = matches.get(kind);
      return [
        `${kind}: ${kindDescriptions[kind]}`,
        fmt(list.length),
        ms(percentile(list, 50)),
        ms(percentile(list, 95)),
        ms(percentile(list, 99)),
        alone(kind),
        seen ? fmt(median(seen.totals)) : "",
        seen ? fmt(median(seen.items)) : "",
      ];
    }),
    ["all", fmt(all.length), ms(percentile(all, 50)), ms(p95), ms(percentile(all, 99)), alone("all"), "", ""],
  ],
};
const data = `${fmt(load.programs)} programs (${fmt(load.listed)} listed) of ${fmt(load.providers)} providers in ${big ? `4 municipalities (${fmt(big.programs)} programs and ~${fmt(big.groups)} groups in the one at Moscow's scale, which the mix searches but for the Kazakh words)` : "3 municipalities"}; ${fmt(load.groups)} groups (${fmt(load.openGroups)} open, ${fmt(load.slots)} weekly slots); loaded with bulk SQL + VACUUM ANALYZE in ${fmt(loadSeconds, 1)} s`;
const settings = `${concurrency} requests in flight from one client process (one hand-parsed keep-alive HTTP/1.1 connection each), the ${kinds.length} kinds round-robin, ${VARIANTS} parameter sets each; ${warmupS} s warm-up, ${durationS} s measured, then ${singleS} s one at a time ("alone")${freshS > 0 ? `, then ${freshS} s of fresh parameter sets (scenario 2)` : ""}${floorS > 0 ? `, then ${floorS} s of the floor` : ""}${pacedS > 0 ? `, then ${pacedS} s of fresh parameter sets paced at ${fmt(pacedRate)} /s over 64 connections` : ""}${surgeS > 0 ? `, then ${warmupS} s of the mix to warm it again and ${surgeS} s of it paced at ${fmt(pacedRate)} /s without a surge, then ${surgeS} s of it paced while EnrollmentStarted events (${fmt(surgeEvents)} /s, into the catalogue's enrollment topic) take seats in the searched municipality` : ""}; the catalogue in its own process (NODE_ENV=production, LOG_LEVEL=info, rate limit off) with its relay and consumers, ${args.index === "off" ? "its index in memory off (SEARCH_INDEX=off: Postgres computes every search)" : `its index in memory on (every listed program held ${fmt(indexSeconds ?? 0, 1)} s after it answered /readyz)`}; limit 20 per page; hello-world ceiling ${ceilingsSource}`;
const machineTable: Table = { headers: ["machine", ""], rows: machineRows(machine) };
out(`\n${textTable(ceilingsTable(ceilings))}\n\n${textTable(results)}\n\n${textTable(perKind)}\n\n${freshTable ? `${textTable(freshTable)}\n\n` : ""}${pacedKinds ? `${textTable(pacedKinds)}\n\n` : ""}${inMemory ? `${textTable(inMemory)}\n\n` : ""}${data}\n${settings}\nMachine busy before the run: ${pct(busyBefore)} (${quiet}).\n\n${textTable(machineTable)}\n`);
const markdown = [
  `# Catalogue: navigator search, ${started.toISOString()}`,
  "",
  markdownTable(ceilingsTable(ceilings)),
  "",
  markdownTable(results),
  "",
  markdownTable(perKind),
  "",
  ...(freshTable ? [markdownTable(freshTable), ""] : []),
  ...(pacedKinds ? [markdownTable(pacedKinds), ""] : []),
  ...(inMemory ? [markdownTable(inMemory), ""] : []),
  data,
  "",
  settings,
  "",
  `Machine busy before the run: ${pct(busyBefore)} (${quiet}).`,
  "",
  markdownTable(machineTable),
  "",
  ...(explains.length > 0 ? ["## EXPLAIN (ANALYZE, BUFFERS)", "", ...explains.flatMap((text) => [text, ""])] : []),
].join("\n");
const files = await writeResults(
  "catalogue",
  {
    kind: "catalogue",
    startedAt: started.toISOString(),
    ceilings,
    load,
    loadSeconds,
    concurrency,
    durationS,
    requests,
    seconds,
    rate,
    helloRatio: rate / hello,
    statuses: Object.fromEntries(statuses),
    cpu,
    postgresOwn,
    otherLoad,
    cache: measurement.cache,
    fresh: fresh ? { requests: fresh.requests, seconds: fresh.seconds, cache: fresh.cache, cpu: fresh.cpu, postgresOwn: fresh.postgresOwn, p50: percentile(fresh.latencies.get("all")!, 50), p95: percentile(fresh.latencies.get("all")!, 95), p99: percentile(fresh.latencies.get("all")!, 99) } : null,
    floor: floor ? { requests: floor.requests, seconds: floor.seconds, statuses: Object.fromEntries(floor.statuses), cache: floor.cache, cpu: floor.cpu, postgresOwn: floor.postgresOwn, p50: percentile(floor.latencies.get("all")!, 50), p95: percentile(floor.latencies.get("all")!, 95), p99: percentile(floor.latencies.get("all")!, 99) } : null,
    paced: paced ? { rate: pacedRate, requests: paced.requests, seconds: paced.seconds, statuses: Object.fromEntries(paced.statuses), cache: paced.cache, cpu: paced.cpu, postgresOwn: paced.postgresOwn, p50: percentile(paced.latencies.get("all")!, 50), p95: percentile(paced.latencies.get("all")!, 95), p99: percentile(paced.latencies.get("all")!, 99) } : null,
    calm: calm ? { rate: pacedRate, requests: calm.requests, seconds: calm.seconds, statuses: Object.fromEntries(calm.statuses), cache: calm.cache, cpu: calm.cpu, postgresOwn: calm.postgresOwn, p50: percentile(calm.latencies.get("all")!, 50), p95: percentile(calm.latencies.get("all")!, 95), p99: percentile(calm.latencies.get("all")!, 99) } : null,
    surge: surge ? { rate: pacedRate, eventsPerSecond: surgeEvents, produced: surge.produced, applied: surge.applied, requests: surge.requests, seconds: surge.seconds, statuses: Object.fromEntries(surge.statuses), cache: surge.cache, cpu: surge.cpu, postgresOwn: surge.postgresOwn, p50: percentile(surge.latencies.get("all")!, 50), p95: percentile(surge.latencies.get("all")!, 95), p99: percentile(surge.latencies.get("all")!, 99) } : null,
    single: single ? { requests: single.requests, seconds: single.seconds, p50: percentile(single.latencies.get("all")!, 50), p95: percentile(single.latencies.get("all")!, 95), p99: percentile(single.latencies.get("all")!, 99) } : null,
    latencies: Object.fromEntries([...latencies].map(([kind, list]) => [kind, { count: list.length, p50: percentile(list, 50), p95: percentile(list, 95), p99: percentile(list, 99) }])),
    matches: Object.fromEntries([...matches].map(([kind, seen]) => [kind, { medianTotal: median(seen.totals), medianItems: median(seen.items) }])),
    samples: Object.fromEntries(kinds.map((kind) => [kind, samples.find((s) => s.kind === kind)?.path ?? null])),
    machine,
    busyBefore,
  },
  markdown,
  started,
);
progress(`wrote ${files.join(", ")}`);
