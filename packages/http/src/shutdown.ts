import type { FastifyInstance } from "fastify";
import { markDraining } from "./health";

/** One thing to stop after the server closed: consumers, the outbox relay, pools. */
export interface ShutdownStep {
  name: string;
  run: () => Promise<void>;
}

export interface ShutdownOptions {
  /** The whole shutdown; keep it under the orchestrator's grace period (Kubernetes: 30 s). */
  timeoutMs?: number;
  /**
   * Time between `/readyz` turning 503 and the server refusing connections, so that load
   * balancers notice first. 0 in tests; a few seconds behind a real load balancer.
   */
  drainDelayMs?: number;
}

const running = new WeakMap<FastifyInstance, Promise<void>>();

async function stop(app: FastifyInstance, steps: readonly ShutdownStep[], drainDelayMs: number): Promise<void> {
  markDraining(app);
  if (drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
  const failed: unknown[] = [];
  // In-flight requests finish before close resolves; new ones get 503 meanwhile.
  for (const step of [{ name: "http server", run: () => app.close() }, ...steps]) {
    try {
      await step.run();
      app.log.info({ step: step.name }, "shutdown step done");
    } catch (error) {
      // Later steps still run: a consumer that failed to stop must not keep the pool open.
      app.log.error({ err: error, step: step.name }, "shutdown step failed");
      failed.push(new Error(`shutdown step ${step.name} failed`, { cause: error }));
    }
  }
  if (failed.length > 0) throw new AggregateError(failed, "shutdown finished with failures");
}

/**
 * Mark the app draining, close the server (letting in-flight requests finish), then run `steps`
 * in order. Rejects when a step failed or the whole took longer than `timeoutMs`; the caller
 * decides the exit code. Calling it again returns the shutdown already under way.
 */
export function closeGracefully(
  app: FastifyInstance,
  steps: readonly ShutdownStep[] = [],
  options: ShutdownOptions = {},
): Promise<void> {
  const existing = running.get(app);
  if (existing) return existing;
  const timeoutMs = options.timeoutMs ?? 25_000;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`shutdown did not finish within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  const shutdown = Promise.race([stop(app, steps, options.drainDelayMs ?? 0), deadline]).finally(() =>
    clearTimeout(timer),
  );
  running.set(app, shutdown);
  return shutdown;
}

/**
 * Run `closeGracefully` on the first SIGTERM or SIGINT. A failed shutdown sets
 * `process.exitCode = 1`; the process then ends on its own once nothing holds the event loop.
 * Returns a function that removes the listeners.
 */
export function closeOnSignals(
  app: FastifyInstance,
  steps: readonly ShutdownStep[] = [],
  options: ShutdownOptions = {},
): () => void {
  const signals = ["SIGTERM", "SIGINT"] as const;
  const onSignal = (signal: NodeJS.Signals) => {
    app.log.info({ signal }, "shutting down");
    closeGracefully(app, steps, options).catch((error: unknown) => {
      app.log.error({ err: error }, "shutdown failed");
      process.exitCode = 1;
    });
  };
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
