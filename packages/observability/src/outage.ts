import type { Logger } from "./logger";
import { gauge, type Registry } from "./metrics";

/** What a dependency outage tracker tells and is told; `OutageLog` is the one implementation. */
export interface Outage {
  /** A call to the dependency failed (or timed out). */
  failed(error: unknown): void;
  /**
   * A call to the dependency answered. `startedAt` (performance.now() when the call began): an
   * answer to a call begun before the outage was told of says nothing of now (under load its
   * reply can be read after another call's timeout marked the dependency down), so it does not end it.
   */
  answered(startedAt?: number): void;
  /** Whether the dependency is taken to be down (its last call failed). */
  readonly down: boolean;
  /**
   * Whether to call the dependency now: always while it is up; while it is down, once per
   * `probeEveryMs` (that call tells whether it is back), so that every other caller goes the
   * fallback way at once instead of waiting for a timeout of its own.
   */
  shouldTry(): boolean;
  /** Whether `error` is of an outage already told of (a call skipped, or one failing while down): worth a debug line, no more. */
  told(error: unknown): boolean;
  /** Call `listener` each time the dependency answers again after an outage (a restarted Redis may have lost what it held). */
  onRecovery(listener: () => void): void;
}

export interface OutageOptions {
  /** Names the dependency in the log lines and the metric's label (`redis`, `kafka`). */
  dependency: string;
  logger: Logger;
  /** `dependency_up{dependency}` 1/0 is registered here when given. */
  metrics?: Registry;
  /** While down, one call per this many ms goes to the dependency. Default 1,000. */
  probeEveryMs?: number;
  /** What keeps working and how, for the log line (`rate limiting is off, positions come from Postgres`). */
  meanwhile?: string;
}

/**
 * One log line when a dependency starts failing and one when it answers again, whatever the
 * number of requests or reconnection attempts in between (a per-request or per-retry line would
 * bury the log under one outage), and its state as the `dependency_up` gauge.
 */
export class OutageLog implements Outage {
  private since: number | undefined;
  /** performance.now() when the outage was told of. */
  private sinceMonotonic = 0;
  private lastTry = 0;
  private failures = 0;
  private readonly probeEveryMs: number;
  private readonly recoveryListeners: (() => void)[] = [];

  constructor(private readonly options: OutageOptions) {
    this.probeEveryMs = options.probeEveryMs ?? 1_000;
    if (options.metrics) {
      // A worker's view of the dependency: the cluster's is down when any worker's is (min, not a sum of ones).
      const up = gauge(options.metrics, { name: "dependency_up", help: "1 while the dependency answers, 0 while it is taken to be down", labelNames: ["dependency"] as const, aggregator: "min" });
      up.set({ dependency: options.dependency }, 1);
      this.report = (value) => up.set({ dependency: options.dependency }, value);
    }
  }

  private report: (value: 0 | 1) => void = () => undefined;

  get down(): boolean {
    return this.since !== undefined;
  }

  failed(error: unknown): void {
    this.failures++;
    if (this.since !== undefined) return;
    this.since = Date.now();
    this.sinceMonotonic = performance.now();
    this.lastTry = this.since;
    this.report(0);
    const meanwhile = this.options.meanwhile ? `; meanwhile ${this.options.meanwhile}` : "";
    this.options.logger.warn({ err: error, dependency: this.options.dependency }, `${this.options.dependency} unavailable${meanwhile}`);
  }

  answered(startedAt?: number): void {
    if (this.since === undefined) return;
    if (startedAt !== undefined && startedAt < this.sinceMonotonic) return;
    const downForMs = Date.now() - this.since;
    const failures = this.failures;
    this.since = undefined;
    this.failures = 0;
    this.report(1);
    this.options.logger.info({ dependency: this.options.dependency, downForMs, failures }, `${this.options.dependency} available again`);
    for (const listener of this.recoveryListeners) listener();
  }

  told(error: unknown): boolean {
    return error instanceof DependencyDown || this.down;
  }

  onRecovery(listener: () => void): void {
    this.recoveryListeners.push(listener);
  }

  shouldTry(): boolean {
    if (this.since === undefined) return true;
    const now = Date.now();
    if (now - this.lastTry < this.probeEveryMs) return false;
    this.lastTry = now;
    return true;
  }
}

/** Thrown in place of a call not made because its dependency is down (`Outage.shouldTry` said no). */
export class DependencyDown extends Error {
  override readonly name = "DependencyDown";
  constructor(readonly dependency: string) {
    super(`${dependency} is unavailable`);
  }
}
