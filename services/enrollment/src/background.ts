import type { ShutdownStep } from "@kruzhok/http";
import type { Logger } from "@kruzhok/observability";

/**
 * Run `work` every `ms`, never two at once (a slow round delays the next rather than piling up),
 * logging failures and carrying on. The returned step stops it and waits for a round under way.
 */
export function every(name: string, ms: number, work: () => Promise<unknown>, logger: Logger): ShutdownStep {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    running = work()
      .then(() => undefined)
      .catch((err: unknown) => logger.warn({ err, job: name }, "background job failed; retrying next round"))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, ms);
      });
  };
  timer = setTimeout(tick, ms);
  return {
    name,
    run: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
