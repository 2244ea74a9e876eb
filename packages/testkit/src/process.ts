import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type { Infrastructure } from "./infrastructure";

// The benchmarks import this file alone (not the index, which needs vitest), for freePort too.
export { freePort } from "./ports";

export interface ServiceProcess {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  exited: Promise<number | null>;
}

// tsx's loader inside one node process: its CLI would fork a second process that signals miss.
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;

/**
 * Run a service's main.ts as its own process, with only PATH and `env` in its environment. A
 * compiled bundle (`.mjs`, deploy/docker/bundle.ts) runs under plain node, as in the image.
 */
export function startServiceProcess(main: string, env: Record<string, string>): ServiceProcess {
  let output = "";
  const args = main.endsWith(".mjs") ? ["--enable-source-maps", main] : ["--import", tsxLoader, main];
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/**
 * The environment of a service under test: the infrastructure's addresses, its own database and
 * topic prefix (so it reads and writes nothing of a `npm start` on the same broker), fast
 * consumers, and development tokens on loopback (testkit's `devToken`/`bearer` sign them; a
 * test of production's mode adds a `localIdentityProvider`'s env over these).
 */
export function serviceEnv(
  infra: Infrastructure,
  own: { port: number; database: string; topicPrefix: string; logLevel: "info" | "warn" },
): Record<string, string> {
  return {
    PORT: String(own.port),
    HOST: "127.0.0.1",
    AUTH_MODE: "development",
    DATABASE_URL: infra.databaseUrl,
    SERVICE_DATABASE: own.database,
    REDIS_URL: infra.redisUrl,
    KAFKA_BROKERS: infra.kafkaBrokers.join(","),
    KAFKA_FAST_CONSUMERS: "true",
    KAFKA_TOPIC_PREFIX: own.topicPrefix,
    LOG_LEVEL: own.logLevel,
  };
}
