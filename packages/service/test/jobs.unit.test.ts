import { describe, expect, it } from "vitest";
import type { Logger } from "@kruzhok/observability";
import { startJob } from "../src/jobs";

// Real timers, short intervals. The test waits for what it expects (a round that started, a
// number of rounds another job made), never for a length of time.

const INTERVAL_MS = 2;

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const quietLogger: Pick<Logger, "warn"> = { warn: () => undefined };

/** Resolves once a job of the same interval has made `rounds` rounds: at least that many intervals have passed. */
async function intervalsPass(rounds: number): Promise<void> {
  const done = deferred();
  let made = 0;
  const sentinel = startJob(
    {
      name: "sentinel",
      intervalMs: INTERVAL_MS,
      run: async () => {
        if (++made >= rounds) done.resolve();
      },
    },
    quietLogger,
  );
  await done.promise;
  await sentinel.run();
}

describe("periodic jobs", () => {
  it("never runs two rounds at once: a slow round delays the next", async () => {
    let inFlight = 0;
    let mostAtOnce = 0;
    let rounds = 0;
    const firstStarted = deferred();
    const releaseFirst = deferred();
    const thirdDone = deferred();
    const job = startJob(
      {
        name: "slow",
        intervalMs: INTERVAL_MS,
        run: async () => {
          inFlight++;
          mostAtOnce = Math.max(mostAtOnce, inFlight);
          rounds++;
          if (rounds === 1) {
            firstStarted.resolve();
            await releaseFirst.promise;
          }
          inFlight--;
          if (rounds === 3) thirdDone.resolve();
        },
      },
      quietLogger,
    );
    await firstStarted.promise;
    await intervalsPass(10);
    expect(rounds).toBe(1);
    releaseFirst.resolve();
    await thirdDone.promise;
    await job.run();
    expect(mostAtOnce).toBe(1);
  });

  it("logs a failing round with the job's name and runs the next", async () => {
    const warnings: unknown[][] = [];
    const logger: Pick<Logger, "warn"> = { warn: (...args: unknown[]) => void warnings.push(args) };
    const secondRan = deferred();
    let rounds = 0;
    const job = startJob(
      {
        name: "flaky",
        intervalMs: INTERVAL_MS,
        run: async () => {
          rounds++;
          if (rounds === 1) throw new Error("Postgres went away");
          secondRan.resolve();
        },
      },
      logger,
    );
    await secondRan.promise;
    await job.run();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.[0]).toMatchObject({ job: "flaky", err: { message: "Postgres went away" } });
  });

  it("counts a round that throws before it returns a promise as a failed round", async () => {
    const warnings: unknown[][] = [];
    const logger: Pick<Logger, "warn"> = { warn: (...args: unknown[]) => void warnings.push(args) };
    const secondRan = deferred();
    let rounds = 0;
    const job = startJob(
      {
        name: "sync-throw",
        intervalMs: INTERVAL_MS,
        run: () => {
          rounds++;
          if (rounds === 1) throw new Error("thrown at once");
          secondRan.resolve();
          return Promise.resolve();
        },
      },
      logger,
    );
    await secondRan.promise;
    await job.run();
    expect(warnings[0]?.[0]).toMatchObject({ job: "sync-throw", err: { message: "thrown at once" } });
  });

  it("stops: waits for the round under way, and starts no other", async () => {
    const events: string[] = [];
    const started = deferred();
    const release = deferred();
    let rounds = 0;
    const job = startJob(
      {
        name: "held",
        intervalMs: INTERVAL_MS,
        run: async () => {
          rounds++;
          started.resolve();
          await release.promise;
          events.push("round ended");
        },
      },
      quietLogger,
    );
    await started.promise;
    const stopping = job.run().then(() => events.push("stopped"));
    await intervalsPass(5);
    expect(events).toEqual([]);
    release.resolve();
    await stopping;
    expect(events).toEqual(["round ended", "stopped"]);
    await intervalsPass(10);
    expect(rounds).toBe(1);
  });

  it("stops before its first round: none runs", async () => {
    let rounds = 0;
    const job = startJob({ name: "never", intervalMs: INTERVAL_MS, run: async () => void rounds++ }, quietLogger);
    await job.run();
    await intervalsPass(10);
    expect(rounds).toBe(0);
  });
});
