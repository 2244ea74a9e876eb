import { Redis } from "ioredis";
import { OutageLog, type Logger, type Registry } from "@kruzhok/observability";

export interface RedisClientOptions {
  logger: Logger;
  metrics?: Registry;
  /** A command not answered this long fails (a hung Redis), so nothing waits on it for ever. */
  commandTimeoutMs: number;
}

/**
 * The process's Redis client. Redis is an index and a counter store here, never the truth, so
 * nothing waits for it: commands fail at once while it is disconnected (no offline queue) and
 * after `commandTimeoutMs` while it hangs; one retry of a command a dropped connection broke.
 * Its outages are told in one line each (`outage`, shared with the rate limit and the queue
 * index, whose failing calls it also hears of) and as `dependency_up{dependency="redis"}`,
 * instead of a line per reconnection attempt.
 */
export function createRedisClient(url: string, options: RedisClientOptions): { redis: Redis; outage: OutageLog; connected: (timeoutMs: number) => Promise<boolean> } {
  const outage = new OutageLog({
    dependency: "redis",
    logger: options.logger,
    ...(options.metrics && { metrics: options.metrics }),
    meanwhile: "rate limiting is off (requests are let through uncounted) and queue positions come from Postgres",
  });
  // Auto-pipelining: the commands issued in one turn of the event loop (every request's rate-limit
  // count, queue lookups) leave in one write, where each would cost a syscall of its own.
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: Math.max(1_000, options.commandTimeoutMs * 2),
    // Reconnect soon, then every 2 s at most.
    retryStrategy: (times) => Math.min(times * 100, 2_000),
  });
  redis.on("error", (err: Error) => outage.failed(err));
  redis.on("ready", () => outage.answered());
  /**
   * Whether the first connection is made within `timeoutMs`: a process waits this long at
   * start, so that its first commands do not fail for want of a connection (with no offline
   * queue they would), and starts without Redis after it.
   */
  const connected = (timeoutMs: number) =>
    new Promise<boolean>((resolve) => {
      if (redis.status === "ready") return resolve(true);
      const timer = setTimeout(() => {
        redis.off("ready", onReady);
        resolve(false);
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve(true);
      };
      redis.once("ready", onReady);
    });
  return { redis, outage, connected };
}
