// The outbox relay next to the machine's ceilings: `bash test/bench/run outbox`.
//
//   tsx test/bench/outbox/main.ts [--ceilings <ceilings-*.json>] [--batch-size N] [--idle-ms N]
//                                 [--events N] [--rate N] [--duration S] [--phases backlog,steady,effect]
//
// --ceilings reuses the pgbench and raw-producer figures of a ceilings run instead of measuring
// them again (`run all` passes the file its ceilings step just wrote).
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { createKafka, ensureTopics } from "@kruzhok/messaging";
import { createLogger } from "@kruzhok/observability";
import { createPool, dropDatabase, ensureDatabase, withDatabase } from "@kruzhok/postgres";
import {
  ceilingsTable,
  deleteTopics,
  figureOf,
  measureKafkaRaw,
  measurePgbenchAppOutbox,
  measured,
  prepareAppOutboxSchema,
  scratchId,
  type Ceiling,
  type PgbenchOptions,
} from "../ceilings/measure";
import { benchEnv } from "../lib/env";
import { describeMachine, machineRows } from "../lib/machine";
import { fmt, markdownTable, out, pct, progress, textTable, writeResults, type Table } from "../lib/report";
import { DISTURBED_CORES, idleCheck, settle, type CpuUse } from "../lib/cpu";
import type { ProfileSummary } from "./profile";
import {
  backlogDrain,
  relayEffect,
  steadyLoad,
  type BacklogResult,
  type Deps,
  type Distribution,
  type EffectResult,
  type RelaySettings,
  type SteadyResult,
} from "./scenarios";

const { values: args } = parseArgs({
  options: {
    ceilings: { type: "string" },
    "batch-size": { type: "string" },
    "idle-ms": { type: "string" },
    events: { type: "string", default: "100000" },
    rate: { type: "string", default: "1000" },
    duration: { type: "string", default: "20" },
    phases: { type: "string", default: "backlog,steady,effect" },
  },
});
const phases = new Set(args.phases.split(",").map((phase) => phase.trim()));
for (const phase of phases) {
  if (!["backlog", "steady", "effect"].includes(phase)) throw new Error(`unknown phase ${phase}; use backlog, steady, effect`);
}
const positive = (name: string, text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer, not ${text}`);
  return value;
};
const settings: RelaySettings = {};
const batchSize = positive("batch-size", args["batch-size"]);
const idleMs = positive("idle-ms", args["idle-ms"]);
if (batchSize !== undefined) settings.batchSize = batchSize;
if (idleMs !== undefined) settings.idleMs = idleMs;
const events = positive("events", args.events) ?? 100_000;
const rate = positive("rate", args.rate) ?? 1_000;
const durationS = positive("duration", args.duration) ?? 20;
const effectOptions: PgbenchOptions = { clients: 8, threads: 2, durationS: 10 };

const GOALS = { drainRatio: 0.5, drainSeconds: 30, p99Ms: 1_000 } as const;

const env = benchEnv();
const started = new Date();
const machine = await describeMachine(env);
// Figures are only as good as the machine is quiet: say how busy it was before we started.
const busyBefore = await idleCheck();
const quiet = busyBefore < 0.1 ? "quiet" : "NOT quiet: other load will lower the figures";
progress(`machine busy before the run: ${pct(busyBefore)} (${quiet})`);
const waiting = (busy: number) => progress(`machine ${pct(busy)} busy; waiting for it to quieten (BENCH_QUIET_WAIT_S)`);
const logger = createLogger({ service: "bench-outbox", level: "warn" }, process.stderr);

// ---------------------------------------------------------------- ceilings of this run

let ceilings: Ceiling[];
let ceilingsSource: string;
if (args.ceilings) {
  const saved = JSON.parse(await readFile(args.ceilings, "utf8")) as { ceilings: Ceiling[]; startedAt: string };
  ceilings = saved.ceilings.filter((ceiling) => ["pgbench.app+outbox", "kafka.produce"].includes(ceiling.id));
  ceilingsSource = `reused from ${args.ceilings} (measured ${saved.startedAt})`;
} else {
  await settle(waiting);
  ceilings = [...(await measured(() => measurePgbenchAppOutbox(env)))];
  await settle(waiting);
  ceilings.push(...(await measured(() => measureKafkaRaw(env, { consume: false }))));
  ceilingsSource = "measured at the start of this run";
}
const producerRate = figureOf(ceilings, "kafka.produce");
const pgbenchTps = figureOf(ceilings, "pgbench.app+outbox");

// ---------------------------------------------------------------- scratch database and topics

const id = scratchId();
const database = `bench_outbox_${id}`;
const topics = { backlog: `bench.${id}.backlog`, steady: `bench.${id}.steady`, effect: `bench.${id}.effect` };
const databaseUrl = withDatabase(env.databaseUrl, database);
await ensureDatabase(env.databaseUrl, database);
const pool = createPool({ connectionString: databaseUrl, max: 4, applicationName: "bench-outbox-relay" });
const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: `bench-outbox-${id}` }, logger);
const deps: Deps = { pool, databaseUrl, kafka, logger };

let backlog: BacklogResult | undefined;
let steady: SteadyResult | undefined;
let effect: EffectResult | undefined;
try {
  await prepareAppOutboxSchema(pool);
  await ensureTopics(
    kafka,
    Object.values(topics).map((topic) => ({ topic, partitions: 6, deadLetter: false })),
  );
  if (phases.has("backlog")) {
    await settle(waiting);
    backlog = await backlogDrain(deps, topics.backlog, events, settings);
  }
  if (phases.has("steady")) {
    await settle(waiting);
    steady = await steadyLoad(deps, topics.steady, id, { rate, durationS }, settings);
  }
  if (phases.has("effect")) {
    await settle(waiting);
    effect = await relayEffect(deps, topics.effect, effectOptions, settings);
  }
} finally {
  await pool.end();
  await dropDatabase(env.databaseUrl, database);
  await deleteTopics(kafka, Object.values(topics));
}
const seconds = (Date.now() - started.getTime()) / 1_000;

// ---------------------------------------------------------------- report

// A miss while other processes took CPU says so: the figure may be the machine's, not the relay's.
const verdict = (ok: boolean, cpu?: CpuUse) =>
  ok ? "PASS" : cpu && cpu.other > DISTURBED_CORES ? `FAIL (other load ${cpu.other.toFixed(2)} cores)` : "FAIL";
const ms = (value: number) => `${fmt(value)} ms`;
const lagCells = (d: Distribution) => `p50 ${ms(d.p50)}, p95 ${ms(d.p95)}, p99 ${ms(d.p99)}, max ${ms(d.max)} (n=${fmt(d.count)})`;
const relaySettings = `OutboxRelay, batchSize ${settings.batchSize ?? 1_000}, idleMs ${settings.idleMs ?? 25}`;
const ratios: Record<string, number> = { pgbenchCeilingTps: pgbenchTps, producerCeilingMsgPerS: producerRate };

const rows: string[][] = [];
if (backlog) {
  // The goal is stated for 100k events; a smaller --events run is judged by its rate.
  const drainOk = backlog.eventsPerSecond * GOALS.drainSeconds >= Math.max(100_000, backlog.events);
  const drainRatio = backlog.eventsPerSecond / producerRate;
  ratios.drainToProducer = drainRatio;
  rows.push(
    [
      `backlog: ${fmt(backlog.events)} events (${backlog.payloadBytes} B) drained, start() → drain()`,
      `${backlog.drainSeconds.toFixed(1)} s = ${fmt(backlog.eventsPerSecond)} events/s`,
      `100k < ${GOALS.drainSeconds} s`,
      verdict(drainOk, backlog.cpu),
    ],
    [
      "backlog drain rate / raw batched producer",
      `${pct(drainRatio)} (${fmt(backlog.eventsPerSecond)} / ${fmt(producerRate)} msg/s)`,
      `≥ ${pct(GOALS.drainRatio)}`,
      verdict(drainRatio >= GOALS.drainRatio, backlog.cpu),
    ],
    [
      "backlog: messages on the topic afterwards",
      fmt(backlog.published),
      `= ${fmt(backlog.events)}`,
      verdict(backlog.published === backlog.events),
    ],
    [
      `relay SELECT on an empty outbox with ${fmt(backlog.events)} marked rows not yet vacuumed → after VACUUM`,
      `${backlog.deadIndex.beforeVacuum.ms.toFixed(2)} ms, ${fmt(backlog.deadIndex.beforeVacuum.buffers)} buffers → ${backlog.deadIndex.afterVacuum.ms.toFixed(2)} ms, ${fmt(backlog.deadIndex.afterVacuum.buffers)} buffers`,
      "info",
      "",
    ],
  );
}
if (steady) {
  const writerRate = steady.writer.committed / steady.writer.seconds;
  const writer = steady.writer;
  rows.push(
    [
      `steady: writer process, app + outbox row per tx, target ${fmt(rate)}/s for ${durationS} s`,
      `${fmt(writerRate)} tx/s, ${fmt(writer.committed)} committed, ${writer.failed} failed; tx p50 ${writer.latencyMs.p50.toFixed(1)} ms, p99 ${writer.latencyMs.p99.toFixed(1)} ms (from schedule); ${writer.cpuMsPerTx.toFixed(2)} ms CPU/tx`,
      `${fmt(rate)}/s, 0 failed`,
      verdict(writer.failed === 0 && writerRate >= rate * 0.95, steady.cpu),
    ],
    [
      "steady: commit → Kafka ack (created_at → published_at)",
      lagCells(steady.commitToPublishMs),
      `p99 < ${fmt(GOALS.p99Ms)} ms`,
      verdict(steady.commitToPublishMs.p99 < GOALS.p99Ms, steady.cpu),
    ],
    [
      "steady: commit → consumer received (end to end)",
      lagCells(steady.commitToConsumeMs),
      `p99 < ${fmt(GOALS.p99Ms)} ms`,
      verdict(steady.commitToConsumeMs.p99 < GOALS.p99Ms, steady.cpu),
    ],
    [
      "steady: events received / duplicates",
      `${fmt(steady.received)} / ${steady.duplicates}`,
      "= committed / 0",
      verdict(steady.received === writer.committed && steady.duplicates === 0),
    ],
  );
}
if (effect) {
  ratios.effectTps = effect.with.tps / effect.without.tps;
  rows.push(
    [
      `write TPS, pgbench -c ${effectOptions.clients} -T ${effectOptions.durationS}, same database: without → with relay`,
      `${fmt(effect.without.tps)} → ${fmt(effect.with.tps)} tx/s (${pct(ratios.effectTps)}; ceiling above ${fmt(pgbenchTps)}); other load ${effect.cpuWithout.other.toFixed(2)} → ${effect.cpuWith.other.toFixed(2)} cores`,
      "info",
      "",
    ],
    [
      "relay during that pgbench run: published / left / catch-up",
      `${fmt(effect.publishedDuring)} published (${fmt(effect.publishedDuring / effect.with.durationS)}/s), ${fmt(effect.backlogAtEnd)} left, caught up ${effect.catchUpSeconds.toFixed(1)} s later`,
      "info",
      "",
    ],
  );
}
const results: Table = { headers: ["measure", "figure", "goal", "result"], rows };

// Where a round's time goes (mean per round that published something), and the CPU of each phase.
const profiled: [string, ProfileSummary, CpuUse][] = [];
if (backlog) profiled.push(["backlog drain", backlog.profile, backlog.cpu]);
if (steady) profiled.push([`steady ${fmt(rate)}/s`, steady.profile, steady.cpu]);
const stepNames = profiled[0]?.[1].steps.map((step) => step.step) ?? [];
const profileTable: Table = {
  headers: ["relay round", ...profiled.map(([name]) => name)],
  rows: [
    ["rounds (publishing / all)", ...profiled.map(([, p]) => `${fmt(p.busyRounds)} / ${fmt(p.rounds)}`)],
    ["events per publishing round", ...profiled.map(([, p]) => fmt(p.meanBatch, 1))],
    ...stepNames.map((step) => [
      `${step}, ms`,
      ...profiled.map(([, p]) => {
        const found = p.steps.find((summary) => summary.step === step);
        return found ? `${found.meanMs.toFixed(2)} (${pct(found.meanMs / p.busyRoundMs)})` : "";
      }),
    ]),
    ["sum of steps, ms", ...profiled.map(([, p]) => p.busyRoundMs.toFixed(2))],
    ["round wall time, ms", ...profiled.map(([, p]) => p.busyRoundWallMs.toFixed(2))],
    ["select, first 10 → last 10 rounds, ms", ...profiled.map(([, p]) => `${p.selectFirstMs.toFixed(2)} → ${p.selectLastMs.toFixed(2)}`)],
    ["CPU: machine busy (of all cores)", ...profiled.map(([, , c]) => pct(c.machineBusy))],
    [
      "CPU cores: relay+consumer process / writer / postgres / kafka / irq / other",
      ...profiled.map(
        ([, , c]) =>
          [c.benchProcess, c.children, c.postgres, c.kafka, c.irq, c.other].map((cores) => cores.toFixed(2)).join(" / "),
      ),
    ],
  ],
};

const ceilingTable = ceilingsTable(ceilings);
out(`\nOutbox relay (${started.toISOString()}, ${seconds.toFixed(0)} s; relay ${relaySettings})`);
out(`Machine busy before the run: ${pct(busyBefore)} (${quiet}).\n`);
out(`Ceilings, ${ceilingsSource}:\n`);
out(textTable(ceilingTable));
out("\nRelay:\n");
out(textTable(results));
if (profiled.length > 0) {
  out("\nRelay rounds (mean per publishing round) and CPU:\n");
  out(textTable(profileTable));
}
const files = await writeResults(
  "outbox",
  {
    kind: "outbox",
    startedAt: started.toISOString(),
    seconds,
    machine,
    busyBefore,
    relaySettings: settings,
    goals: GOALS,
    ceilingsSource,
    ceilings,
    ratios,
    backlog,
    steady,
    effect,
  },
  [
    `# Outbox relay, ${started.toISOString()} (relay ${relaySettings})`,
    "",
    `Machine busy before the run: ${pct(busyBefore)} (${quiet}).`,
    "",
    `Ceilings, ${ceilingsSource}:`,
    "",
    markdownTable(ceilingTable),
    "",
    markdownTable(results),
    "",
    ...(profiled.length > 0 ? [markdownTable(profileTable), ""] : []),
    markdownTable({ headers: ["machine", ""], rows: machineRows(machine) }),
  ].join("\n"),
  started,
);
out(`\nwritten: ${files.join(", ")}`);
