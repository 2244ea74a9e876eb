import { Agent, request as httpRequest } from "node:http";
import { createKafka, deleteTopicsWithPrefix, readTopic } from "@kruzhok/messaging";
import { createPool, dropDatabase, withDatabase, type Pool } from "@kruzhok/postgres";
import { eventHandled, type InboxOutcome } from "./inbox";
import type { Infrastructure } from "./infrastructure";
import { freePort } from "./ports";
import { serviceEnv, startServiceProcess, type ServiceProcess } from "./process";
import { waitFor } from "./wait";

export interface HttpAnswer {
  status: number;
  body: string;
  /** `idempotent-replayed: true` came with it. */
  replayed: boolean;
  /** The body parsed as JSON. */
  json<T = unknown>(): T;
}

/** One request as a client sends it: its bearer authorization, its JSON body, its Idempotency-Key, any other header (an operator's Acting-Basis). */
export interface Request {
  /** The `authorization` header value (`Bearer …`); none for a public route. */
  as?: string;
  body?: unknown;
  key?: string;
  headers?: Record<string, string>;
}

/**
 * A service run as its own process (its main.ts, with relay and consumers) on a database of its
 * own, for tests that kill and restart it: `start` may be called again after the process died,
 * on the same port and database. Its topics are its own unless a system of services shares a
 * prefix (see `startSystem`). `cleanup` kills what is left and drops the database (and the
 * topics, when they are its own).
 */
export interface ServiceUnderTest {
  readonly name: string;
  readonly database: string;
  /** Where it listens, on 127.0.0.1. */
  readonly port: number;
  readonly topicPrefix: string;
  /** The service's own database, for reference data and checks (opened by the first `start`). */
  readonly pool: Pool;
  /** The process running now, if one is. */
  readonly running: ServiceProcess | undefined;
  /**
   * Start the process and resolve once it answers ready. `env` adds to (or overrides) the
   * service's environment for this process only: a restart with another setting, such as
   * attendance's development clock further ahead.
   */
  start(env?: Record<string, string>): Promise<ServiceProcess>;
  /** SIGKILL the running process, as a crash does, and resolve once it is gone; the next requests open new connections. */
  kill(): Promise<void>;
  /** One HTTP request on keep-alive connections (at most `maxSockets` at once). */
  send(method: string, path: string, authorization: string, body?: unknown, key?: string): Promise<HttpAnswer>;
  /** `send` with the request's parts named. */
  call(method: string, path: string, request?: Request): Promise<HttpAnswer>;
  /**
   * Send the request until `accept` takes its answer (returns something other than undefined),
   * as a person's app polls what they are waiting for; what `accept` returned. A function makes
   * each attempt's request (a new Idempotency-Key for each new attempt). On timeout the error
   * names `what`, the last answer and the service's last output.
   */
  waitForAnswer<T>(
    method: string,
    path: string,
    request: Request | (() => Request),
    accept: (answer: HttpAnswer) => T | undefined,
    what: string,
    timeoutMs?: number,
  ): Promise<T>;
  /** Forget the open connections (after a kill): the next requests open new ones. */
  reconnect(): void;
  /** Resolves once the relay has published every event in the outbox. */
  outboxDrained(): Promise<void>;
  /** Resolves with the inbox outcome once the service's consumer handled `eventId`. */
  handled(eventId: string): Promise<InboxOutcome>;
  /** The `field` of the data of every event of `type` on `topic` (unprefixed), read from the beginning up to its end now; call it after `outboxDrained`. */
  eventValues(topic: string, type: string, field: string): Promise<Set<string>>;
  /** The last `chars` of what every process of it wrote, for failure messages. */
  output(chars?: number): string;
  cleanup(): Promise<void>;
}

export interface ServiceUnderTestOptions {
  /** Names its database (`t_<name>_<pid>` unless `database` is given): lower-case letters, digits and `_`. */
  name: string;
  main: string;
  /** Connections to it at once (default 8). */
  maxSockets?: number;
  env?: Record<string, string>;
  database?: string;
  /** Shared with other services of a system, which then owns the topics; its own otherwise. */
  topicPrefix?: string;
  /** Its LOG_LEVEL unless `env` says (default warn). */
  logLevel?: "info" | "warn";
}

export async function serviceUnderTest(infra: Infrastructure, options: ServiceUnderTestOptions): Promise<ServiceUnderTest> {
  const database = options.database ?? `t_${options.name}_${process.pid}`;
  const ownTopics = options.topicPrefix === undefined;
  const topicPrefix = options.topicPrefix ?? `${database}.`;
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: `${database}-test` });
  const port = await freePort();
  const maxSockets = options.maxSockets ?? 8;
  const processes: ServiceProcess[] = [];
  let running: ServiceProcess | undefined;
  let agent = new Agent({ keepAlive: true, maxSockets });
  let pool: Pool | undefined;
  const ownPool = (): Pool => {
    if (!pool) throw new Error("start the service first: it creates its database");
    return pool;
  };
  const output = (chars = 2_000) =>
    processes
      .map((started, index) => `--- ${options.name} process ${index + 1}:\n${started.output().slice(-chars)}`)
      .join("\n");

  const send = (method: string, path: string, authorization: string | undefined, body?: unknown, key?: string, extra: Record<string, string> = {}) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const text = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string | number> = { ...extra };
      if (authorization !== undefined) headers.authorization = authorization;
      if (text !== undefined) Object.assign(headers, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      if (key) headers["idempotency-key"] = key;
      const req = httpRequest({ agent, hostname: "127.0.0.1", port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          const answer = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: res.statusCode ?? 0,
            body: answer,
            replayed: res.headers["idempotent-replayed"] === "true",
            json: <T>() => JSON.parse(answer) as T,
          });
        });
      });
      req.on("error", reject);
      req.end(text);
    });
  const call = (method: string, path: string, request: Request = {}) => send(method, path, request.as, request.body, request.key, request.headers);
  const reconnect = () => {
    agent.destroy();
    agent = new Agent({ keepAlive: true, maxSockets });
  };

  return {
    name: options.name,
    database,
    port,
    topicPrefix,
    get pool() {
      return ownPool();
    },
    get running() {
      return running;
    },
    async start(env) {
      if (running) throw new Error(`${options.name} is running already`);
      const started = startServiceProcess(options.main, {
        ...serviceEnv(infra, { port, database, topicPrefix, logLevel: options.logLevel ?? "warn" }),
        ...options.env,
        ...env,
      });
      processes.push(started);
      running = started;
      void started.exited.then(() => {
        if (running === started) running = undefined;
      });
      const outcome = await waitFor(
        async () => {
          if (running !== started) return "exited";
          return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200 ? "ready" : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100, what: `${options.name} ready` },
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${output()}`, { cause: error });
      });
      if (outcome === "exited") throw new Error(`${options.name} exited while starting\n${output()}`);
      pool ??= createPool({ connectionString: withDatabase(infra.databaseUrl, database), max: 2 });
      return started;
    },
    async kill() {
      const victim = running;
      if (!victim) throw new Error(`${options.name} is not running`);
      victim.child.kill("SIGKILL");
      await victim.exited;
      reconnect();
    },
    send,
    call,
    async waitForAnswer(method, path, request, accept, what, timeoutMs = 30_000) {
      let last: HttpAnswer | undefined;
      try {
        return await waitFor(
          async () => {
            last = await call(method, path, typeof request === "function" ? request() : request);
            return accept(last);
          },
          { timeoutMs, intervalMs: 100, what },
        );
      } catch (error) {
        const seen = last ? `the last answer was ${last.status} ${last.body.slice(0, 500)}` : "no answer came";
        throw new Error(`${options.name}: ${String(error)}; ${seen}\n${output()}`, { cause: error });
      }
    },
    reconnect,
    async outboxDrained() {
      await waitFor(
        async () => {
          const { rows } = await ownPool().query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL");
          return rows[0]?.n === 0 ? true : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100, what: `${options.name}'s relay to publish every event` },
      );
    },
    handled: (eventId) => eventHandled(ownPool(), eventId, { what: `${options.name} to handle event ${eventId}` }),
    async eventValues(topic, type, field) {
      const seen = new Set<string>();
      for (const message of await readTopic(kafka, `${topicPrefix}${topic}`)) {
        const envelope = JSON.parse(message.value ?? "{}") as { type?: string; data?: Record<string, unknown> };
        const value = envelope.data?.[field];
        if (envelope.type === type && typeof value === "string") seen.add(value);
      }
      return seen;
    },
    output,
    async cleanup() {
      for (const started of processes) started.child.kill("SIGKILL");
      await Promise.all(processes.map((started) => started.exited));
      agent.destroy();
      await pool?.end();
      await dropDatabase(infra.databaseUrl, database);
      if (ownTopics) await deleteTopicsWithPrefix(kafka, topicPrefix);
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
