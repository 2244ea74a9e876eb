import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { waitFor } from "@kruzhok/testkit";
import { dropDatabase } from "@kruzhok/postgres";

const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function run(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let output = "";
  const child = spawn(process.execPath, ["--import", tsxLoader, main], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe("the catalogue process", () => {
  const infra = inject("infra");
  const database = `t_catalogue_startup_${process.pid}`;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
  });
  afterAll(async () => {
    await dropDatabase(infra.databaseUrl, database);
  });

  it("exits at start with one line naming the missing and the bad key", async () => {
    const started = run({ PORT: "not-a-port", REDIS_URL: infra.redisUrl, KAFKA_BROKERS: infra.kafkaBrokers.join(",") });
    expect(await started.exited).toBe(1);
    const lines = started.output().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^catalogue: config: /);
    expect(lines[0]).toContain("PORT must be a port number");
    expect(lines[0]).toContain("DATABASE_URL is required");
  });

  it("starts ready with OpenAPI and metrics, and on SIGTERM closes consumers, relay and pools and exits 0", async () => {
    const started = run({
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL: infra.databaseUrl,
      SERVICE_DATABASE: database,
      REDIS_URL: infra.redisUrl,
      KAFKA_BROKERS: infra.kafkaBrokers.join(","),
      KAFKA_FAST_CONSUMERS: "true",
      LOG_LEVEL: "info",
    });
    try {
      await waitFor(async () => ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200 ? true : undefined), {
        timeoutMs: 60_000,
        intervalMs: 250,
        what: `catalogue ready (output: ${started.output().slice(-500)})`,
      });
      const docs = await fetch(`http://127.0.0.1:${port}/docs/json`);
      const openapi = (await docs.json()) as { openapi: string; paths: Record<string, unknown> };
      expect(openapi.openapi).toBe("3.1.0");
      expect(Object.keys(openapi.paths)).toContain("/search");
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain("outbox_backlog");

      started.child.kill("SIGTERM");
      expect(await started.exited).toBe(0);
      expect(started.output()).not.toContain('"level":"error"');
    } finally {
      started.child.kill("SIGKILL");
    }
  });
});
