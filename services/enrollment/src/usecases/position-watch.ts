import type { Redis } from "ioredis";

/** An open position stream: asked again when its group's queue may have changed. */
export interface PositionWatcher {
  /** Read the position again and send it if it differs from the last one sent. Never throws. */
  refresh(): Promise<void>;
}

export interface PositionWatchOptions {
  /**
   * How long changes of one group are gathered before its watchers are asked again. On opening
   * day a popular group changes many times a second; a family needs its place within a second,
   * not once per application ahead of it, and each round costs one Redis script per watcher.
   */
  coalesceMs?: number;
  /** Open streams one process holds; more are refused with 503 (the route's own budget). */
  maxWatchers?: number;
}

type Log = { warn(o: object, m: string): void; info(o: object, m: string): void };

/** Who else hears the changes besides the streams (the position lookups' kept counts). */
export interface QueueChangeListener {
  queueChanged(groupId: string): void;
  /** Whether every change is heard from now on (subscribed), or may be missed (the subscriber is down). */
  hearingChanges(hearing: boolean): void;
}

/**
 * The open position streams of this process, by group. Every change of a queue in Redis is
 * published on the index's changes channel by whoever made it (`QueueIndex.add`, `replace`: any
 * worker or replica); one subscriber connection per process hears them, and only the groups with
 * watchers here are asked again, gathered per `coalesceMs`. After Redis comes back from an
 * outage (missed messages), every watcher is asked again.
 */
export class PositionWatch {
  private readonly groups = new Map<string, Set<PositionWatcher>>();
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> = Promise.resolve();
  private subscriber: Redis | undefined;
  private subscribing: Promise<void> | undefined;
  private watchers = 0;
  private listener: QueueChangeListener | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Rounds and refreshes so far (the benchmark's and the metrics' counters). */
  readonly counts = { changes: 0, rounds: 0, refreshes: 0 };
  readonly coalesceMs: number;
  readonly maxWatchers: number;

  constructor(
    private readonly redis: Redis,
    private readonly channel: string,
    private readonly log: Log,
    options: PositionWatchOptions = {},
  ) {
    this.coalesceMs = options.coalesceMs ?? 500;
    this.maxWatchers = options.maxWatchers ?? 20_000;
  }

  /** Open streams now. */
  get size(): number {
    return this.watchers;
  }

  /**
   * Subscribed to the changes channel, on its own connection (a subscribed connection runs no
   * other command); the first stream opens it, so a process nobody subscribes to holds none.
   */
  ready(): Promise<void> {
    this.subscribing ??= this.subscribe().catch((error: unknown) => {
      this.subscribing = undefined;
      this.subscriber?.disconnect();
      this.subscriber = undefined;
      throw error;
    });
    return this.subscribing;
  }

  private async subscribe(): Promise<void> {
    // Its own options: the service's client refuses commands while disconnected (no offline
    // queue, so that lookups fail over to Postgres at once); this one waits to be connected.
    const subscriber = this.redis.duplicate({ enableOfflineQueue: true, lazyConnect: true });
    this.subscriber = subscriber;
    let subscribedOnce = false;
    subscriber.on("message", (_channel: string, groupId: string) => {
      this.listener?.queueChanged(groupId);
      this.changed(groupId);
    });
    // Changes are missed from the moment the connection goes until it is subscribed again.
    subscriber.on("close", () => this.listener?.hearingChanges(false));
    // ioredis subscribes again by itself after a reconnect; what changed meanwhile was not heard.
    subscriber.on("ready", () => {
      if (!subscribedOnce) return;
      this.log.info({ watchers: this.watchers }, "queue changes heard again after a Redis outage; asking every open stream again");
      for (const groupId of this.groups.keys()) this.changed(groupId);
      // Heard again once the subscription is confirmed (subscribing twice to a channel is harmless).
      subscriber.subscribe(this.channel).then(
        () => this.listener?.hearingChanges(subscriber.status === "ready"),
        () => undefined,
      );
    });
    subscriber.on("error", () => undefined); // its outage is told by the main connection's outage lines
    await subscriber.connect();
    await subscriber.subscribe(this.channel);
    subscribedOnce = true;
    this.listener?.hearingChanges(true);
  }

  /**
   * Tell `listener` of every change, from now on: subscribes at once rather than with the first
   * stream, and tries again every `retryMs` while Redis cannot be reached.
   */
  listen(listener: QueueChangeListener, retryMs = 5_000): void {
    this.listener = listener;
    const attempt = () => {
      this.retry = undefined;
      if (this.stopped) return;
      this.ready().catch((error: unknown) => {
        this.log.warn({ err: error, retryMs }, "cannot hear queue changes yet; position lookups ask Redis every time meanwhile");
        if (!this.stopped) this.retry = setTimeout(attempt, retryMs);
      });
    };
    attempt();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    this.listener?.hearingChanges(false);
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.round;
    this.subscriber?.disconnect();
    this.subscriber = undefined;
    this.subscribing = undefined;
  }

  /** Whether one more stream may open. */
  hasRoom(): boolean {
    return this.watchers < this.maxWatchers;
  }

  /** Watch `groupId` for `watcher`; the returned function stops it (idempotent). */
  watch(groupId: string, watcher: PositionWatcher): () => void {
    let set = this.groups.get(groupId);
    if (!set) {
      set = new Set();
      this.groups.set(groupId, set);
    }
    set.add(watcher);
    this.watchers++;
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      this.watchers--;
      const current = this.groups.get(groupId);
      current?.delete(watcher);
      if (current?.size === 0) this.groups.delete(groupId);
    };
  }

  /** A group's queue changed (a message on the channel, or a caller that knows). */
  changed(groupId: string): void {
    this.counts.changes++;
    if (!this.groups.has(groupId)) return;
    this.dirty.add(groupId);
    this.timer ??= setTimeout(() => {
      this.round = this.round.then(() => this.refreshDirty());
    }, this.coalesceMs);
  }

  private async refreshDirty(): Promise<void> {
    this.timer = undefined;
    const groups = [...this.dirty];
    this.dirty.clear();
    this.counts.rounds++;
    const asked: Promise<void>[] = [];
    for (const groupId of groups) {
      for (const watcher of this.groups.get(groupId) ?? []) {
        this.counts.refreshes++;
        asked.push(watcher.refresh());
      }
    }
    // Concurrently: ioredis pipelines the scripts of one round into few writes.
    await Promise.all(asked);
  }
}
