import { readdir, readFile } from "node:fs/promises";
import { availableParallelism, totalmem } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import pg from "pg";
import type { BenchEnv } from "./env";
import { runProgram } from "./proc";

export interface Machine {
  date: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  disk: string;
  os: string;
  kernel: string;
  node: string;
  postgres: string;
  redis: string;
  kafka: string;
  /** The kernel's own memory reclaim (DAMON), which takes the CPUs now and then. */
  reclaim: string;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

async function attempt(work: () => Promise<string>): Promise<string> {
  try {
    return (await work()).trim();
  } catch {
    return "unknown";
  }
}

/** What the figures were measured on; printed beside every results file. */
export async function describeMachine(env: BenchEnv): Promise<Machine> {
  const cpuinfo = await attempt(() => readFile("/proc/cpuinfo", "utf8"));
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown";
  const osRelease = await attempt(() => readFile("/etc/os-release", "utf8"));
  const debian = await attempt(() => readFile("/etc/debian_version", "utf8"));
  const os = `${/^PRETTY_NAME="?([^"\n]+)"?$/m.exec(osRelease)?.[1] ?? "unknown"}${debian === "unknown" ? "" : ` (${debian})`}`;
  return {
    date: new Date().toISOString(),
    cpus: availableParallelism(),
    cpuModel,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    disk: await attempt(describeDisk),
    os,
    kernel: await attempt(() => runProgram("uname", ["-r"], { timeoutMs: 5_000 })),
    node: process.version,
    postgres: await attempt(async () => {
      const client = new pg.Client({ connectionString: env.databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ v: string; settings: string }>(
          `SELECT split_part(version(), ' on ', 1) AS v,
                  string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) AS settings
             FROM pg_settings
            WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'autovacuum')`,
        );
        return `${rows[0]?.v ?? "unknown"} (${rows[0]?.settings ?? ""})`;
      } finally {
        await client.end();
      }
    }),
    redis: await attempt(async () => {
      const redis = new Redis(env.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        const info = await redis.info("server");
        return `Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? "unknown"}`;
      } finally {
        redis.disconnect();
      }
    }),
    kafka: await attempt(async () => {
      // The broker does not tell its version over the protocol; deploy/local runs the jars it fetched.
      const lib = resolve(process.env.KRUZHOK_STATE_DIR ?? resolve(repoRoot, ".local"), "kafka/lib");
      const jar = (await readdir(lib)).find((name) => /^kafka_[\d.]+-[\d.]+\.jar$/.test(name));
      const version = jar ? /-([\d.]+)\.jar$/.exec(jar)?.[1] : undefined;
      return version ? `Apache Kafka ${version} (KRaft, single broker, deploy/local)` : "unknown";
    }),
    reclaim: await attempt(describeReclaim),
  };
}

/**
 * The kernel's DAMON monitors this VM's physical memory and pages cold parts out. Each of its
 * samples (every 500 ms here) held both CPUs for 20-30 ms: with it switched off for one run, the
 * position lookups' paced p99 fell from 23 to 8 ms (BENCHMARKS.md, 2026-12-06). A tail measured
 * on a machine where it runs is read with that in mind.
 */
async function describeReclaim(): Promise<string> {
  const root = "/sys/kernel/mm/damon/admin/kdamonds";
  const count = Number(await attempt(() => readFile(`${root}/nr_kdamonds`, "utf8")));
  if (!Number.isInteger(count) || count === 0) return "no DAMON";
  const each: string[] = [];
  for (let k = 0; k < count; k++) {
    const state = await attempt(() => readFile(`${root}/${k}/state`, "utf8"));
    const context = `${root}/${k}/contexts/0`;
    const operations = await attempt(() => readFile(`${context}/operations`, "utf8"));
    const sampleUs = Number(await attempt(() => readFile(`${context}/monitoring_attrs/intervals/sample_us`, "utf8")));
    const actions: string[] = [];
    const schemes = Number(await attempt(() => readFile(`${context}/schemes/nr_schemes`, "utf8")));
    for (let s = 0; s < (Number.isInteger(schemes) ? schemes : 0); s++) actions.push(await attempt(() => readFile(`${context}/schemes/${s}/action`, "utf8")));
    const sampling = Number.isFinite(sampleUs) ? `, a sample every ${sampleUs / 1_000} ms` : "";
    each.push(`kdamond ${k} ${state} (${operations}${sampling}${actions.length > 0 ? `, ${actions.join(", ")}` : ""})`);
  }
  return `DAMON: ${each.join("; ")}`;
}

async function describeDisk(): Promise<string> {
  const df = await runProgram("df", ["-h", "--output=source,size,fstype", "/"], { timeoutMs: 5_000 });
  const [source = "?", size = "?", fstype = "?"] = (df.trim().split("\n")[1] ?? "").trim().split(/\s+/);
  const device = source.replace(/^\/dev\//, "").replace(/\d+$/, "");
  const rotational = await attempt(() => readFile(`/sys/block/${device}/queue/rotational`, "utf8"));
  const kind = rotational === "0" ? "non-rotational" : rotational === "1" ? "reported rotational (virtual disk)" : "";
  return `${source} ${size} ${fstype}${kind ? `, ${kind}` : ""}`;
}

export function machineRows(machine: Machine): string[][] {
  return [
    ["date", machine.date],
    ["cpus (nproc)", String(machine.cpus)],
    ["cpu model", machine.cpuModel],
    ["memory", `${machine.memoryGiB} GiB`],
    ["disk", machine.disk],
    ["os", `${machine.os}, kernel ${machine.kernel}`],
    ["node", machine.node],
    ["postgres", machine.postgres],
    ["redis", machine.redis],
    ["kafka", machine.kafka],
    ["kernel reclaim", machine.reclaim],
  ];
}
