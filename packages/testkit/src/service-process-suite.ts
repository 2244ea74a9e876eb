import { afterAll, describe, expect, inject, it } from "vitest";
import { createKafka, deleteTopicsWithPrefix, topicsWithPrefix } from "@kruzhok/messaging";
import { dropDatabase } from "@kruzhok/postgres";
import { freePort } from "./ports";
import { serviceEnv, startServiceProcess } from "./process";
import { waitFor } from "./wait";

/**
 * The tests every service process passes: a bad environment (no auth mode among others) ends it
 * at start with one line naming the keys; a good one brings it up ready with OpenAPI and metrics
 * and says its auth mode; SIGTERM ends it with exit code 0 after consumers, relay and pools
 * closed. `path` is one of its routes.
 */
export function describeServiceProcess(name: string, main: string, path: string): void {
  describe(`the ${name} process`, () => {
    const infra = inject("infra");
    const database = `t_${name}_startup_${process.pid}`;
    // Its own topics and consumer group: the process must not read (or commit offsets of) the
    // topics of a `npm start` on the same broker.
    const topicPrefix = `${database}.`;
    const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: `${database}-test` });
    afterAll(async () => {
      await dropDatabase(infra.databaseUrl, database);
      await deleteTopicsWithPrefix(kafka, topicPrefix);
    });

    it("exits at start with one line naming the missing and the bad key", async () => {
      const started = startServiceProcess(main, { PORT: "not-a-port", REDIS_URL: infra.redisUrl, KAFKA_BROKERS: infra.kafkaBrokers.join(",") });
      expect(await started.exited).toBe(1);
      const lines = started.output().trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^${name}: config: `));
      expect(lines[0]).toContain("PORT must be a port number");
      expect(lines[0]).toContain("DATABASE_URL is required");
      // No auth mode, no start: nothing falls back to the public development secret.
      expect(lines[0]).toContain("AUTH_MODE is required (one of: oidc, development)");
    });

    it("starts ready with OpenAPI and metrics, and on SIGTERM closes consumers, relay and pools and exits 0", async () => {
      const port = await freePort();
      const started = startServiceProcess(main, serviceEnv(infra, { port, database, topicPrefix, logLevel: "info" }));
      try {
        await waitFor(async () => ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200 ? true : undefined), {
          timeoutMs: 60_000,
          intervalMs: 250,
          what: `${name} ready (output: ${started.output().slice(-500)})`,
        });
        const openapi = (await (await fetch(`http://127.0.0.1:${port}/docs/json`)).json()) as { openapi: string; paths: Record<string, unknown> };
        expect(openapi.openapi).toBe("3.1.0");
        expect(Object.keys(openapi.paths)).toContain(path);
        // Its first line says how it checks tokens.
        expect(started.output()).toContain('"msg":"auth development: loopback only (the public development secret)"');
        const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        expect(metrics).toContain("outbox_backlog");
        // Every topic it provisioned carries the prefix (KAFKA_TOPIC_PREFIX).
        expect((await topicsWithPrefix(kafka, topicPrefix)).filter((topic) => topic.endsWith(`.${name}.v1`))).toEqual([`${topicPrefix}kruzhok.${name}.v1`]);

        started.child.kill("SIGTERM");
        expect(await started.exited).toBe(0);
        expect(started.output()).not.toContain('"level":"error"');
      } finally {
        started.child.kill("SIGKILL");
      }
    });
  });
}
