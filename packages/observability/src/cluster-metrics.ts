import cluster from "node:cluster";
import { AggregatorRegistry, type Registry } from "prom-client";

// Metrics of a service run as several worker processes (WORKERS > 1): a scrape of /metrics
// reaches one worker, which asks the primary, which asks every worker for its registry and sums
// them (prom-client's AggregatorRegistry). So one scrape sees the whole service, not a random
// worker's share of it.

const ASK = "kruzhok:metrics:ask";
const ANSWER = "kruzhok:metrics:answer";

interface Ask {
  type: typeof ASK;
  id: number;
}

interface Answer {
  type: typeof ANSWER;
  id: number;
  text?: string;
  error?: string;
}

const isAsk = (message: unknown): message is Ask => (message as Ask | null)?.type === ASK;
const isAnswer = (message: unknown): message is Answer => (message as Answer | null)?.type === ANSWER;

/** In the primary: answer each worker's ask with the metrics of all workers. */
export function serveWorkerMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on("message", (worker, message: unknown) => {
    if (!isAsk(message)) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: ANSWER, id: message.id, text } satisfies Answer),
      (error: unknown) => worker.send({ type: ANSWER, id: message.id, error: error instanceof Error ? error.message : String(error) } satisfies Answer),
    );
  });
}

/**
 * In a worker: `registry` is what this worker gives to the primary's sum, and the function
 * returned gives the sum (the text of /metrics). Rejects after `timeoutMs` without an answer.
 */
export function workerMetrics(registry: Registry, timeoutMs = 10_000): () => Promise<string> {
  // Constructing one makes prom-client answer the primary's requests from this worker.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  let next = 0;
  process.on("message", (message: unknown) => {
    if (!isAnswer(message)) return;
    const asked = waiting.get(message.id);
    if (!asked) return;
    waiting.delete(message.id);
    if (message.text !== undefined) asked.resolve(message.text);
    else asked.reject(new Error(`metrics of the workers: ${message.error ?? "no answer"}`));
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`metrics of the workers: no answer from the primary in ${timeoutMs} ms`));
      }, timeoutMs);
      waiting.set(id, {
        resolve: (text) => (clearTimeout(timer), resolve(text)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      process.send!({ type: ASK, id } satisfies Ask);
    });
}
