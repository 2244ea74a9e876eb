import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import { DependencyDown, type Outage } from "@kruzhok/observability";
import { HttpProblem } from "./problems";
import { routeOptionsOf } from "./route";

type Done = (error: Error | null, result?: { current: number; ttl: number }) => void;

declare module "fastify" {
  interface FastifyContextConfig {
    /** `false`: the route is outside the rate limit (health probes). */
    rateLimit?: false;
  }
}

/**
 * Add to counters and return each with its remaining window: `KEYS[i]` by `ARGV[2i-1]`; a
 * counter without a window (new, or its window ended) gets `ARGV[2i]` ms. One key per subject
 * under the namespace, expiring with its window (the counters @fastify/rate-limit's Redis store
 * kept, when we used it). The answer is every key's count and window, in order, flat. A
 * subject's first request sends its key alone; a batch sends all of its keys in one command
 * rather than a pipeline of one per subject: at 5,000 position lookups a second the pipeline's
 * commands, their timers and their replies were what a lookup worker's scavenges found alive most
 * (BENCHMARKS.md). Its keys are every subject's: on a Redis Cluster they would have to share a
 * slot; the services' client is one Redis node (config REDIS_URL).
 */
const COUNT_LUA = `
local out = {}
for i, key in ipairs(KEYS) do
  local current = redis.call('INCRBY', key, ARGV[2 * i - 1])
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    redis.call('PEXPIRE', key, ARGV[2 * i])
    ttl = tonumber(ARGV[2 * i])
  end
  out[2 * i - 1] = current
  out[2 * i] = ttl
end
return out`;

/** Subjects per batch command: Redis runs a script alone, so a batch is cut into commands of at most this many (~1 ms each). */
const BATCH_KEYS = 500;

/** The command `COUNT_LUA` becomes on a client (ioredis `defineCommand`; no fixed number of keys: the caller gives it first). */
type WithCount = { kruzhokRateCounts(keyCount: number, ...keysThenArgs: (string | number)[]): Promise<number[]> };

/** One subject's counter as this process sees it. */
interface Count {
  /** The count in Redis at its last answer to this process (everyone's requests, this process's sent ones among them). */
  base: number;
  /** This process's requests on their way to Redis. */
  sending: number;
  /** This process's requests not sent yet. */
  pending: number;
  /** When the window ends (Date.now() scale). */
  endsAt: number;
  windowMs: number;
  /** While the window's first request here waits for Redis: the requests behind it. */
  waiting: (() => void)[] | undefined;
}

/**
 * The rate limit's counters, shared by every replica and worker through Redis, counted here
 * between two visits to it. A subject's first request in a window (in this process) asks Redis,
 * which counts it and tells the count and the window's end; the next ones are counted here and
 * answered at once, and what this process counted goes to Redis in one batch (one command) every
 * `flushMs`, each answer bringing back everyone's count. A request used to cost a Redis round
 * trip of its own (a lookup's was half its Redis work and a third of its socket writes,
 * BENCHMARKS.md); now a subject costs one per window and its share of a batch.
 *
 * The price: requests made through other processes are seen here only after their batch and
 * this process's next one, so a subject spread over N processes may get up to N batches' worth
 * of requests (`flushMs` each, 100 ms by default) past the limit before every process refuses.
 * A subject on one process is counted exactly.
 *
 * Degrades open, as before: while Redis fails or does not answer (the client's commandTimeout)
 * requests are let through uncounted (the plugin's skipOnError), one log line for the outage;
 * only one first request a second tries Redis meanwhile, and a batch that fails is sent again
 * with the next one.
 */
export class SharedCounts {
  private readonly counts = new Map<string, Count>();
  private readonly count: WithCount["kruzhokRateCounts"];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private lastPrune = Date.now();

  constructor(
    private readonly redis: Redis,
    private readonly outage: Outage,
    private readonly flushMs = 100,
  ) {
    const client = redis as Redis & Partial<WithCount>;
    if (!client.kruzhokRateCounts) redis.defineCommand("kruzhokRateCounts", { lua: COUNT_LUA });
    const counting = redis as Redis & WithCount;
    this.count = (keyCount, ...keysThenArgs) => counting.kruzhokRateCounts(keyCount, ...keysThenArgs);
  }

  incr(key: string, windowMs: number, done: Done): void {
    const now = Date.now();
    const count = this.counts.get(key);
    if (count && count.endsAt > now) {
      if (count.waiting) {
        count.waiting.push(() => this.incr(key, windowMs, done));
        return;
      }
      count.pending++;
      this.schedule();
      done(null, { current: count.base + count.sending + count.pending, ttl: count.endsAt - now });
      return;
    }
    // The subject's first request here in this window: Redis counts it and tells the window.
    if (!this.outage.shouldTry()) {
      done(new DependencyDown("redis"));
      return;
    }
    const fresh: Count = { base: 0, sending: 0, pending: 0, endsAt: now + windowMs, windowMs, waiting: [] };
    this.counts.set(key, fresh);
    const startedAt = performance.now();
    this.count(1, key, 1, windowMs).then(
      (reply) => {
        const [current, ttl] = [reply[0]!, reply[1]!];
        this.outage.answered(startedAt);
        const waiting = fresh.waiting ?? [];
        // Cleared, not deleted: a `delete` turns the object into a dictionary, and every later
        // request of the subject read its fields the slow way (a few per cent of a lookup's CPU).
        fresh.waiting = undefined;
        fresh.base = current;
        fresh.endsAt = Date.now() + ttl;
        done(null, { current, ttl });
        for (const next of waiting) next();
      },
      (error: unknown) => {
        this.outage.failed(error);
        if (this.counts.get(key) === fresh) this.counts.delete(key);
        done(error instanceof Error ? error : new Error(String(error)));
        // Those behind it try again (at most one a second while Redis is down, above).
        for (const next of fresh.waiting ?? []) next();
      },
    );
  }

  /** Send what is pending now and wait for it (the app's close). */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
    await this.flush();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.flushMs);
    // Pending counts do not keep a process alive; a process that ends loses under `flushMs` of them.
    this.timer.unref();
  }

  private flush(): Promise<void> {
    this.flushing ??= this.send().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async send(): Promise<void> {
    const now = Date.now();
    const batch: [string, Count][] = [];
    for (const entry of this.counts) {
      const count = entry[1];
      if (count.pending > 0 && !count.waiting) {
        count.sending = count.pending;
        count.pending = 0;
        batch.push(entry);
      }
    }
    if (now - this.lastPrune > 10_000) this.prune(now);
    if (batch.length === 0) return;
    if (!this.outage.shouldTry()) {
      this.putBack(batch);
      return;
    }
    const startedAt = performance.now();
    const parts: [string, Count][][] = [];
    for (let i = 0; i < batch.length; i += BATCH_KEYS) parts.push(batch.slice(i, i + BATCH_KEYS));
    // The parts go out together (ioredis writes them back to back); each is counted or put back whole.
    const answers = await Promise.allSettled(parts.map((part) => this.sendPart(part)));
    const failed = answers.find((answer) => answer.status === "rejected");
    if (failed) this.outage.failed(failed.reason);
    else this.outage.answered(startedAt);
    if (batch.some(([, count]) => count.pending > 0)) this.schedule();
  }

  /** One command for a part of a batch: every count in it takes its answer, or all go back to pending. */
  private async sendPart(part: [string, Count][]): Promise<void> {
    const keys: string[] = [];
    const args: number[] = [];
    for (const [key, count] of part) {
      keys.push(key);
      args.push(count.sending, count.windowMs);
    }
    let reply: number[];
    try {
      reply = await this.count(keys.length, ...keys, ...args);
    } catch (error) {
      this.putBack(part);
      throw error;
    }
    const answeredAt = Date.now();
    part.forEach(([, count], index) => {
      count.base = reply[2 * index]!;
      count.endsAt = answeredAt + reply[2 * index + 1]!;
      count.sending = 0;
    });
  }

  private putBack(batch: [string, Count][]): void {
    for (const [, count] of batch) {
      count.pending += count.sending;
      count.sending = 0;
    }
    this.schedule();
  }

  /** Forget the counters whose window ended with nothing of this process's left to send. */
  private prune(now: number): void {
    this.lastPrune = now;
    for (const [key, count] of this.counts) {
      if (count.endsAt <= now && count.pending === 0 && count.sending === 0 && !count.waiting) this.counts.delete(key);
    }
  }
}

export interface RateLimitHookOptions {
  /** Requests a subject may make in a window. */
  max: number;
  windowMs: number;
  counts: SharedCounts;
  /** Prefix of the counters' keys (`<service>:rate-limit:`). */
  nameSpace: string;
}

/**
 * The rate limit: every request except the routes configured `rateLimit: false`, counted per
 * subject (the token's, checked by the auth hook registered before this one) or, without a valid
 * token, per client address, so that token guessing is throttled too. Over the limit: 429
 * `HTTP.RATE_LIMITED` with `Retry-After` (and the `x-ratelimit-*` headers, on the refusal only).
 *
 * Our own hook rather than @fastify/rate-limit's: the plugin added a route hook that awaited a
 * promise on every request and wrote three `x-ratelimit-*` headers on every answer, together a
 * tenth of a position lookup's CPU (BENCHMARKS.md); here a request counted between two visits to
 * Redis completes the hook synchronously and an answer under the limit carries no header of it.
 * While Redis fails requests go through uncounted (SharedCounts says so once per outage).
 */
export function registerRateLimit(app: FastifyInstance, { max, windowMs, counts, nameSpace }: RateLimitHookOptions): void {
  app.addHook("onRequest", (request, reply, done) => {
    if (routeOptionsOf(request).config.rateLimit === false) return done();
    const subject = request.actor ? `sub:${request.actor.subject}` : `ip:${request.ip}`;
    counts.incr(`${nameSpace}${subject}`, windowMs, (error, result) => {
      if (error || !result || result.current <= max) return done();
      const seconds = Math.max(1, Math.ceil(result.ttl / 1_000));
      reply.headers({ "retry-after": String(seconds), "x-ratelimit-limit": String(max), "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(seconds) });
      done(new HttpProblem("HTTP.RATE_LIMITED", `more than ${max} requests in ${Math.round(windowMs / 1_000)} s; retry in ${seconds} s`));
    });
  });
}
