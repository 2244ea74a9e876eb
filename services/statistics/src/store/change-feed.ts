import type { Logger } from "@kruzhok/observability";
import type { Pool, PoolClient } from "@kruzhok/postgres";
import { CHANGES_CHANNEL, latestVersion, listCells, type PublishedCell } from "./cells";

export type VersionedCell = PublishedCell & { version: number };
type Listener = (cells: readonly VersionedCell[]) => void;

/**
 * The published changes, as every process hears of them: one LISTEN connection per process; on
 * each notification (sent by the writing transaction, delivered on its COMMIT, whichever process
 * or worker wrote) the cells with a newer version are read once and handed to every live
 * stream of this process, which keeps those its reader may see. Writers are serialised
 * (one publisher at a time, store/facts.ts asPublisher), so versions grow in commit order and none is skipped.
 */
export class ChangeFeed {
  private client: PoolClient | undefined;
  private last = 0;
  private readonly listeners = new Set<Listener>();
  private readonly closers = new Set<() => void>();
  private pulling: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly pool: Pool,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.last = await latestVersion(this.pool);
    const client = await this.pool.connect();
    // REVIEW: a dropped LISTEN connection ends the live streams' updates until restart; reconnect
    // with a pull on reconnection when the service runs long enough for it to matter.
    client.on("error", (err) => this.logger.warn({ err }, "change feed connection failed"));
    client.on("notification", () => this.pull());
    await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    this.client = client;
  }

  /** Hear every change from now on; returns the unsubscription. `close` is called when the feed stops. */
  subscribe(listener: Listener, close: () => void): () => void {
    this.listeners.add(listener);
    this.closers.add(close);
    return () => {
      this.listeners.delete(listener);
      this.closers.delete(close);
    };
  }

  /** End every live stream (before the server closes: they would hold it open). */
  endStreams(): void {
    for (const close of [...this.closers]) close();
    this.listeners.clear();
    this.closers.clear();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.endStreams();
    await this.pulling;
    if (this.client) {
      await this.client.query(`UNLISTEN ${CHANGES_CHANNEL}`).catch(() => undefined);
      this.client.release();
      this.client = undefined;
    }
  }

  private pull(): void {
    this.pulling = this.pulling.then(async () => {
      if (this.stopped) return;
      try {
        // Nobody listening (a rebuild, a quiet night): only the mark moves on.
        if (this.listeners.size === 0) {
          this.last = await latestVersion(this.pool);
          return;
        }
        const cells = await listCells(this.pool, { regionCodes: null, afterVersion: this.last });
        if (cells.length === 0) return;
        this.last = cells[cells.length - 1]!.version;
        for (const listener of this.listeners) listener(cells);
      } catch (err) {
        this.logger.warn({ err }, "change feed could not read the changes; the next notification reads them");
      }
    });
  }
}
