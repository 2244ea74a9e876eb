// Statistics next to the machine's Kafka ceilings: `bash test/bench/run statistics`.
//
//   tsx test/bench/statistics/main.ts [--ceilings <ceilings-*.json>] [--rate N] [--duration S] [--warmup S]
//                                     [--rebuild N] [--municipalities N] [--phases mixed,rebuild]
//                                     [--publish-interval-ms N] [--batch true|false] [--on-day D]
//
// mixed:   registry, catalogue, enrollment, attendance and payments events at --rate per second for --duration seconds
//          (open loop, stamped with the instant they are produced: their commit), into the
//          statistics process; the lag from a source event's commit to the aggregate on
//          kruzhok.statistics.v1 is read off each statistics.cells.changed (`sources.from`, the
//          oldest source event the change includes, so each figure is its round's worst).
//          The load runs --warmup seconds (5) before the measured --duration: a running service
//          is measured, not one whose code is still being compiled (its first rounds, cold, took
//          about twice as long); the warm-up's lag is reported beside, not counted.
//          Goal (issue 16): 5,000 events/s with p99 <= 2 s. --on-day D stamps the mixed traffic
//          as if it ran on day D of this month (D not before today): a block is the whole month
//          up to its last day with events, so its cells, and a round's work, grow through the
//          month.
// rebuild: --rebuild events (2,000,000 by default, as issue 16 asks) produced into fresh topics,
//          then a statistics process on an empty database reads them from offset 0; its rate,
//          from the first event applied to the last, next to the raw kafkajs consumer's.
//          Goal: >= 50 % of the raw consumer.
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { CompressionTypes, Partitioners } from "kafkajs";
import { Topics } from "@kruzhok/contracts";
import { createKafka, ensureTopics } from "@kruzhok/messaging";
import { createPool, dropDatabase, withDatabase } from "@kruzhok/postgres";
import { ceilingsTable, figureOf, measureKafkaRaw, measured, scratchId, type Ceiling } from "../ceilings/measure";
import { idleCheck, settle, withCpu, type CpuUse } from "../lib/cpu";
import { benchEnv } from "../lib/env";
import { describeMachine, machineRows } from "../lib/machine";
import { fmt, pct, percentile, printRun, progress, writeResults, type Table } from "../lib/report";
import { deleteServiceTopics, freePort, spawnService, topicPrefixOf, waitReady } from "../lib/service";
import { stopChild } from "../lib/proc";
import { measureRebuildFloor, type RebuildFloor } from "./floor";
import { Traffic, type Outgoing } from "./traffic";

const { values: args } = parseArgs({
  options: {
    ceilings: { type: "string" },
    rate: { type: "string", default: "5000" },
    duration: { type: "string", default: "30" },
    warmup: { type: "string", default: "5" },
    rebuild: { type: "string", default: "2000000" },
    municipalities: { type: "string", default: "20" },
    phases: { type: "string", default: "mixed,rebuild" },
    "publish-interval-ms": { type: "string", default: "200" },
    batch: { type: "string", default: "true" },
    "on-day": { type: "string" },
  },
});
const int = (name: string, text: string) => {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, not ${text}`);
  return value;
};
const rate = int("rate", args.rate);
const durationS = int("duration", args.duration);
const warmupS = Number(args.warmup);
if (!Number.isInteger(warmupS) || warmupS < 0) throw new Error(`--warmup must be a whole number of seconds, not ${args.warmup}`);
const rebuildEvents = int("rebuild", args.rebuild);
const municipalities = int("municipalities", args.municipalities);
const phases = new Set(args.phases.split(",").map((p) => p.trim()));
/** How far ahead of now the mixed traffic is stamped (--on-day), milliseconds. */
const shiftMs = (() => {
  if (args["on-day"] === undefined) return 0;
  const now = new Date();
  const day = Number(args["on-day"]);
  const at = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), day, now.getUTCHours(), now.getUTCMinutes(), now.getUTCSeconds());
  if (!Number.isInteger(day) || day < now.getUTCDate() || new Date(at).getUTCMonth() !== now.getUTCMonth()) throw new Error(`--on-day must be a day of this month from today on, not ${args["on-day"]}`);
  return at - now.getTime();
})();
const stamp = () => new Date(Date.now() + shiftMs);
const GOALS = { rate: 5_000, p99Ms: 2_000, rebuildRatio: 0.5 } as const;
const PSEUDONYM = {
  STATISTICS_PSEUDONYM_KEY: "bench-statistics-pseudonym-key-of-this-run-0123456789",
  STATISTICS_PUBLISH_INTERVAL_MS: String(int("publish-interval-ms", args["publish-interval-ms"])),
  // false: one transaction per event, as before batch mode (the comparison in the same run).
  STATISTICS_CONSUMER_BATCH: args.batch === "false" ? "false" : "true",
};

const env = benchEnv();
const started = new Date();
const machine = await describeMachine(env);
progress(`machine busy before the run: ${pct(await idleCheck())}`);
const waiting = (busy: number) => progress(`machine ${pct(busy)} busy; waiting for it to quieten (BENCH_QUIET_WAIT_S)`);

let ceilings: Ceiling[];
if (args.ceilings) {
  ceilings = (JSON.parse(await readFile(args.ceilings, "utf8")) as { ceilings: Ceiling[] }).ceilings.filter((c) => c.id.startsWith("kafka."));
} else {
  await settle(waiting);
  ceilings = await measured(() => measureKafkaRaw(env));
}
const consumerCeiling = figureOf(ceilings, "kafka.consume");

const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: `bench-statistics-${scratchId()}` });
const sources = ["registry", "catalogue", "enrollment", "attendance", "payments"] as const;

async function produce(messages: readonly Outgoing[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 2_000) {
      const slice = messages.slice(i, i + 2_000);
      const byTopic = new Map<string, { key: string; value: string }[]>();
      for (const m of slice) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), { key: m.key, value: m.value }]);
      await producer.sendBatch({ acks: -1, compression: CompressionTypes.None, topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** The statistics process's position summed over its partitions: events it has applied (or dead-lettered). */
async function applied(database: string): Promise<number> {
  const pool = createPool({ connectionString: withDatabase(env.databaseUrl, database), max: 1 });
  try {
    const { rows } = await pool.query<{ n: string | null }>("SELECT (SELECT count(*) FROM inbox)::text AS n");
    return Number(rows[0]?.n ?? 0);
  } catch {
    return 0;
  } finally {
    await pool.end();
  }
}

async function topicsFor(database: string): Promise<void> {
  const prefix = topicPrefixOf(database);
  const names = [...sources, "statistics"] as const;
  await ensureTopics(kafka, names.map((name) => ({ topic: `${prefix}${Topics[name]}`, partitions: 6 })));
}

interface MixedResult {
  offered: number;
  sent: number;
  seconds: number;
  appliedRate: number;
  caughtUpSeconds: number;
  lagMs: { p50: number; p95: number; p99: number; max: number; count: number };
  warmupLagMs: { p50: number; p99: number; max: number; count: number };
  cpu: CpuUse;
}

async function mixed(): Promise<MixedResult> {
  const database = `bench_statistics_${scratchId()}`;
  const prefix = topicPrefixOf(database);
  await topicsFor(database);
  const traffic = new Traffic(prefix, municipalities, 2);
  await produce(traffic.setup(stamp()));
  const port = await freePort();
  const child = await spawnService("statistics", env, database, port, PSEUDONYM);
  const lags: number[] = [];
  const warmupLags: number[] = [];
  let measureFrom = Infinity;
  const consumer = kafka.consumer({ groupId: `${prefix}bench-reader` });
  try {
    await waitReady(child, port, "statistics");
    await consumer.connect();
    await consumer.subscribe({ topics: [`${prefix}${Topics.statistics}`], fromBeginning: false });
    await consumer.run({
      eachMessage: ({ message }) => {
        const event = JSON.parse(message.value?.toString() ?? "{}") as { data?: { sources?: { from: string } } };
        if (event.data?.sources) (Date.now() < measureFrom ? warmupLags : lags).push(Date.now() + shiftMs - Date.parse(event.data.sources.from));
        return Promise.resolve();
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // the reader's group joined
    lags.length = 0;
    warmupLags.length = 0;
    const setupApplied = await applied(database);
    progress(`mixed: ${fmt(rate)} events/s for ${warmupS} s of warm-up, then ${durationS} s measured, into statistics`);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    let sent = 0;
    const [, cpu] = await withCpu(async () => {
      const begin = Date.now();
      measureFrom = begin + warmupS * 1_000;
      const tickMs = 20;
      for (let tick = 0; Date.now() - begin < (warmupS + durationS) * 1_000; tick++) {
        const due = Math.floor(((tick + 1) * tickMs * rate) / 1_000) - sent;
        const batch: Outgoing[] = [];
        while (batch.length < due) batch.push(...traffic.next(stamp()));
        const byTopic = new Map<string, { key: string; value: string }[]>();
        for (const m of batch) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), { key: m.key, value: m.value }]);
        await producer.sendBatch({ acks: -1, compression: CompressionTypes.None, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
        sent += batch.length;
        const wait = begin + (tick + 1) * tickMs - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    });
    await producer.disconnect();
    const producedSeconds = warmupS + durationS;
    // Let it catch up (bounded), then read what it did.
    const catchUpStart = Date.now();
    let done = (await applied(database)) - setupApplied;
    while (done < sent && Date.now() - catchUpStart < 120_000) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      done = (await applied(database)) - setupApplied;
      progress(`mixed: ${fmt(done)} of ${fmt(sent)} applied`);
    }
    // Measured before the wait for the last rounds, which is not the consumers' time.
    const caughtUpSeconds = (Date.now() - catchUpStart) / 1_000;
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // the last rounds on the stream
    const sorted = [...lags].sort((a, b) => a - b);
    const warm = [...warmupLags].sort((a, b) => a - b);
    return {
      offered: rate,
      sent,
      seconds: producedSeconds,
      appliedRate: done / (caughtUpSeconds + producedSeconds),
      caughtUpSeconds,
      lagMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN, count: sorted.length },
      warmupLagMs: { p50: percentile(warm, 50), p99: percentile(warm, 99), max: warm.at(-1) ?? Number.NaN, count: warm.length },
      cpu,
    };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await stopChild(child);
    await dropDatabase(env.databaseUrl, database);
    await deleteServiceTopics(env, database);
  }
}

interface RebuildResult {
  events: number;
  produceRate: number;
  seconds: number;
  rate: number;
  cpu: CpuUse;
  floor: RebuildFloor;
}

async function rebuild(): Promise<RebuildResult> {
  const database = `bench_statistics_${scratchId()}`;
  const prefix = topicPrefixOf(database);
  await topicsFor(database);
  const traffic = new Traffic(prefix, municipalities, 2);
  progress(`rebuild: producing ${fmt(rebuildEvents)} events`);
  const produceStart = Date.now();
  const setup = traffic.setup(new Date(Date.now() - 86_400_000));
  await produce(setup);
  let total = setup.length;
  while (total < rebuildEvents) {
    const chunk: Outgoing[] = [];
    while (chunk.length < 50_000 && total + chunk.length < rebuildEvents) chunk.push(...traffic.next());
    await produce(chunk);
    total += chunk.length;
  }
  const produceRate = total / ((Date.now() - produceStart) / 1_000);
  const port = await freePort();
  const child = await spawnService("statistics", env, database, port, PSEUDONYM);
  try {
    await waitReady(child, port, "statistics");
    let first = 0;
    let n = 0;
    const [, cpu] = await withCpu(async () => {
      for (let last = -1; n < total; ) {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        n = await applied(database);
        if (n > 0 && first === 0) first = Date.now();
        if (n !== last) progress(`rebuild: ${fmt(n)} of ${fmt(total)} applied`);
        last = n;
      }
    });
    const seconds = (Date.now() - first) / 1_000;
    // The floor, in the database the rebuild filled, with the service stopped.
    await stopChild(child);
    progress("rebuild: measuring the floor, each event's rows written by pgbench alone, 1,000 a transaction");
    const floor = await measureRebuildFloor(withDatabase(env.databaseUrl, database));
    return { events: total, produceRate, seconds, rate: total / seconds, cpu, floor };
  } finally {
    await stopChild(child);
    await dropDatabase(env.databaseUrl, database);
    await deleteServiceTopics(env, database);
  }
}

let mixedResult: MixedResult | undefined;
let rebuildResult: RebuildResult | undefined;
if (phases.has("mixed")) {
  await settle(waiting);
  mixedResult = await mixed();
}
if (phases.has("rebuild")) {
  await settle(waiting);
  rebuildResult = await rebuild();
}

const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");
const rows: string[][] = [["statistics' consumers", PSEUDONYM.STATISTICS_CONSUMER_BATCH === "true" ? "batch mode (one transaction per fetched partition batch)" : "one transaction per event", "info", ""]];
if (mixedResult) {
  const r = mixedResult;
  rows.push(
    [`mixed: ${fmt(r.offered)} events/s offered for ${r.seconds} s (${fmt(r.sent)} sent), applied`, `${fmt(r.appliedRate)} events/s; caught up ${r.caughtUpSeconds.toFixed(1)} s after the load`, `${fmt(GOALS.rate)}/s`, verdict(r.appliedRate >= GOALS.rate * 0.95)],
    [
      `mixed: source commit → aggregate on kruzhok.statistics.v1 (worst event of each round), the last ${durationS} s`,
      `p50 ${fmt(r.lagMs.p50)} ms, p95 ${fmt(r.lagMs.p95)} ms, p99 ${fmt(r.lagMs.p99)} ms, max ${fmt(r.lagMs.max)} ms (n=${r.lagMs.count})`,
      `p99 ≤ ${fmt(GOALS.p99Ms)} ms`,
      verdict(r.lagMs.p99 <= GOALS.p99Ms),
    ],
    [
      `mixed: the same in the first ${warmupS} s of the load (warm-up, not counted)`,
      r.warmupLagMs.count === 0 ? "none" : `p50 ${fmt(r.warmupLagMs.p50)} ms, p99 ${fmt(r.warmupLagMs.p99)} ms, max ${fmt(r.warmupLagMs.max)} ms (n=${r.warmupLagMs.count})`,
      "info",
      "",
    ],
    ["mixed: CPU (statistics and the load / Postgres / Kafka / others)", `${(r.cpu.children + r.cpu.benchProcess).toFixed(2)} / ${r.cpu.postgres.toFixed(2)} / ${r.cpu.kafka.toFixed(2)} / ${r.cpu.other.toFixed(2)} cores`, "info", ""],
  );
}
if (rebuildResult) {
  const r = rebuildResult;
  const ratio = r.rate / consumerCeiling;
  rows.push(
    [`rebuild: ${fmt(r.events)} events from offset 0 into an empty database`, `${r.seconds.toFixed(1)} s = ${fmt(r.rate)} events/s (produced at ${fmt(r.produceRate)}/s)`, "info", ""],
    ["rebuild rate / raw kafkajs consumer", `${pct(ratio)} (${fmt(r.rate)} / ${fmt(consumerCeiling)} msg/s)`, `≥ ${pct(GOALS.rebuildRatio)}`, verdict(ratio >= GOALS.rebuildRatio)],
    [
      "rebuild floor: each event's rows alone, written by pgbench (no Kafka, Node or reads)",
      `${fmt(r.floor.eventsPerSecond)} events/s = ${pct(r.floor.eventsPerSecond / consumerCeiling)} of the raw consumer; machine ${pct(r.floor.cpu.machineBusy)} busy, Postgres ${fmt(r.floor.cpu.postgres, 2)} cores; ${r.floor.settings}`,
      "info",
      "",
    ],
  );
}
const results: Table = { headers: ["measure", "figure", "goal", "result"], rows };
const machineTable: Table = { headers: ["machine", ""], rows: machineRows(machine) };
const markdown = printRun("Statistics benchmark", [machineTable, ceilingsTable(ceilings), results]);
const files = await writeResults("statistics", { startedAt: started.toISOString(), machine, ceilings, mixed: mixedResult, rebuild: rebuildResult, args }, markdown);
progress(`results: ${files.join(", ")}`);
