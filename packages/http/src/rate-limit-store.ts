import { createRequire } from "node:module";
import type { FastifyRateLimitOptions, FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import type { Redis } from "ioredis";
import { DependencyDown, type Outage } from "@kruzhok/observability";

type Done = (error: Error | null, result?: { current: number; ttl: number }) => void;

/** The store interface of @fastify/rate-limit (`incr`, `read`, `child`). */
interface Store {
  incr(key: string, done: Done, timeWindow: number, max: number): void;
  read?(key: string, done: Done, timeWindow: number, max: number): void;
  child(routeOptions: unknown): Store;
}

// The plugin's own Redis store (its Lua script), wrapped below; a CommonJS file without types.
const RedisStore = createRequire(import.meta.url)("@fastify/rate-limit/store/RedisStore.js") as new (continueExceeding: boolean, exponentialBackoff: boolean, redis: Redis, nameSpace: string) => Store;

/**
 * Rate limit counters in Redis that degrade open: while Redis fails or does not answer within
 * the client's commandTimeout, requests are let through uncounted (the plugin's skipOnError)
 * rather than refused with 500, with one log line for the outage (`outage`), not one per
 * request. While Redis is down only one count per second is attempted; the others skip it at
 * once, so a hung Redis adds no wait to every request.
 */
class DegradingStore implements Store {
  constructor(
    private readonly inner: Store,
    private readonly outage: Outage,
  ) {}

  incr(key: string, done: Done, timeWindow: number, max: number): void {
    this.call((callback) => this.inner.incr(key, callback, timeWindow, max), done);
  }

  read(key: string, done: Done, timeWindow: number, max: number): void {
    const read = this.inner.read?.bind(this.inner);
    if (!read) return done(new Error("the store cannot read"));
    this.call((callback) => read(key, callback, timeWindow, max), done);
  }

  child(routeOptions: unknown): Store {
    return new DegradingStore(this.inner.child(routeOptions), this.outage);
  }

  private call(run: (callback: Done) => void, done: Done): void {
    if (!this.outage.shouldTry()) return done(new DependencyDown("redis"));
    const startedAt = performance.now();
    run((error, result) => {
      if (error) {
        this.outage.failed(error);
        return done(error);
      }
      this.outage.answered(startedAt);
      done(null, result ?? undefined);
    });
  }
}

/** The `store` option of @fastify/rate-limit: Redis counters under `nameSpace` that let requests through while Redis is down. */
export function degradingRedisStore(redis: Redis, nameSpace: string, outage: Outage): FastifyRateLimitStoreCtor {
  return class {
    constructor(params: FastifyRateLimitOptions & { continueExceeding?: boolean; exponentialBackoff?: boolean }) {
      return new DegradingStore(new RedisStore(params.continueExceeding === true, params.exponentialBackoff === true, redis, nameSpace), outage);
    }
  } as unknown as FastifyRateLimitStoreCtor;
}
