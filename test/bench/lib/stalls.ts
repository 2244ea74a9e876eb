import { spawn, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { fmt } from "./report";

/**
 * The probe, one per core: wakes every millisecond and notes each wake-up that came later than
 * `threshold` ms after the one before, with when it ended (Date.now()); prints them as JSON when
 * told to stop (SIGTERM). It ends by itself after `limit` seconds, so that a benchmark that died
 * does not leave it running.
 */
const PROBE = `
const [threshold, limit] = process.argv.slice(1).map(Number);
const gaps = [];
const until = performance.now() + limit * 1000;
let last = performance.now();
const timer = setInterval(() => {
  const now = performance.now();
  if (now - last > threshold) gaps.push([Date.now(), now - last]);
  last = now;
  if (now > until) process.exit(0);
}, 1);
process.once("SIGTERM", () => {
  clearInterval(timer);
  process.stdout.write(JSON.stringify(gaps));
});`;

/**
 * A wake-up this much later than due is a stall: half the paced goal's 10 ms. An idle machine
 * shows few (on 2026-12-07's VM, idle, 15 s: three gaps above 2 ms, the longest 7.4 ms).
 */
export const STALL_MS = 5;

/** One late wake-up of a probe: the core it ran on, when the gap ended, how long it was. */
export interface Stall {
  core: number;
  endedAt: number;
  ms: number;
}

export interface StallProbe {
  /** Stop the probes; every gap they saw (empty when they could not run: `measured` false). */
  stop: () => Promise<{ measured: boolean; stalls: Stall[] }>;
}

/**
 * The machine's own stalls, watched while a benchmark runs: a probe per core at real-time
 * priority (`chrt -f 50`, pinned with `taskset`) that sleeps a millisecond at a time. A real-time
 * task is run ahead of every ordinary one, so none of our processes, however busy, can keep it
 * waiting: a wake-up it gets late by more than `thresholdMs` is a core the kernel (interrupts
 * off) or the hypervisor (the virtual CPU not running) took from everyone. A paced answer slower
 * than the goal in such a moment is the machine's; one outside of them is ours. Needs root for
 * the priority; without it the probes are not started and the report says so.
 */
export function startStallProbe(thresholdMs = STALL_MS, limitSeconds = 1_800): StallProbe {
  const cores = availableParallelism();
  const probes: { child: ChildProcess; output: Promise<string>; started: Promise<boolean> }[] = [];
  for (let core = 0; core < cores; core++) {
    const child = spawn("chrt", ["-f", "50", "taskset", "-c", String(core), process.execPath, "-e", PROBE, String(thresholdMs), String(limitSeconds)], { stdio: ["ignore", "pipe", "ignore"] });
    const chunks: Buffer[] = [];
    child.stdout?.on("data", (chunk: Buffer) => chunks.push(chunk));
    const exited = new Promise<number | null>((resolve) => {
      child.once("error", () => resolve(-1));
      // `close`, not `exit`: the probe's report is read to its end first.
      child.once("close", (code) => resolve(code));
    });
    // Running a moment later means chrt was allowed the priority (it exits at once when not).
    const started = Promise.race([exited.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 300))]);
    probes.push({ child, started, output: exited.then(() => Buffer.concat(chunks).toString("utf8")) });
  }
  // A benchmark that fails before `stop` takes its probes with it rather than leave them running.
  const killAll = () => {
    for (const probe of probes) if (probe.child.exitCode === null) probe.child.kill("SIGKILL");
  };
  process.once("exit", killAll);
  return {
    stop: async () => {
      process.off("exit", killAll);
      const running = await Promise.all(probes.map((probe) => probe.started));
      for (const probe of probes) probe.child.kill("SIGTERM");
      const outputs = await Promise.all(probes.map((probe) => probe.output));
      if (running.some((ran) => !ran)) return { measured: false, stalls: [] };
      // The probes are in the order of their cores.
      const stalls = outputs.flatMap((text, core) => (JSON.parse(text || "[]") as [number, number][]).map(([endedAt, ms]) => ({ core, endedAt, ms })));
      return { measured: true, stalls };
    },
  };
}

/** The stalls that ended within [from, to] (Date.now() scale), said in a line: how many, the longest, and on which core. */
export function stallsLine(stalls: readonly Stall[], from: number, to: number, thresholdMs = STALL_MS): string {
  const within = stalls.filter((stall) => stall.endedAt >= from && stall.endedAt <= to).sort((a, b) => b.ms - a.ms);
  if (within.length === 0) return `no core stalled for more than ${thresholdMs} ms`;
  const longest = within
    .slice(0, 5)
    .map((stall) => `${fmt(stall.ms)} ms (core ${stall.core})`)
    .join(", ");
  return `${within.length} stall${within.length > 1 ? "s" : ""} above ${thresholdMs} ms, ${fmt(within.reduce((sum, stall) => sum + stall.ms, 0))} ms in all; longest ${longest}`;
}
