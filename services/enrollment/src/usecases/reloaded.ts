/**
 * Facts loaded from Postgres and trusted for `ttlMs`. Once that has passed, the value held is
 * still answered while one reload of it runs: a position lookup does not wait on Postgres for a
 * fact that has merely aged (a municipality's category order, a group's zone). Only a key never
 * loaded waits, and then every lookup that asks meanwhile waits for the same query. Each lookup
 * that found the value expired used to query for itself: at 5,000 lookups/s the municipality's
 * order expiring sent dozens of the same query at once, each worker's pool opened up to 20 new
 * connections for them (its idle ones close after 10 s), and every lookup of the municipality
 * waited: p99 of 350-660 ms (BENCHMARKS.md, 2026-12-06). What a failed reload costs is a value
 * older than the ttl; the next lookup that finds it expired tries again.
 *
 * Reloads go through `background`, one after another: the zones of every group loaded in the
 * same minute age together, and 500 reloads at once took all 20 connections of each worker's
 * pool, opened anew (and closed again 10 s later), while the lookups went on.
 */
export class Reloaded<K, V> {
  private readonly held = new Map<K, { value: V; until: number }>();
  private readonly loading = new Map<K, Promise<V | undefined>>();
  constructor(
    private readonly ttlMs: number,
    /** Undefined: nothing to hold (asked again next time); a value held before is dropped, its fact gone. */
    private readonly load: (key: K) => Promise<V | undefined>,
    private readonly background: Serial,
  ) {}

  /** The value when it is held and fresh, without an await. */
  fresh(key: K, at: number): V | undefined {
    const entry = this.held.get(key);
    return entry && entry.until >= at ? entry.value : undefined;
  }

  async get(key: K, at: number): Promise<V | undefined> {
    const entry = this.held.get(key);
    if (!entry) return this.loadOnce(key, at, () => this.load(key));
    if (entry.until < at && !this.loading.has(key)) this.loadOnce(key, at, () => this.background.run(() => this.load(key))).catch(() => undefined);
    return entry.value;
  }

  private loadOnce(key: K, at: number, load: () => Promise<V | undefined>): Promise<V | undefined> {
    let loading = this.loading.get(key);
    if (!loading) {
      loading = load()
        .then((value) => {
          // A reload that finds nothing (the group or the municipality is gone) drops what was
          // held: answered on, the vanished fact was reloaded by every lookup that found it aged.
          if (value !== undefined) this.held.set(key, { value, until: at + this.ttlMs });
          else this.held.delete(key);
          return value;
        })
        .finally(() => this.loading.delete(key));
      this.loading.set(key, loading);
    }
    return loading;
  }
}

/** Tasks run one after another, each once the one before it has settled. */
export class Serial {
  private last: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.last.then(task, task);
    this.last = result.catch(() => undefined);
    return result;
  }
}
