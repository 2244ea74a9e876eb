import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createKafka } from "@kruzhok/messaging";
import { localIdentityProvider, type LocalIdentityProvider, type TokenFor } from "@kruzhok/testkit/identity";
import { deleteTopics } from "../ceilings/measure";
import type { BenchEnv } from "./env";
import { afterExit } from "./proc";

export { freePort } from "@kruzhok/testkit/process";

let identity: Promise<LocalIdentityProvider> | undefined;

/**
 * The run's identity provider: an ES256 key made for this run, its JWKS served on 127.0.0.1 by
 * this process. Services under benchmark verify its tokens as a region's services verify their
 * identity provider's (AUTH_MODE=oidc), so the figures include what production pays: one
 * signature check per token the first time it is seen; after that the service's token cache
 * answers, in either mode, so the steady state costs what it did with development tokens.
 */
export function benchIdentity(): Promise<LocalIdentityProvider> {
  identity ??= localIdentityProvider({ realm: "kruzhok-bench" });
  return identity;
}

/** The `authorization` header value for `who`, a token of the run's identity provider (2 h by default: a whole benchmark). */
export async function bearerFor(who: TokenFor, ttl = "2h"): Promise<string> {
  return (await benchIdentity()).bearer(who, ttl);
}

const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;

/**
 * A service under test as its own process (its src/main.ts, with relay and consumers), on a
 * scratch database, as production runs it (NODE_ENV=production, LOG_LEVEL=info, tokens
 * from the run's identity provider: `bearerFor`); `BENCH_PROFILE=<dir>` adds --cpu-prof. Its
 * standard output is a pipe that a collector (`cat`) writes to a file, as a container runtime
 * takes a container's lines (containerd's shim reads its pipe); its warnings and errors are
 * copied to this run's stderr once it and its collector have exited (`surfaceWarnings`;
 * `stopChild` waits for them). Written straight into the file, which grows to hundreds of MB in
 * a full run, the lines cost the service more than a pipe does (BENCHMARKS.md). Its rate limit is lifted: it
 * protects against one abusive caller, and a benchmark is one caller on purpose. Its topics carry
 * the database's name as a prefix: what it publishes stays out of the topics a developer's
 * `npm start` and other benchmarks read, and it reads nothing of theirs.
 */
export async function spawnService(name: string, env: BenchEnv, database: string, port: number, extra: Record<string, string> = {}): Promise<ChildProcess> {
  const { env: trust } = await benchIdentity();
  const main = fileURLToPath(new URL(`../../../services/${name}/src/main.ts`, import.meta.url));
  const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-dir", process.env.BENCH_PROFILE] : [];
  // Its log at the level production runs at (info: a line per request): at warn, the benchmarks
  // measured every request without its access line (BENCHMARKS.md).
  const logDir = join(tmpdir(), "kruzhok-bench-logs");
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${database}-${name}-${port}.log`);
  const logFd = openSync(logFile, "w");
  const collector = spawn("cat", [], { stdio: ["pipe", logFd, "inherit"] });
  closeSync(logFd);
  process.stderr.write(`· ${name} logs to ${logFile} (its warnings and errors are copied here when it exits)\n`);
  const child = spawn(process.execPath, [...nodeFlagsOf(name), ...profile, "--import", tsx, main], {
    // stdout (pino's lines) into the collector's pipe; stderr (a crash's trace) to this run's, as it happens.
    stdio: ["ignore", collector.stdin, "inherit"],
    env: {
      // The shell's own auth settings (a developer's AUTH_DEV_SECRET) would contradict the run's.
      ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("AUTH_"))),
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL: env.databaseUrl,
      SERVICE_DATABASE: database,
      REDIS_URL: env.redisUrl,
      KAFKA_BROKERS: env.kafkaBrokers.join(","),
      KAFKA_TOPIC_PREFIX: topicPrefixOf(database),
      RATE_LIMIT_PER_MINUTE: "1000000000",
      NODE_ENV: "production",
      // Production's level (the config's default), whatever the shell says.
      LOG_LEVEL: "info",
      ...trust,
      ...extra,
    },
  });
  // The service (and the workers it forks) alone hold the pipe now: the collector ends with them.
  collector.stdin?.destroy();
  // Its warnings and errors, dropped, once hid a relay refused by the broker for a whole run.
  afterExit.set(child, new Promise((resolve) => collector.once("close", () => resolve(surfaceWarnings(name, logFile)))));
  return child;
}

/**
 * Copy a finished service's log lines of level warn and up (and any line not pino's) to this run's
 * stderr, then delete its log. Once its collector has written the last of them; `stopChild`
 * waits for it, so that they are printed before the benchmark goes on or ends. The file is read
 * a megabyte at a time (a line per request: a short enrollment run writes ~70 MB).
 */
function surfaceWarnings(name: string, logFile: string): void {
  const fd = openSync(logFile, "r");
  try {
    const chunk = Buffer.alloc(1 << 20);
    let rest = "";
    for (let read = readSync(fd, chunk); read > 0; read = readSync(fd, chunk)) {
      const lines = (rest + chunk.toString("utf8", 0, read)).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) if (worthSaying(line)) process.stderr.write(`${name}: ${line}\n`);
    }
    if (worthSaying(rest)) process.stderr.write(`${name}: ${rest}\n`);
  } finally {
    closeSync(fd);
  }
  rmSync(logFile, { force: true });
}

const worthSaying = (line: string) => line !== "" && !line.includes('"level":"info"') && !line.includes('"level":"debug"');

/**
 * The node flags of the service's `start` script (`tsx <flags> src/main.ts`), so that it runs
 * here with the heap settings it runs with in production.
 */
function nodeFlagsOf(name: string): string[] {
  const manifest = JSON.parse(readFileSync(new URL(`../../../services/${name}/package.json`, import.meta.url), "utf8")) as { scripts?: { start?: string } };
  const flags = /^tsx((?:\s+--\S+)*)\s+src\/main\.ts$/.exec(manifest.scripts?.start ?? "");
  if (!flags) throw new Error(`services/${name}/package.json: start is not "tsx [--flags] src/main.ts"`);
  return flags[1]!.trim().split(/\s+/).filter(Boolean);
}

/** Resolves once the service answers /readyz; throws when it exits first or after a minute. */
export async function waitReady(child: ChildProcess, port: number, name: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) return;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${name} did not become ready`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The topic prefix of a service spawned on `database`. */
export const topicPrefixOf = (database: string) => `${database}.`;

/** Delete the topics of a service spawned on `database` (its run is over). */
export async function deleteServiceTopics(env: BenchEnv, database: string): Promise<void> {
  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: `${database}-cleanup` });
  const admin = kafka.admin();
  await admin.connect();
  let topics: string[];
  try {
    topics = (await admin.listTopics()).filter((topic) => topic.startsWith(topicPrefixOf(database)));
  } finally {
    await admin.disconnect();
  }
  await deleteTopics(kafka, topics);
}
