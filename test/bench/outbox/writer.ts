// The steady-load writer, in its own process (as the services that write the outbox are): one
// transaction = one application row + one outbox row via appendToOutbox, started on an
// open-loop schedule of `rate` per second, so a slow commit delays no later start and shows up
// as latency instead of as a lower rate (no coordinated omission).
import { setTimeout as sleep } from "node:timers/promises";
import { appendToOutbox } from "@kruzhok/messaging";
import { createPool, withTransaction } from "@kruzhok/postgres";
import { benchEvent } from "../lib/events";
import { percentile } from "../lib/report";

export interface WriterConfig {
  databaseUrl: string;
  topic: string;
  rate: number;
  durationS: number;
  connections: number;
}

export interface WriterReport {
  kind: "writer-done";
  committed: number;
  failed: number;
  firstError?: string;
  seconds: number;
  /** CPU time of this process (user + system) per committed transaction. */
  cpuMsPerTx: number;
  /** From the scheduled start to COMMIT returning. */
  latencyMs: { p50: number; p99: number; max: number };
}

const config = JSON.parse(process.argv[2] ?? "{}") as WriterConfig;
const pool = createPool({ connectionString: config.databaseUrl, max: config.connections, applicationName: "bench-writer" });
const total = Math.round(config.rate * config.durationS);
const interval = 1_000 / config.rate;
const latencies: number[] = [];
let failed = 0;
let firstError: string | undefined;

async function write(scheduledAt: number): Promise<void> {
  try {
    await withTransaction(pool, async (tx) => {
      const event = benchEvent(config.topic, new Date());
      await tx.query(
        `INSERT INTO bench_seat_request (id, municipality_id, programme_id, seat, status)
         VALUES ($1, $2, gen_random_uuid(), $3, 'requested')`,
        [event.aggregateId, event.municipalityId, (event.data as { seat: number }).seat],
      );
      await appendToOutbox(tx, [{ topic: config.topic, event }]);
    });
    latencies.push(performance.now() - scheduledAt);
  } catch (error) {
    failed++;
    firstError ??= (error as Error).message;
  }
}

// Warm the pool so that connection setup is not charged to the first transactions.
await Promise.all(Array.from({ length: config.connections }, () => pool.query("SELECT 1")));

const inFlight = new Set<Promise<void>>();
const cpuBefore = process.cpuUsage();
const started = performance.now();
for (let next = 0; next < total; ) {
  const now = performance.now();
  while (next < total && started + next * interval <= now) {
    const work = write(started + next * interval);
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
    next++;
  }
  if (next < total) await sleep(Math.max(0, started + next * interval - performance.now()));
}
await Promise.all(inFlight);
const seconds = (performance.now() - started) / 1_000;
const cpu = process.cpuUsage(cpuBefore);
await pool.end();

latencies.sort((a, b) => a - b);
const report: WriterReport = {
  kind: "writer-done",
  committed: latencies.length,
  failed,
  seconds,
  cpuMsPerTx: (cpu.user + cpu.system) / 1_000 / Math.max(1, latencies.length),
  latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? Number.NaN },
  ...(firstError ? { firstError } : {}),
};
process.send?.(report, () => process.disconnect?.());
