import { execFile } from "node:child_process";
import { request } from "node:http";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { StartedInfrastructure } from "./infrastructure";

const run = promisify(execFile);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/**
 * Find the infrastructure for a test run, in order: the environment (`DATABASE_URL`,
 * `REDIS_URL`, `KAFKA_BROKERS`, all three set), containers when a Docker engine answers, else
 * the project's own deploy/local scripts (real Kafka from Maven Central's jars; the machine's
 * Postgres and Redis, installed and started when absent).
 */
export async function startInfrastructure(env: NodeJS.ProcessEnv = process.env): Promise<StartedInfrastructure> {
  const { DATABASE_URL, REDIS_URL, KAFKA_BROKERS } = env;
  if (DATABASE_URL && REDIS_URL && KAFKA_BROKERS) {
    return {
      databaseUrl: DATABASE_URL,
      redisUrl: REDIS_URL,
      kafkaBrokers: KAFKA_BROKERS.split(",").map((broker) => broker.trim()),
      source: "environment",
      stop: () => Promise.resolve(),
    };
  }
  if (env.KRUZHOK_TESTCONTAINERS !== "false" && (await dockerEngineAnswers(env))) {
    const { startContainers } = await import("./containers");
    return startContainers();
  }
  return startDeployLocal(env);
}

async function startDeployLocal(env: NodeJS.ProcessEnv): Promise<StartedInfrastructure> {
  const script = resolve(repoRoot, "deploy/local/up");
  if (!existsSync(script)) throw new Error(`cannot bring up infrastructure: ${script} is missing`);
  try {
    await run("bash", [script, "--quiet"], { env, maxBuffer: 16 * 1024 * 1024, timeout: 15 * 60_000 });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`deploy/local/up failed:\n${stderr ?? ""}${stdout ?? ""}`, { cause: error });
  }
  return {
    databaseUrl: env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    redisUrl: env.REDIS_URL ?? "redis://127.0.0.1:6379",
    kafkaBrokers: [`127.0.0.1:${env.KAFKA_PORT ?? "9092"}`],
    source: "deploy-local",
    // The broker stays up for the next run; `deploy/local/down` stops it.
    stop: () => Promise.resolve(),
  };
}

/** True when a Docker engine answers `/_ping` on its socket within a second. */
async function dockerEngineAnswers(env: NodeJS.ProcessEnv): Promise<boolean> {
  const host = env.DOCKER_HOST;
  const socketPath = host?.startsWith("unix://") ? host.slice("unix://".length) : "/var/run/docker.sock";
  if (host && !host.startsWith("unix://")) return true;
  if (!existsSync(socketPath)) return false;
  return new Promise((resolvePing) => {
    const req = request({ socketPath, path: "/_ping", timeout: 1_000 }, (res) => {
      res.resume();
      resolvePing(res.statusCode === 200);
    });
    req.on("error", () => resolvePing(false));
    req.on("timeout", () => {
      req.destroy();
      resolvePing(false);
    });
    req.end();
  });
}
