import cluster from "node:cluster";
import { serveWorkerMetrics, type Logger } from "@kruzhok/observability";

// A service run as several worker processes on one machine (WORKERS > 1, node:cluster): what
// the primary does, and how workers tell each other what they learnt.

/**
 * Facts a worker passes to its sibling workers: what one learnt (an application it accepted),
 * the others need not read again. Messages go through the primary, gathered per turn of the
 * event loop; a worker that starts later has not heard the earlier ones and reads them where it
 * would without siblings. Never the truth: only what saves a read of it.
 */
export interface Siblings {
  tell(topic: string, message: unknown): void;
  on(topic: string, handler: (message: unknown) => void): void;
}

const TOLD = "kruzhok:siblings";

interface Told {
  type: typeof TOLD;
  items: { topic: string; message: unknown }[];
}

const isTold = (message: unknown): message is Told => (message as Told | null)?.type === TOLD;

/** What the primary tells every worker once all of them listen (`ListeningWorkers`). */
const ALL_LISTENING = "kruzhok:all-listening";

/**
 * The primary's tally of its workers that listen. The primary deals connections only to workers
 * that listen, and keep-alive connections stay where they landed; a worker listens once its
 * consumer joined its group, and the second one's join waits for the group's rebalance: for
 * seconds after the first worker listens, every connection made goes to it (a load started then
 * kept one worker at its core's limit and the other idle, BENCHMARKS.md). So a worker is ready
 * only once every worker has listened: each is told then, and a worker that listens later (one
 * that replaced a dead one) is told at once.
 */
export class ListeningWorkers {
  private readonly listened = new Set<number>();
  private all = false;

  constructor(private readonly count: number) {}

  /** Worker `id` listens: the workers to tell now (every one that listens, the moment the last one does; afterwards the new one alone). */
  listening(id: number): number[] {
    this.listened.add(id);
    if (this.all) return [id];
    if (this.listened.size < this.count) return [];
    this.all = true;
    return [...this.listened];
  }

  /** Worker `id` exited: whether it had listened (served) before. */
  exited(id: number): boolean {
    return this.listened.delete(id);
  }
}

/** In a worker: whether the primary has said that every worker listens (its readiness waits for it). */
export function allWorkersListening(): () => boolean {
  let all = false;
  process.on("message", (message: unknown) => {
    if ((message as { type?: unknown } | null)?.type === ALL_LISTENING) all = true;
  });
  return () => all;
}

/** A single process has no siblings: what it tells goes nowhere. */
export const noSiblings: Siblings = { tell: () => undefined, on: () => undefined };

/** In a worker: siblings reached through the primary. */
export function workerSiblings(): Siblings {
  const handlers = new Map<string, ((message: unknown) => void)[]>();
  let pending: Told["items"] = [];
  process.on("message", (message: unknown) => {
    if (!isTold(message)) return;
    for (const { topic, message: item } of message.items) for (const handler of handlers.get(topic) ?? []) handler(item);
  });
  return {
    tell(topic, message) {
      if (pending.length === 0) {
        setImmediate(() => {
          const items = pending;
          pending = [];
          if (process.connected) process.send!({ type: TOLD, items } satisfies Told);
        });
      }
      pending.push({ topic, message });
    },
    on(topic, handler) {
      handlers.set(topic, [...(handlers.get(topic) ?? []), handler]);
    },
  };
}

/**
 * WORKERS > 1: this process only keeps `count` replicas of the service running as its workers
 * (they share the port; connections are dealt out among them), passes what a worker tells its
 * siblings to the others, and sums the workers' metrics for /metrics. Replicas are what a
 * country runs anyway (ARCHITECTURE.md, Scale): what they share is in Postgres, Redis and
 * Kafka, under the same locks as the connections of one process. A worker that dies after it
 * listened is replaced; one that dies before it ever listened (a dependency down) ends the
 * service with its exit code, as a single process would. SIGTERM or SIGINT is passed to every
 * worker, and this process ends once they have shut down.
 */
export function superviseWorkers(count: number, logger: Logger): void {
  let stopping = false;
  const tally = new ListeningWorkers(count);
  serveWorkerMetrics();
  cluster.on("message", (from, message: unknown) => {
    if (!isTold(message)) return;
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker && worker !== from && worker.isConnected()) worker.send(message);
    }
  });
  const stop = (signal: NodeJS.Signals, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    process.exitCode = exitCode;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  const start = () => {
    const worker = cluster.fork();
    // A message to a worker that has just died fails (EPIPE) although `isConnected()` still said
    // yes: the worker's channel learns of the death after the write. Node emits the failure on the
    // worker, and unheard it ended this process, and the service with it, instead of the one
    // worker being replaced (the two-worker e2e test caught it: a worker killed while the other
    // told its siblings of new applications). The worker's own exit is handled below.
    worker.on("error", (error) => logger.warn({ worker: worker.id, err: error }, "a message to a worker failed; it is exiting"));
    worker.once("listening", () => {
      logger.info({ worker: worker.id, pid: worker.process.pid }, "worker listening");
      for (const id of tally.listening(worker.id)) {
        const told = cluster.workers?.[id];
        if (told?.isConnected()) told.send({ type: ALL_LISTENING });
      }
    });
    worker.once("exit", (code, signal) => {
      const served = tally.exited(worker.id);
      if (stopping) return;
      if (!served) {
        logger.error({ worker: worker.id, code, signal }, "a worker exited before it served; stopping the service");
        stop("SIGTERM", code || 1);
        return;
      }
      logger.error({ worker: worker.id, code, signal }, "a worker exited; starting another");
      start();
    });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  for (let i = 0; i < count; i++) start();
  logger.info({ workers: count }, "workers started");
}
