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
  };
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
  ];
}
