import type { ShutdownStep } from "@kruzhok/http";
import type { Logger } from "@kruzhok/observability";

/** Work a service does on its own now and then: sweeps, copying changes to Redis, checks. */
export interface PeriodicJob {
  name: string;
  /** From the end of one round to the start of the next; the first starts this long after the job. */
  intervalMs: number;
  /** One round. A failure is logged and the next round runs as planned. */
  run: () => Promise<unknown>;
}

/**
 * Run `job` every `intervalMs`, never two rounds at once (a slow round delays the next rather
 * than piling up), logging failures and carrying on. The returned step stops it: no round
 * starts after it is called, and it resolves once a round under way has ended.
 */
export function startJob(job: PeriodicJob, logger: Pick<Logger, "warn">): ShutdownStep {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const round = () => {
    // `run` may throw before it returns a promise; that is a failed round like any other.
    running = (async () => job.run())()
      .then(() => undefined)
      .catch((err: unknown) => logger.warn({ err, job: job.name }, "periodic job failed; retrying next round"))
      .finally(() => {
        if (!stopped) timer = setTimeout(round, job.intervalMs);
      });
  };
  timer = setTimeout(round, job.intervalMs);
  return {
    name: job.name,
    run: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
