// Position streams (issue 19): how many open subscriptions one enrollment worker holds, and what
// opening day's reordering costs it. `bash test/bench/run streams`.
//
//   tsx test/bench/enrollment/streams.ts [--levels 1000,5000,10000] [--groups N] [--surge-rate N]
//       [--surge-seconds S] [--coalesce-ms N]
//
// Enrollment runs as one worker (WORKERS=1: the figures are one worker's), production-shaped
// (oidc tokens from the run's local identity provider), on a scratch database and Redis prefix.
// Reference data as in the opening-day benchmark (SQL into its read models), then one waiting
// application per subscriber through POST /applications. A baseline reordering surge runs with
// no stream open: `--surge-rate` priority-category children a second for `--surge-seconds`,
// spread over every group, each going ahead of every subscriber in its group. Then, per level,
// that many streams are opened (GET /applications/:id/position/stream, one keep-alive socket each,
// every one waiting for its first `position`), the worker's memory and idle CPU are read, and the
// same surge runs again with fresh children: the worker's CPU beside the baseline's, the events
// pushed, and the delay from a submission's answer to the event it caused at a subscriber of its
// group (coalescing included). Afterwards a sample of subscribers' last pushed place is compared
// with a lookup's answer.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Agent, request as httpRequest } from "node:http";
import { connect, type Socket } from "node:net";
import { parseArgs } from "node:util";
import { createPool, dropDatabase, withDatabase, type Pool } from "@kruzhok/postgres";
import { Redis } from "ioredis";
import { deleteRedisKeys } from "@kruzhok/testkit";
import { scratchId } from "../ceilings/measure";
import { DISTURBED_CORES, withCpu, type CpuUse } from "../lib/cpu";
import { benchEnv } from "../lib/env";
import { describeMachine, machineRows } from "../lib/machine";
import { stopChild } from "../lib/proc";
import { writeReferenceData } from "./reference";
import { bearerFor, deleteServiceTopics, freePort, spawnService, waitReady } from "../lib/service";
import { fmt, percentile, printRun, progress, writeResults, type Table } from "../lib/report";

const { values: args } = parseArgs({
  options: {
    levels: { type: "string", default: "1000,5000,10000" },
    groups: { type: "string", default: "200" },
    "surge-rate": { type: "string", default: "200" },
    "surge-seconds": { type: "string", default: "10" },
    "coalesce-ms": { type: "string", default: "500" },
  },
});
const levels = args.levels.split(",").map(Number);
const groupCount = Number(args.groups);
const surgeRate = Number(args["surge-rate"]);
const surgeSeconds = Number(args["surge-seconds"]);
const coalesceMs = Number(args["coalesce-ms"]);
for (const [name, value] of Object.entries({ groupCount, surgeRate, surgeSeconds, coalesceMs, ...Object.fromEntries(levels.map((l, i) => [`level ${i}`, l])) })) {
  if (!(Number.isInteger(value) && value > 0)) throw new Error(`${name} must be a positive integer`);
}
const maxLevel = Math.max(...levels);
const surgeChildren = surgeRate * surgeSeconds;

const env = benchEnv();
const machine = await describeMachine(env);
const id = scratchId();
const database = `bench_streams_${id}`;
const keyPrefix = `bench:${id}:enrollment:`;
const port = await freePort();
const service = await spawnService("enrollment", env, database, port, {
  REDIS_KEY_PREFIX: keyPrefix,
  WORKERS: "1",
  POSITION_STREAM_MAX: String(maxLevel + 100),
  POSITION_STREAM_COALESCE_MS: String(coalesceMs),
});

const agent = new Agent({ keepAlive: true, maxSockets: 128 });
function send(method: "GET" | "POST", path: string, authorization: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { authorization };
    if (body !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = Buffer.byteLength(body);
      headers["idempotency-key"] = randomUUID();
    }
    const req = httpRequest({ agent, hostname: "127.0.0.1", port, method, path, headers, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** Run `work` over `items` with `concurrency` in flight. */
async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

interface PositionEvent {
  at: number;
  position: number;
  total: number;
}

/**
 * One subscriber: a raw socket with the stream's request, its chunked body decoded and its
 * `position` events kept (time of arrival, place). Hand-parsed so that 10,000 of them cost the
 * client little beside the worker under measurement.
 */
class Subscriber {
  readonly events: PositionEvent[] = [];
  status = 0;
  private socket: Socket | undefined;
  private raw: Buffer = Buffer.alloc(0);
  private headersDone = false;
  private chunkLeft = 0;
  private text = "";
  private opened: (() => void) | undefined;
  private failed: ((error: Error) => void) | undefined;

  constructor(
    readonly applicationId: string,
    readonly group: number,
    private readonly authorization: string,
  ) {}

  /** Resolves at the first `position` event. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.opened = resolve;
      this.failed = reject;
      const socket = connect(port, "127.0.0.1");
      this.socket = socket;
      socket.on("error", (error) => this.failed?.(error));
      socket.on("data", (data: Buffer) => this.read(data));
      socket.write(`GET /applications/${this.applicationId}/position/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${this.authorization}\r\n\r\n`);
    });
  }

  close(): void {
    this.socket?.destroy();
  }

  private read(data: Buffer): void {
    this.raw = this.raw.length === 0 ? data : Buffer.concat([this.raw, data]);
    if (!this.headersDone) {
      const end = this.raw.indexOf("\r\n\r\n");
      if (end < 0) return;
      this.status = Number(this.raw.subarray(9, 12).toString("latin1"));
      if (this.status !== 200) {
        this.failed?.(new Error(`stream answered ${this.raw.subarray(0, 300).toString("utf8")}`));
        return;
      }
      this.headersDone = true;
      this.raw = this.raw.subarray(end + 4);
    }
    // Chunked transfer encoding: a hex size line, the bytes, CRLF.
    for (;;) {
      if (this.chunkLeft === 0) {
        const line = this.raw.indexOf("\r\n");
        if (line < 0) return;
        const size = parseInt(this.raw.subarray(0, line).toString("latin1"), 16);
        if (!(size > 0)) {
          // The empty line after a chunk, or the last chunk.
          this.raw = this.raw.subarray(line + 2);
          if (size === 0) return;
          continue;
        }
        this.chunkLeft = size;
        this.raw = this.raw.subarray(line + 2);
      }
      if (this.raw.length === 0) return;
      const take = Math.min(this.chunkLeft, this.raw.length);
      this.text += this.raw.subarray(0, take).toString("utf8");
      this.raw = this.raw.subarray(take);
      this.chunkLeft -= take;
      this.events_();
    }
  }

  private events_(): void {
    for (let end = this.text.indexOf("\n\n"); end >= 0; end = this.text.indexOf("\n\n")) {
      const block = this.text.slice(0, end);
      this.text = this.text.slice(end + 2);
      if (!block.startsWith("event: position\n")) continue;
      const data = JSON.parse(block.slice(block.indexOf("data: ") + 6)) as { position: number; total: number };
      this.events.push({ at: performance.now(), position: data.position, total: data.total });
      const opened = this.opened;
      this.opened = undefined;
      opened?.();
    }
  }
}

/** Resident memory of the service's processes (its primary and workers), MiB. */
async function serviceRssMiB(pid: number): Promise<number> {
  const pids = [pid];
  try {
    const children = (await readFile(`/proc/${pid}/task/${pid}/children`, "utf8")).trim();
    if (children) pids.push(...children.split(/\s+/).map(Number));
  } catch {
    // No children file: the primary alone.
  }
  let kib = 0;
  for (const p of pids) {
    const status = await readFile(`/proc/${p}/status`, "utf8").catch(() => "");
    kib += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  }
  return kib / 1024;
}

let pool: Pool | undefined;
const subscribers: Subscriber[] = [];
try {
  progress(`starting enrollment (one worker) on :${port}`);
  await waitReady(service, port, "enrollment");
  pool = createPool({ connectionString: withDatabase(env.databaseUrl, database), max: 2 });
  // The subscribers' children first (no category), then each surge's (a priority category).
  const surges = levels.length + 1;
  const allChildren = maxLevel + surgeChildren * surges;
  progress(`writing reference data: ${fmt(groupCount)} groups, ${fmt(allChildren)} children`);
  const { municipalityId, groupIds, childIds, guardianIds } = await writeReferenceData(pool, { groups: groupCount, children: allChildren, largeFamily: (child) => child >= maxLevel });
  progress("signing one guardian token per child");
  const tokens: string[] = [];
  for (let i = 0; i < allChildren; i++) tokens.push(await bearerFor({ subject: `bench-guardian-${i}`, role: "guardian", municipalityId, guardianId: guardianIds[i]! }));
  const groupOf = (child: number) => child % groupCount;
  const apply = async (child: number): Promise<string> => {
    const answer = await send("POST", "/applications", tokens[child]!, JSON.stringify({ childId: childIds[child], groupId: groupIds[groupOf(child)] }));
    if (answer.status !== 201) throw new Error(`application of child ${child}: ${answer.status} ${answer.body.slice(0, 300)}`);
    return (JSON.parse(answer.body) as { id: string }).id;
  };

  progress(`${fmt(maxLevel)} subscribers apply`);
  const applicationIds: string[] = Array.from({ length: maxLevel });
  await inParallel([...Array(maxLevel).keys()], 64, async (child) => {
    applicationIds[child] = await apply(child);
  });

  /** The reordering: surge `n`'s priority children, evenly over `surgeSeconds`; the answer time of each, by group. */
  const surge = async (n: number): Promise<{ answers: number; byGroup: Map<number, number[]>; cpu: CpuUse; seconds: number }> => {
    const first = maxLevel + n * surgeChildren;
    const byGroup = new Map<number, number[]>();
    const started = performance.now();
    const [answers, cpu] = await withCpu(async () => {
      let answered = 0;
      const inFlight: Promise<void>[] = [];
      for (let i = 0; i < surgeChildren; i++) {
        const at = (i * 1_000) / surgeRate;
        const wait = started + at - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const child = first + i;
        inFlight.push(
          apply(child).then(() => {
            answered++;
            const times = byGroup.get(groupOf(child)) ?? [];
            times.push(performance.now());
            byGroup.set(groupOf(child), times);
          }),
        );
      }
      await Promise.all(inFlight);
      // The last round of pushes.
      await new Promise((resolve) => setTimeout(resolve, coalesceMs * 3));
      return answered;
    });
    return { answers, byGroup, cpu, seconds: (performance.now() - started) / 1_000 };
  };

  progress(`baseline surge without streams: ${fmt(surgeRate)} priority applications/s for ${surgeSeconds} s`);
  const baseline = await surge(0);
  const baseCores = baseline.cpu.children;

  const rows: string[][] = [];
  const perLevel: unknown[] = [];
  let opened = 0;
  let surgeNo = 1;
  for (const level of levels) {
    progress(`opening streams up to ${fmt(level)}`);
    const rssBefore = await serviceRssMiB(service.pid!);
    const openStarted = performance.now();
    const toOpen: Subscriber[] = [];
    for (; opened < level; opened++) {
      const s = new Subscriber(applicationIds[opened]!, groupOf(opened), tokens[opened]!);
      subscribers.push(s);
      toOpen.push(s);
    }
    await inParallel(toOpen, 64, (s) => s.open());
    const openSeconds = (performance.now() - openStarted) / 1_000;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const rss = await serviceRssMiB(service.pid!);
    const [, idle] = await withCpu(() => new Promise((resolve) => setTimeout(resolve, 5_000)));
    const eventsBefore = subscribers.reduce((sum, s) => sum + s.events.length, 0);
    progress(`surge with ${fmt(level)} streams open`);
    const during = await surge(surgeNo++);
    const eventsAfter = subscribers.reduce((sum, s) => sum + s.events.length, 0);
    const pushed = eventsAfter - eventsBefore;
    // Delay per pushed event: from the earliest submission of its group answered after the
    // subscriber's previous event, to its arrival.
    const delays: number[] = [];
    for (const s of subscribers) {
      const times = during.byGroup.get(s.group) ?? [];
      const firstCause = times[0] ?? Number.POSITIVE_INFINITY;
      for (let e = 1; e < s.events.length; e++) {
        const event = s.events[e]!;
        if (event.at < firstCause - 1) continue;
        const previous = s.events[e - 1]!.at;
        const cause = times.find((t) => t >= previous - 1);
        if (cause !== undefined && cause <= event.at) delays.push(event.at - cause);
      }
    }
    delays.sort((a, b) => a - b);
    // Every subscriber's group took surgeChildren / groupCount priority children: each was pushed.
    const told = subscribers.filter((s) => (s.events.at(-1)?.at ?? 0) >= (during.byGroup.get(s.group)?.[0] ?? Number.POSITIVE_INFINITY)).length;
    const extraCores = during.cpu.children - baseCores;
    rows.push([
      fmt(level),
      `${fmt(openSeconds, 1)} s (${fmt(level / openSeconds)} /s)`,
      `${fmt(rss)} MiB (+${fmt(((rss - rssBefore) * 1024) / Math.max(1, level - (opened - toOpen.length)), 1)} KiB each)`,
      `${fmt(idle.children, 3)}`,
      `${fmt(during.cpu.children, 2)} (+${fmt(extraCores, 2)} over ${fmt(baseCores, 2)}); Redis ${fmt(during.cpu.redis, 2)}`,
      `${fmt(pushed)} (${fmt(pushed / during.seconds)} /s); ${fmt(told)} of ${fmt(level)} told`,
      `p50 ${fmt(percentile(delays, 50))} ms, p99 ${fmt(percentile(delays, 99))} ms`,
      `${fmt(during.answers)} of ${fmt(surgeChildren)}${during.cpu.other > DISTURBED_CORES ? "; DISTURBED" : ""}`,
    ]);
    perLevel.push({ level, openSeconds, rssMiB: rss, idleCores: idle.children, surge: { cores: during.cpu.children, baselineCores: baseCores, redisCores: during.cpu.redis, pushed, told, delays: { p50: percentile(delays, 50), p99: percentile(delays, 99) }, answers: during.answers } });
  }

  // Once the pushes have stopped (no event for two coalescing rounds and a second), the last
  // pushed place equals a lookup's answer now.
  const eventCount = () => subscribers.reduce((sum, s) => sum + s.events.length, 0);
  for (let seen = -1; seen !== eventCount(); ) {
    seen = eventCount();
    await new Promise((resolve) => setTimeout(resolve, coalesceMs * 2 + 1_000));
  }
  const sample = subscribers.filter((_, i) => i % Math.max(1, Math.floor(subscribers.length / 200)) === 0).slice(0, 200);
  let agree = 0;
  for (const s of sample) {
    const index = subscribers.indexOf(s);
    const answer = await send("GET", `/applications/${s.applicationId}/position`, tokens[index]!);
    const now = JSON.parse(answer.body) as { position: number; total: number };
    const last = s.events.at(-1);
    if (last?.position === now.position && last.total === now.total) agree++;
  }

  const table: Table = {
    headers: ["streams open (one worker)", "opened in", "service RSS", "idle CPU (cores)", `CPU during the surge (cores)`, "events pushed", "submission → event", "surge answered"],
    rows,
  };
  const markdown = printRun("Position streams: what one enrollment worker holds, and what reordering costs it", [
    { headers: ["machine", ""], rows: machineRows(machine) },
    table,
    `Baseline surge without streams: ${fmt(baseline.answers)} of ${fmt(surgeChildren)} answered, enrollment ${fmt(baseCores, 2)} cores, Redis ${fmt(baseline.cpu.redis, 2)}. ` +
      `Coalescing ${coalesceMs} ms. Each surge: ${fmt(surgeRate)} priority applications/s for ${surgeSeconds} s over ${fmt(groupCount)} groups (every one goes ahead of every subscriber in its group). ` +
      `Last pushed place = lookup now: ${agree} of ${sample.length} sampled subscribers.`,
  ]);
  await writeResults("streams", { machine, settings: { levels, groupCount, surgeRate, surgeSeconds, coalesceMs }, baseline: { cores: baseCores, answers: baseline.answers }, levels: perLevel, agree, sampled: sample.length }, markdown);
  if (agree !== sample.length) process.exitCode = 1;
} finally {
  for (const s of subscribers) s.close();
  agent.destroy();
  await stopChild(service);
  await pool?.end();
  await dropDatabase(env.databaseUrl, database).catch(() => undefined);
  const redis = new Redis(env.redisUrl);
  await deleteRedisKeys(redis, keyPrefix);
  redis.disconnect();
  await deleteServiceTopics(env, database).catch(() => undefined);
}
