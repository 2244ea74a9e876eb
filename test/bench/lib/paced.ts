import type { RawHttpConnection } from "./raw-http";

export interface PacedRun<T> {
  /** The pool of connections, as a crowd of phones would hold them, used in turn; a busy one is skipped. */
  connections: readonly RawHttpConnection[];
  /** Requests per second, each due at its own moment. */
  rate: number;
  seconds: number;
  /** Send the `index`-th request on `connection`. */
  ask: (connection: RawHttpConnection, index: number) => Promise<T>;
  /** Its answer, with the latency counted from when it was due. */
  answered: (answer: T, latencyMs: number, index: number) => void;
  failed: (error: unknown) => void;
}

/**
 * An open loop: requests at a fixed rate, each one's latency counted from the moment it was due,
 * so that waiting for a free connection or a busy service counts too. Resolves with how many
 * were sent once every one has an answer or failed. The same loop measures a service and its
 * ceiling (hello-world at the same rate), so their tails compare.
 */
export async function pacedRun<T>({ connections, rate, seconds, ask, answered, failed }: PacedRun<T>): Promise<number> {
  const total = rate * seconds;
  const free = [...connections];
  const due: number[] = [];
  const started = performance.now();
  let next = 0;
  let scheduled = 0;
  const inFlight = new Set<Promise<void>>();
  const dispatch = () => {
    while (due.length > 0 && free.length > 0) {
      const dueAt = due.shift()!;
      // The connection free the longest, as the next of a crowd of phones would ask: taking the
      // last one freed sent most requests over the same few connections, all accepted by one
      // worker, which then queued them while the other worker idled (profiles of 2026-12-05).
      const connection = free.shift()!;
      const index = next++;
      const asked = ask(connection, index)
        .then((answer) => answered(answer, performance.now() - dueAt, index))
        .catch(failed)
        .finally(() => {
          free.push(connection);
          inFlight.delete(asked);
          dispatch();
        });
      inFlight.add(asked);
    }
  };
  while (scheduled < total) {
    const now = performance.now();
    while (scheduled < total && started + (scheduled * 1_000) / rate <= now) due.push(started + (scheduled++ * 1_000) / rate);
    dispatch();
    // A timer, not setImmediate: a client spinning on the event loop took half a core from the
    // service it measures; requests due within the millisecond leave together.
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  while (due.length > 0 || inFlight.size > 0) {
    dispatch();
    await Promise.race([...inFlight, new Promise((resolve) => setTimeout(resolve, 5))]);
  }
  return scheduled;
}
