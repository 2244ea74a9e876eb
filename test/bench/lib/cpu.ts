import { readdir, readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where the CPU went during a measurement: our servers (Postgres, our Kafka broker, Redis), this
 * process and its children (writer, pgbench, redis-benchmark, a server under test), and the
 * processes of others. On a shared machine "other" is load the benchmark did not make and that
 * lowers its figures; the reports print it beside them. Live Postgres backends of other
 * databases count as other; work others send to Kafka, or through backends that exit
 * meanwhile, counts as the server's, so "other" is a lower bound.
 */
export interface CpuSnapshot {
  at: number;
  busyTicks: number;
  totalTicks: number;
  /** irq + softirq (loopback networking lands here). */
  irqTicks: number;
  postgres: number;
  kafka: number;
  redis: number;
  self: number;
  children: number;
  other: number;
}

export interface CpuUse {
  /** Busy share of all cores (0..1). */
  machineBusy: number;
  /** Average cores kept busy by each. */
  postgres: number;
  kafka: number;
  redis: number;
  benchProcess: number;
  children: number;
  irq: number;
  /** Processes that are neither ours nor our servers (other people's tests, builds, brokers). */
  other: number;
  /** Busy time no process accounts for (kernel threads, exited processes of others). */
  unattributed: number;
}

// USER_HZ is 100 on every Linux kernel the project runs on.
const TICKS_PER_SECOND = 100;
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const kafkaPidFile = resolve(process.env.KRUZHOK_STATE_DIR ?? resolve(repoRoot, ".local"), "kafka/kafka.pid");

interface ProcStat {
  comm: string;
  ppid: number;
  ticks: number;
  /** Times of children it has waited for: exited children (pgbench, a backend) land here. */
  childTicks: number;
}

async function readStat(pid: string | number): Promise<ProcStat | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, "utf8");
    const close = text.lastIndexOf(")");
    const rest = text.slice(close + 2).split(" ");
    // rest[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
    return {
      comm: text.slice(text.indexOf("(") + 1, close),
      ppid: Number(rest[1]),
      ticks: Number(rest[11]) + Number(rest[12]),
      childTicks: Number(rest[13]) + Number(rest[14]),
    };
  } catch {
    return undefined; // exited meanwhile
  }
}

/** Every process's stat now, by pid. */
async function allProcs(): Promise<Map<number, ProcStat>> {
  const procs = new Map<number, ProcStat>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const proc = await readStat(entry);
    if (proc) procs.set(Number(entry), proc);
  }
  return procs;
}

/** Whether `pid` is a child, grandchild… of `root` (at most 16 generations up). */
function descendsFrom(procs: ReadonlyMap<number, ProcStat>, pid: number, root: number): boolean {
  for (let up = procs.get(pid)?.ppid, hops = 0; up !== undefined && up > 1 && hops < 16; up = procs.get(up)?.ppid, hops++) {
    if (up === root) return true;
  }
  return false;
}

/** This process's parents (tsx, pnpm, the run script): idle while we measure, and not "other". */
async function ancestors(): Promise<Set<number>> {
  const found = new Set<number>();
  for (let pid = process.ppid; pid > 1 && !found.has(pid); ) {
    found.add(pid);
    pid = (await readStat(pid))?.ppid ?? 0;
  }
  return found;
}

/** Databases the ceilings and outbox benchmarks make, and the admin database. */
const OUR_DATABASE = /^(bench_(pgbench|outbox|registry|catalogue|enrollment|attendance|payments|statistics)_[0-9a-f]{8}|postgres)$/;

/** A backend's title is `postgres: <cluster>: <user> <database> <client> <state>`. */
async function foreignBackend(pid: number): Promise<boolean> {
  const title = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  const database = /^postgres: [^:]+: \S+ (\S+) \S+\(\d+\)/.exec(title)?.[1];
  return database !== undefined && !OUR_DATABASE.test(database);
}

export async function cpuSnapshot(): Promise<CpuSnapshot> {
  const stat = await readFile("/proc/stat", "utf8");
  const fields = (stat.split("\n")[0] ?? "").trim().split(/\s+/).slice(1, 9).map(Number);
  const totalTicks = fields.reduce((sum, value) => sum + value, 0);
  const idleTicks = (fields[3] ?? 0) + (fields[4] ?? 0);
  // Our broker only: another Kafka broker on the machine is "other".
  const kafkaPid = Number((await readFile(kafkaPidFile, "utf8").catch(() => "")).trim());
  const parents = await ancestors();
  const snapshot: CpuSnapshot = {
    at: performance.now(),
    busyTicks: totalTicks - idleTicks,
    totalTicks,
    irqTicks: (fields[5] ?? 0) + (fields[6] ?? 0),
    postgres: 0,
    kafka: 0,
    redis: 0,
    self: 0,
    children: 0,
    other: 0,
  };
  const procs = await allProcs();
  // Children and their children (a service's cluster workers): ours.
  const ours = (pid: number): boolean => descendsFrom(procs, pid, process.pid);
  for (const [pid, proc] of procs) {
    if (pid === 2 || proc.ppid === 2 || parents.has(pid)) continue; // kernel threads, our parents
    const all = proc.ticks + proc.childTicks;
    if (pid === process.pid) {
      snapshot.self += proc.ticks;
      snapshot.children += proc.childTicks;
    } else if (ours(pid)) snapshot.children += all;
    else if (pid === kafkaPid) snapshot.kafka += all;
    // A backend that exited (pgbench's, a closed pool's) left its time with the postmaster.
    // Live backends of other people's databases are theirs.
    else if (proc.comm === "postgres") {
      if (await foreignBackend(pid)) snapshot.other += all;
      else snapshot.postgres += all;
    }
    else if (proc.comm === "redis-server") snapshot.redis += all;
    else if (pid !== 1) snapshot.other += all;
  }
  return snapshot;
}

export function cpuSince(before: CpuSnapshot, after: CpuSnapshot): CpuUse {
  const seconds = (after.at - before.at) / 1_000;
  const cores = (key: "postgres" | "kafka" | "redis" | "self" | "children" | "irqTicks" | "other") =>
    Math.max(0, after[key] - before[key]) / TICKS_PER_SECOND / seconds;
  const machineBusy = (after.busyTicks - before.busyTicks) / Math.max(1, after.totalTicks - before.totalTicks);
  const use = {
    machineBusy,
    postgres: cores("postgres"),
    kafka: cores("kafka"),
    redis: cores("redis"),
    benchProcess: cores("self"),
    children: cores("children"),
    irq: cores("irqTicks"),
    other: cores("other"),
  };
  const accounted = use.postgres + use.kafka + use.redis + use.benchProcess + use.children + use.irq + use.other;
  return { ...use, unattributed: Math.max(0, machineBusy * availableParallelism() - accounted) };
}

/**
 * The CPU of several separate periods as if they were one: each one's ticks and time added up,
 * so that a benchmark measured in rounds with other work between them (its ceiling's rounds)
 * counts only its own.
 */
export function cpuOverPeriods(periods: readonly (readonly [CpuSnapshot, CpuSnapshot])[]): CpuUse {
  const keys = ["at", "busyTicks", "totalTicks", "irqTicks", "postgres", "kafka", "redis", "self", "children", "other"] as const;
  const zero = Object.fromEntries(keys.map((key) => [key, 0])) as unknown as CpuSnapshot;
  const sum = { ...zero };
  for (const [before, after] of periods) for (const key of keys) sum[key] += after[key] - before[key];
  return cpuSince(zero, sum);
}

/** CPU seconds a process and its descendants have used so far (a server under test and its workers). */
export async function treeCpuSeconds(root: number): Promise<number> {
  const procs = await allProcs();
  let ticks = 0;
  for (const [pid, proc] of procs) if (pid === root || descendsFrom(procs, pid, root)) ticks += proc.ticks;
  return ticks / TICKS_PER_SECOND;
}

/** Measure `work` and the CPU around it. */
export async function withCpu<T>(work: () => Promise<T>): Promise<[T, CpuUse]> {
  const before = await cpuSnapshot();
  const result = await work();
  return [result, cpuSince(before, await cpuSnapshot())];
}

/** Busy share of the machine over `ms`, before a benchmark starts: is anyone else using it? */
export async function idleCheck(ms = 1_000): Promise<number> {
  const before = await cpuSnapshot();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return cpuSince(before, await cpuSnapshot()).machineBusy;
}

/** Cores of other processes' load above which a figure is marked as disturbed. */
export const DISTURBED_CORES = 0.25;

/**
 * On a shared machine, wait (up to BENCH_QUIET_WAIT_S seconds, default 0 = not at all) until
 * other processes leave the CPU alone before a measurement. Returns the last busy share seen.
 */
export async function settle(onWait?: (busy: number) => void): Promise<number | undefined> {
  const limitS = Number(process.env.BENCH_QUIET_WAIT_S ?? "0");
  if (!(limitS > 0)) return undefined;
  const deadline = performance.now() + limitS * 1_000;
  for (let waited = false; ; waited = true) {
    const busy = await idleCheck(1_000);
    if (busy < 0.1 || performance.now() > deadline) return busy;
    if (!waited) onWait?.(busy);
  }
}
