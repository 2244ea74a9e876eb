// The machine's own ceilings: what Postgres, Redis, Kafka (through kafkajs) and Fastify do on
// this machine with nothing of ours in the way. Each function sets up its own scratch database,
// key prefix or topic, measures, cleans up and returns figures; other benchmarks import them to
// put their own results next to ceilings measured in the same run.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { Redis } from "ioredis";
import { CompressionTypes, Partitioners, type Kafka } from "kafkajs";
import { createKafka, ensureTopics, messagingMigrations } from "@kruzhok/messaging";
import { createPool, dropDatabase, ensureDatabase, migrate, withDatabase, type Pool } from "@kruzhok/postgres";
import { DISTURBED_CORES, treeCpuSeconds, withCpu } from "../lib/cpu";
import type { BenchEnv } from "../lib/env";
import { libpqArgs, redisArgs } from "../lib/env";
import { averageBytes, benchEvent, benchEvents } from "../lib/events";
import { nextMessage, runProgram, spawnScript, stopChild } from "../lib/proc";
import { pacedRun } from "../lib/paced";
import { RawHttpConnection, rawRequest } from "../lib/raw-http";
import { fmt, percentile, progress, type Table } from "../lib/report";

export interface Ceiling {
  /** Stable id, e.g. `pgbench.app+outbox`, for other benchmarks to look a figure up. */
  id: string;
  ceiling: string;
  figure: number;
  unit: string;
  settings: string;
  /** Secondary figures (latency, sizes) for the JSON results. */
  details?: Record<string, number | string>;
}

export const scratchId = (): string => randomBytes(4).toString("hex");

// ---------------------------------------------------------------- Postgres (pgbench)

/**
 * An application table and the kit's outbox table (from messagingMigrations itself, so the
 * shape and indexes are the real ones). `bench_uuid7()` makes time-ordered ids like the uuid v7
 * our services use, so index inserts land on the right-hand pages as in production.
 */
export async function prepareAppOutboxSchema(pool: Pool): Promise<void> {
  await migrate(pool, messagingMigrations);
  await pool.query(`
    CREATE OR REPLACE FUNCTION bench_uuid7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
      SELECT (lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
              || substr(replace(gen_random_uuid()::text, '-', ''), 13))::uuid
    $$;
    CREATE TABLE IF NOT EXISTS bench_seat_request (
      id              uuid PRIMARY KEY,
      municipality_id uuid NOT NULL,
      programme_id    uuid NOT NULL,
      seat            integer NOT NULL,
      status          text NOT NULL,
      requested_at    timestamptz NOT NULL DEFAULT now()
    );`);
}

/** One transaction = one application row + one outbox row of a realistic envelope. */
export function appOutboxScript(topic: string): string {
  const event = benchEvent(topic);
  const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
  return [
    "\\set seat random(0, 999)",
    "BEGIN;",
    `INSERT INTO bench_seat_request (id, municipality_id, programme_id, seat, status)
       VALUES (bench_uuid7(), ${literal(event.municipalityId)}, gen_random_uuid(), :seat, 'requested');`.replace(/\s+/g, " "),
    `INSERT INTO outbox (event_id, topic, message_key, type, payload)
       VALUES (bench_uuid7(), ${literal(topic)}, gen_random_uuid()::text, ${literal(event.type)}, ${literal(JSON.stringify(event))});`.replace(/\s+/g, " "),
    "END;",
    "",
  ].join("\n");
}

export interface PgbenchOptions {
  clients?: number;
  threads?: number;
  durationS?: number;
}

export interface PgbenchResult {
  tps: number;
  latencyMs: number;
  transactions: number;
  failed: number;
  clients: number;
  threads: number;
  durationS: number;
}

/** Run the app+outbox script with pgbench against an already prepared database. */
export function runAppOutboxPgbench(databaseUrl: string, topic: string, options: PgbenchOptions = {}): Promise<PgbenchResult> {
  return runPgbench(databaseUrl, appOutboxScript(topic), options);
}

/** Run a pgbench script (its text) against a database; its tps and latency. */
export async function runPgbench(databaseUrl: string, scriptText: string, { clients = 8, threads = 2, durationS = 15 }: PgbenchOptions = {}): Promise<PgbenchResult> {
  const dir = await mkdtemp(join(tmpdir(), "kruzhok-pgbench-"));
  try {
    const script = join(dir, "script.sql");
    await writeFile(script, scriptText);
    const database = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
    const stdout = await runProgram(
      "pgbench",
      [...libpqArgs(databaseUrl), "-n", "-c", String(clients), "-j", String(threads), "-T", String(durationS), "-f", script, database],
      { timeoutMs: (durationS + 30) * 1_000 },
    );
    const number = (pattern: RegExp) => Number(pattern.exec(stdout)?.[1] ?? Number.NaN);
    const tps = number(/^tps = ([\d.]+)/m);
    if (!Number.isFinite(tps)) throw new Error(`cannot read tps from pgbench output:\n${stdout}`);
    return {
      tps,
      latencyMs: number(/^latency average = ([\d.]+) ms/m),
      transactions: number(/^number of transactions actually processed: (\d+)/m),
      failed: number(/^number of failed transactions: (\d+)/m) || 0,
      clients,
      threads,
      durationS,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const pgbenchSettings = (result: PgbenchResult): string =>
  `pgbench -n -c ${result.clients} -j ${result.threads} -T ${result.durationS}; 1 tx = app INSERT + outbox INSERT (~330 B payload); synchronous_commit on`;

/** Postgres ceiling for our write path, in a scratch database created and dropped here. */
export async function measurePgbenchAppOutbox(env: BenchEnv, options: PgbenchOptions = {}): Promise<Ceiling> {
  const database = `bench_pgbench_${scratchId()}`;
  await ensureDatabase(env.databaseUrl, database);
  try {
    const url = withDatabase(env.databaseUrl, database);
    const pool = createPool({ connectionString: url, max: 2, applicationName: "bench-ceilings" });
    try {
      await prepareAppOutboxSchema(pool);
    } finally {
      await pool.end();
    }
    progress(`pgbench app+outbox: ${options.clients ?? 8} clients, ${options.durationS ?? 15} s`);
    const result = await runAppOutboxPgbench(url, "bench.unpublished", options);
    return {
      id: "pgbench.app+outbox",
      ceiling: "Postgres: app row + outbox row per tx",
      figure: result.tps,
      unit: "tx/s",
      settings: pgbenchSettings(result),
      details: { latencyAvgMs: result.latencyMs, transactions: result.transactions, failed: result.failed },
    };
  } finally {
    await dropDatabase(env.databaseUrl, database);
  }
}

// ---------------------------------------------------------------- Redis (redis-benchmark)

export interface RedisOptions {
  members?: number;
  /** Requests per run at -P 1 and with pipelining. */
  requests?: number;
  pipelinedRequests?: number;
  clients?: number;
  pipeline?: number;
}

interface RedisBenchmarkLine {
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

function parseRedisBenchmarkCsv(csv: string): RedisBenchmarkLine {
  // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  const line = csv.trim().split("\n").at(-1) ?? "";
  const cells = [...line.matchAll(/"([^"]*)"/g)].map((match) => match[1] ?? "");
  const rps = Number(cells[1]);
  if (!Number.isFinite(rps)) throw new Error(`cannot read redis-benchmark output:\n${csv}`);
  return { rps, p50Ms: Number(cells[4]), p99Ms: Number(cells[6]) };
}

/**
 * ZADD and ZRANK on one sorted set of `members` members (a fair queue's shape). The set is
 * filled with members `m:000000000000`…, the names redis-benchmark's `__rand_int__` produces
 * with `-r members`, so ZADD updates scores of existing members (the set stays at its size)
 * and every ZRANK finds its member.
 */
export async function measureRedisSortedSet(
  env: BenchEnv,
  { members = 500_000, requests = 200_000, pipelinedRequests = 1_000_000, clients = 50, pipeline = 16 }: RedisOptions = {},
): Promise<Ceiling[]> {
  const prefix = `bench:${scratchId()}:`;
  const key = `${prefix}queue`;
  const redis = new Redis(env.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  try {
    progress(`redis: filling ${key} with ${members.toLocaleString("en-US")} members`);
    const chunk = 1_000;
    for (let start = 0; start < members; start += chunk * 50) {
      const batch = redis.pipeline();
      for (let from = start; from < Math.min(members, start + chunk * 50); from += chunk) {
        const args: (string | number)[] = [];
        for (let i = from; i < Math.min(members, from + chunk); i++) args.push(i, `m:${String(i).padStart(12, "0")}`);
        batch.zadd(key, ...args);
      }
      await batch.exec();
    }
    const size = await redis.zcard(key);
    if (size !== members) throw new Error(`${key} has ${size} members, expected ${members}`);

    const run = async (command: string[], p: number, n: number) => {
      const args = [...redisArgs(env.redisUrl), "-c", String(clients), "-n", String(n), "-r", String(members), "-P", String(p), "--csv", ...command];
      return parseRedisBenchmarkCsv(await runProgram("redis-benchmark", args, { timeoutMs: 60_000 }));
    };
    const commands: [string, string[]][] = [
      ["ZADD", ["ZADD", key, "__rand_int__", "m:__rand_int__"]],
      ["ZRANK", ["ZRANK", key, "m:__rand_int__"]],
    ];
    const ceilings: Ceiling[] = [];
    for (const p of [1, pipeline]) {
      for (const [name, command] of commands) {
        const n = p === 1 ? requests : pipelinedRequests;
        progress(`redis-benchmark ${name} -P ${p} -c ${clients} -n ${n}`);
        const line = await run(command, p, n);
        ceilings.push({
          id: `redis.${name.toLowerCase()}.p${p}`,
          ceiling: `Redis ${name}, sorted set of ${members.toLocaleString("en-US")}${p === 1 ? "" : ` (pipelined ${p})`}`,
          figure: line.rps,
          unit: "req/s",
          settings: `redis-benchmark -c ${clients} -n ${n} -r ${members} -P ${p}; p50 ${line.p50Ms} ms, p99 ${line.p99Ms} ms`,
          details: { p50Ms: line.p50Ms, p99Ms: line.p99Ms },
        });
      }
    }
    const after = await redis.zcard(key);
    if (after !== members) throw new Error(`${key} grew to ${after} members during the run`);
    return ceilings;
  } finally {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1_000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== "0");
    redis.disconnect();
  }
}

// ---------------------------------------------------------------- Kafka (kafkajs)

export interface KafkaOptions {
  messages?: number;
  batch?: number;
  partitions?: number;
  /** Also read everything back with a consumer. */
  consume?: boolean;
}

export async function deleteTopics(kafka: Kafka, topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((topic) => existing.has(topic));
    if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 10_000 });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Raw kafkajs producer configured like OutboxRelay (idempotent, one request in flight,
 * acks=-1, no compression, key = aggregate id), sending batches one after another as the relay
 * does; then a raw consumer reading everything back. Fresh topic, deleted afterwards.
 */
export async function measureKafkaRaw(
  env: BenchEnv,
  { messages = 200_000, batch = 1_000, partitions = 6, consume = true }: KafkaOptions = {},
): Promise<Ceiling[]> {
  const id = scratchId();
  const topic = `bench.${id}.raw`;
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: `bench-${id}` });
  try {
    await ensureTopics(kafka, [{ topic, partitions, deadLetter: false }]);
    // Built before the clock starts: the envelopes are the same ~330-byte JSON the outbox holds.
    const total = messages + batch; // the first batch warms up connections and metadata, untimed
    const all = benchEvents(topic, total).map((event) => ({ key: event.aggregateId, value: JSON.stringify(event) }));
    const bytes = averageBytes(all.slice(0, 1_000).map((message) => message.value));
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    let produceSeconds: number;
    try {
      const send = (from: number) =>
        producer.sendBatch({
          acks: -1,
          compression: CompressionTypes.None,
          topicMessages: [{ topic, messages: all.slice(from, from + batch) }],
        });
      await send(0);
      progress(`kafka: producing ${messages.toLocaleString("en-US")} messages in batches of ${batch}`);
      const started = process.hrtime.bigint();
      for (let from = batch; from < total; from += batch) await send(from);
      produceSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    } finally {
      await producer.disconnect();
    }
    const settings = `kafkajs 2.2.4 sendBatch of ${batch}, acks=-1, idempotent, 1 in flight, no compression, ${bytes} B values, keyed, ${partitions} partitions`;
    const ceilings: Ceiling[] = [
      {
        id: "kafka.produce",
        ceiling: "Kafka: raw kafkajs batched producer",
        figure: messages / produceSeconds,
        unit: "msg/s",
        settings: `${settings}; ${messages.toLocaleString("en-US")} msgs in ${produceSeconds.toFixed(2)} s`,
        details: { messages, seconds: produceSeconds, batch, valueBytes: bytes, partitions },
      },
    ];
    if (consume) ceilings.push(await consumeAll(kafka, topic, total, id));
    return ceilings;
  } finally {
    await deleteTopics(kafka, [topic]);
  }
}

async function consumeAll(kafka: Kafka, topic: string, total: number, id: string): Promise<Ceiling> {
  const consumer = kafka.consumer({ groupId: `bench.${id}.raw`, allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    progress(`kafka: consuming ${total.toLocaleString("en-US")} messages`);
    let received = 0;
    let first = 0n;
    let last = 0n;
    const started = process.hrtime.bigint();
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${received} of ${total} within 60 s`)), 60_000);
      void consumer.run({
        eachBatch: ({ batch }) => {
          if (received === 0) first = process.hrtime.bigint();
          received += batch.messages.length;
          if (received >= total) {
            last = process.hrtime.bigint();
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      });
    });
    await done;
    const readSeconds = Number(last - first) / 1e9;
    const joinSeconds = Number(first - started) / 1e9;
    return {
      id: "kafka.consume",
      ceiling: "Kafka: raw kafkajs consumer",
      figure: total / readSeconds,
      unit: "msg/s",
      settings: `eachBatch, 1 consumer, default fetch sizes; ${total.toLocaleString("en-US")} msgs in ${readSeconds.toFixed(2)} s from the first message (group join ${joinSeconds.toFixed(1)} s not counted)`,
      details: { messages: total, seconds: readSeconds, joinSeconds },
    };
  } finally {
    await consumer.disconnect();
  }
}

// ---------------------------------------------------------------- Fastify (autocannon)

export interface HttpOptions {
  connections?: number;
  /** Lua scripts each request runs on Redis one after the other before answering (hello-server.ts); 0 by default. */
  redisScripts?: number;
  pipelining?: number;
  durationS?: number;
  warmupS?: number;
}

const helloServer = fileURLToPath(new URL("./hello-server.ts", import.meta.url));

const isListening = (message: unknown): message is { kind: "listening"; port: number } =>
  typeof message === "object" && message !== null && (message as { kind?: unknown }).kind === "listening";

/** autocannon against `url` from this process: a warm-up, then the measured run; any error or non-2xx answer throws. */
export async function autocannonRun(url: string, { connections = 10, pipelining = 1, durationS = 10, warmupS = 2 }: Omit<HttpOptions, "redisScripts"> = {}): Promise<autocannon.Result> {
  progress(`autocannon ${url}: ${connections} connections, pipelining ${pipelining}, ${warmupS} s warm-up + ${durationS} s`);
  await autocannon({ url, connections, pipelining, duration: warmupS });
  const result = await autocannon({ url, connections, pipelining, duration: durationS });
  if (result.errors > 0 || result.non2xx > 0) throw new Error(`${url}: autocannon saw ${result.errors} errors and ${result.non2xx} non-2xx responses`);
  return result;
}

/** A Fastify hello-world running in a child process until stopped (`startFastifyHello`). */
export interface HelloServer {
  port: number;
  stop: () => Promise<void>;
}

/**
 * Hello-world started in its own process (running `redisScripts` Lua scripts per request, see
 * hello-server.ts), kept until `stop`: measured once (`measureFastifyHello`) or in rounds between a
 * benchmark's own (`helloRound`).
 */
export async function startFastifyHello(redisScripts = 0): Promise<HelloServer> {
  const server = spawnScript(helloServer, [], redisScripts > 0 ? { HELLO_REDIS_SCRIPTS: String(redisScripts) } : undefined);
  try {
    const { port } = await nextMessage(server, isListening, 30_000);
    return { port, stop: () => stopChild(server) };
  } catch (error) {
    await stopChild(server);
    throw error;
  }
}

/** One round against a kept hello-world (`startFastifyHello`): autocannon, `warmupS`, then `durationS`; its mean rate. */
export async function helloRound({ port }: HelloServer, { connections = 10, durationS = 5, warmupS = 1 }: Omit<HttpOptions, "redisScripts" | "pipelining"> = {}): Promise<number> {
  const result = await autocannonRun(`http://127.0.0.1:${port}/`, { connections, durationS, warmupS });
  return result.requests.average;
}

/** Fastify hello-world in a child process, autocannon in this one. */
export async function measureFastifyHello({
  connections = 10,
  pipelining = 1,
  durationS = 10,
  warmupS = 2,
  redisScripts = 0,
}: HttpOptions = {}): Promise<Ceiling> {
  const server = await startFastifyHello(redisScripts);
  try {
    const result = await autocannonRun(`http://127.0.0.1:${server.port}/`, { connections, pipelining, durationS, warmupS });
    return {
      id: redisScripts > 0 ? `fastify.hello.redis${redisScripts}` : "fastify.hello",
      ceiling:
        redisScripts > 0
          ? `Fastify hello-world running ${redisScripts} Redis script${redisScripts > 1 ? "s" : ""} per request, one after the other`
          : "Fastify hello-world (server in a child process)",
      figure: result.requests.average,
      unit: "req/s",
      settings: `autocannon -c ${connections} -p ${pipelining} -d ${durationS} (after ${warmupS} s warm-up); latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`,
      details: { total: result.requests.total, latencyP50Ms: result.latency.p50, latencyP99Ms: result.latency.p99 },
    };
  } finally {
    await server.stop();
  }
}

export interface PacedHelloOptions {
  rate: number;
  seconds: number;
  /** The paced client's pool of connections. */
  connections: number;
  /** Processes sharing the port, as the service's workers. */
  workers: number;
  /** CPU each request spends before it is answered, µs (hello-server.ts HELLO_BURN_US); none by default. */
  burnMicros?: number;
}

/**
 * The machine's own tail at a rate: hello-world in `workers` processes, asked by the same open
 * loop (`pacedRun`) and client (`RawHttpConnection`) a service's paced benchmark uses. No
 * application runs in it, so its p99 is the floor any service's p99 at that rate stands on:
 * the client's timer, the kernel's scheduling of a few busy processes over two cores, GC.
 */
export async function measureFastifyHelloPaced({ rate, seconds, connections, workers, burnMicros = 0 }: PacedHelloOptions): Promise<Ceiling> {
  const burn = Math.max(0, Math.round(burnMicros));
  const server = spawnScript(helloServer, [], { HELLO_WORKERS: String(workers), ...(burn > 0 && { HELLO_BURN_US: String(burn) }) });
  try {
    const { port } = await nextMessage(server, isListening, 30_000);
    progress(`hello-world in ${workers} processes${burn > 0 ? `, ${burn} µs of CPU per request,` : ""} at ${rate} /s for ${seconds} s (open loop, up to ${connections} connections)`);
    const pool = Array.from({ length: connections }, () => new RawHttpConnection(port));
    const request = rawRequest("GET", "/", port, {});
    const latencies: number[] = [];
    let failures = 0;
    const run = (runSeconds: number) =>
      pacedRun({
        connections: pool,
        rate,
        seconds: runSeconds,
        ask: (connection) => connection.get(request),
        answered: (answer, latencyMs) => {
          if (answer.status === 200) latencies.push(latencyMs);
          else failures++;
        },
        failed: () => failures++,
      });
    // A warm-up (JIT, connections), then the measured run.
    await run(2);
    latencies.length = 0;
    // The server's own CPU (its processes only: the benchmark's service may be running beside it).
    const cpuBefore = await treeCpuSeconds(server.pid!);
    const sent = await run(seconds);
    const serverCores = ((await treeCpuSeconds(server.pid!)) - cpuBefore) / seconds;
    for (const connection of pool) connection.close();
    if (failures > 0) throw new Error(`hello-world failed ${failures} of ${sent} paced requests`);
    latencies.sort((a, b) => a - b);
    const p = (q: number) => Math.round(percentile(latencies, q) * 10) / 10;
    const serverMicros = (serverCores * seconds * 1e6) / sent;
    return {
      id: burn > 0 ? "fastify.hello.paced.burn" : "fastify.hello.paced",
      ceiling: `Fastify hello-world in ${workers} processes${burn > 0 ? `, ${fmt(burn)} µs of CPU added to each request,` : ""} at ${rate} /s, p99 latency from when each request was due`,
      figure: p(99),
      unit: "ms",
      settings: `open loop ${rate} /s for ${seconds} s (after 2 s), up to ${connections} connections; p50 ${p(50)} ms, p95 ${p(95)} ms, p99 ${p(99)} ms, max ${p(100)} ms; the server ${serverCores.toFixed(2)} cores (${fmt(serverMicros)} µs a request)`,
      details: { sent, p50: p(50), p95: p(95), p99: p(99), max: p(100), burnMicros: burn, serverCores, serverMicros },
    };
  } finally {
    await stopChild(server);
  }
}

// ---------------------------------------------------------------- table

export function ceilingsTable(ceilings: readonly Ceiling[]): Table {
  return {
    headers: ["ceiling", "figure", "unit", "settings"],
    rows: ceilings.map((ceiling) => {
      const other = ceiling.details?.otherCores;
      const disturbed = typeof other === "number" && other > DISTURBED_CORES;
      const note = disturbed ? `; DISTURBED: ${other.toFixed(2)} cores of other load` : "";
      return [ceiling.ceiling, fmt(ceiling.figure), ceiling.unit, `${ceiling.settings}${note}`];
    }),
  };
}

/** Run a measurement and note in each of its ceilings how much CPU other processes used meanwhile. */
export async function measured(work: () => Promise<Ceiling | Ceiling[]>): Promise<Ceiling[]> {
  const [result, cpu] = await withCpu(work);
  return (Array.isArray(result) ? result : [result]).map((ceiling) => ({
    ...ceiling,
    details: { ...ceiling.details, otherCores: Math.round(cpu.other * 100) / 100 },
  }));
}

/** A figure measured in this run, by id; throws when it was not measured. */
export function figureOf(ceilings: readonly Ceiling[], id: string): number {
  const found = ceilings.find((ceiling) => ceiling.id === id);
  if (!found) throw new Error(`ceiling ${id} was not measured`);
  return found.figure;
}
