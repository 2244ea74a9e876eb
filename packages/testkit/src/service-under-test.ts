import { Agent, request as httpRequest } from "node:http";
import { createKafka } from "@kruzhok/messaging";
import { createPool, dropDatabase, withDatabase, type Pool } from "@kruzhok/postgres";
import type { Infrastructure } from "./infrastructure";
import { freePort, serviceEnv, startServiceProcess, type ServiceProcess } from "./process";
import { waitFor } from "./wait";

export interface HttpAnswer {
  status: number;
  body: string;
  /** `idempotent-replayed: true` came with it. */
  replayed: boolean;
}

/**
 * A service run as its own process (its main.ts, with relay and consumers) on a database, topic
 * prefix and Redis prefix of its own, for system tests that kill and restart it: `start` may be
 * called again after the process died, on the same port and database. `cleanup` kills what is
 * left and drops the database and topics.
 */
export interface ServiceUnderTest {
  readonly database: string;
  /** Where it listens, on 127.0.0.1. */
  readonly port: number;
  readonly topicPrefix: string;
  /** The service's own database, for reference data and checks (opened by the first `start`). */
  readonly pool: Pool;
  start(): Promise<ServiceProcess>;
  /** One HTTP request on keep-alive connections (at most `maxSockets` at once). */
  send(method: string, path: string, authorization: string, body?: unknown, key?: string): Promise<HttpAnswer>;
  /** Forget the open connections (after a kill): the next requests open new ones. */
  reconnect(): void;
  /** Resolves once the relay has published every event in the outbox. */
  outboxDrained(): Promise<void>;
  /** The `field` of the data of every event of `type` on `topic` (unprefixed), read from the beginning until `count` distinct values arrived. */
  eventValues(topic: string, type: string, field: string, count: number): Promise<Set<string>>;
  cleanup(): Promise<void>;
}

export async function serviceUnderTest(
  infra: Infrastructure,
  options: { name: string; main: string; maxSockets: number; env?: Record<string, string> },
): Promise<ServiceUnderTest> {
  const database = `t_${options.name}_${process.pid}`;
  const topicPrefix = `${database}.`;
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: `${database}-test` });
  const port = await freePort();
  const processes: ServiceProcess[] = [];
  let agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets });
  let pool: Pool | undefined;
  const ownPool = (): Pool => {
    if (!pool) throw new Error("start the service first: it creates its database");
    return pool;
  };

  return {
    database,
    port,
    topicPrefix,
    get pool() {
      return ownPool();
    },
    async start() {
      const started = startServiceProcess(options.main, { ...serviceEnv(infra, { port, database, topicPrefix, logLevel: "warn" }), ...options.env });
      processes.push(started);
      await waitFor(async () => ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200 ? true : undefined), {
        timeoutMs: 60_000,
        intervalMs: 250,
        what: `${options.name} ready (output: ${started.output().slice(-500)})`,
      });
      pool ??= createPool({ connectionString: withDatabase(infra.databaseUrl, database), max: 2 });
      return started;
    },
    send(method, path, authorization, body, key) {
      return new Promise((resolve, reject) => {
        const text = body === undefined ? undefined : JSON.stringify(body);
        const headers: Record<string, string | number> = { authorization };
        if (text !== undefined) Object.assign(headers, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
        if (key) headers["idempotency-key"] = key;
        const req = httpRequest({ agent, hostname: "127.0.0.1", port, method, path, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), replayed: res.headers["idempotent-replayed"] === "true" }),
          );
        });
        req.on("error", reject);
        req.end(text);
      });
    },
    reconnect() {
      agent.destroy();
      agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets });
    },
    async outboxDrained() {
      await waitFor(
        async () => {
          const { rows } = await ownPool().query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL");
          return rows[0]?.n === 0 ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200, what: "the relay to publish every event" },
      );
    },
    async eventValues(topic, type, field, count) {
      const seen = new Set<string>();
      const consumer = kafka.consumer({ groupId: `${database}-reader-${type}` });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic: `${topicPrefix}${topic}`, fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ message }) => {
            const envelope = JSON.parse(message.value?.toString() ?? "{}") as { type?: string; data?: Record<string, unknown> };
            const value = envelope.data?.[field];
            if (envelope.type === type && typeof value === "string") seen.add(value);
          },
        });
        await waitFor(() => (seen.size >= count ? true : undefined), { timeoutMs: 60_000, intervalMs: 200, what: `${count} ${type} events on ${topic}` });
      } finally {
        await consumer.disconnect();
      }
      return seen;
    },
    async cleanup() {
      for (const started of processes) started.child.kill("SIGKILL");
      agent.destroy();
      await pool?.end();
      await dropDatabase(infra.databaseUrl, database);
      const admin = kafka.admin();
      await admin.connect();
      try {
        const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(topicPrefix));
        if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
      } finally {
        await admin.disconnect();
      }
    },
  };
}

/**
 * Call `call(0..count-1)`, `inFlight` at a time, and SIGKILL `victim` as soon as `killAfter`
 * answers came back: the answers that did come back, and how many calls were made (those past it
 * were never sent).
 */
export async function loadThenKill(
  count: number,
  inFlight: number,
  killAfter: number,
  victim: ServiceProcess,
  call: (i: number) => Promise<HttpAnswer>,
): Promise<{ answers: Map<number, HttpAnswer>; sent: number }> {
  const answers = new Map<number, HttpAnswer>();
  let next = 0;
  let killed = false;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (!killed && next < count) {
        const i = next++;
        try {
          answers.set(i, await call(i));
        } catch {
          // No answer: the process died with this request in flight.
        }
        if (!killed && answers.size >= killAfter) {
          killed = true;
          victim.child.kill("SIGKILL");
        }
      }
    }),
  );
  await victim.exited;
  return { answers, sent: next };
}

/** Call `call(0..count-1)` again, `inFlight` at a time, as a client does: "in progress" (409) is waited out for up to `patienceMs`. */
export async function retryAll(count: number, inFlight: number, call: (i: number) => Promise<HttpAnswer>, patienceMs = 30_000): Promise<Map<number, HttpAnswer>> {
  const answers = new Map<number, HttpAnswer>();
  let next = 0;
  const deadline = Date.now() + patienceMs;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        const i = next++;
        for (;;) {
          const answer = await call(i);
          const inProgress = answer.status === 409 && answer.body.includes("HTTP.IDEMPOTENCY_IN_PROGRESS");
          if (!inProgress || Date.now() > deadline) {
            answers.set(i, answer);
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    }),
  );
  return answers;
}
