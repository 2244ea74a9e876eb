import type { Pool } from "@kruzhok/postgres";
import type { BlockInput, Cell } from "./domain/cells";
import type { ChangeFeed } from "./store/change-feed";

/** What statistics' routes and consumers need, handed in by main.ts (or a test). */
export interface StatisticsDeps {
  pool: Pool;
  /** The one clock: the time a change is published at. */
  clock: () => Date;
  /** HMAC key of the pseudonymous keys stored in place of ids. */
  pseudonymKey: string;
  /** A cell counting fewer children than this is suppressed. */
  minCell: number;
  /** Where a block's cells are computed (main.ts: a thread of their own); absent, on this thread. */
  computeBlock?: (input: BlockInput) => Promise<Cell[]>;
}

/** The app's extra: the feed of published changes the live streams follow (one LISTEN per process). */
export interface StatisticsAppDeps extends StatisticsDeps {
  changeFeed: ChangeFeed;
}
