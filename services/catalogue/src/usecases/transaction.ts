import type { Cause } from "@kruzhok/messaging";
import { withTransaction, type PoolClient } from "@kruzhok/postgres";
import type { CatalogueDeps } from "../deps";
import type { SeatsChanging } from "../store/search-cache";
import type { SeatFlips } from "../store/search";

/**
 * What a use case writes with: its transaction, the time of the change (one reading of the
 * clock), what caused it (handed to every event it emits), and a note of the municipalities
 * whose navigator answers the change alters.
 */
export interface Write {
  readonly tx: PoolClient;
  readonly now: Date;
  readonly cause: Cause;
  /**
   * The change alters what search shows in this municipality: a listed program or its groups,
   * free seats, a rating, a provider's status, a nominal, a time zone. Noted here; the answer
   * cache is told once per municipality when the use case's work is done (see `joinTransaction`).
   * `only`: the change only takes or frees seats of that program (an enrollment), with what
   * flipped, which alters fewer answers (store/search-cache.ts); a municipality noted both ways
   * counts as fully changed.
   */
  altersSearchIn(municipalityId: string, only?: { seatsOf: string } & SeatFlips): void;
}

/** A use case in a transaction of its own (a route's): committed when `work` resolves. */
export function inTransaction<T>(deps: CatalogueDeps, cause: Cause, work: (write: Write) => Promise<T>): Promise<T> {
  return withTransaction(deps.pool, (tx) => joinTransaction(deps, tx, cause, work));
}

/**
 * A use case in a transaction its caller opened and commits: a consumer's, which records the
 * event in the inbox beside the effect.
 *
 * The search cache is told here, once per municipality, in the transaction and before its
 * COMMIT, and nowhere else: until this process hears that commit's notification (which carries
 * the token `changing` sends), the municipality's searches skip the cache, so a search made once
 * the change is visible never gets an answer from before it (store/search-cache.ts). Told after
 * the commit, a search in between could still be answered from memory. Work that throws tells
 * the cache nothing.
 */
export async function joinTransaction<T>(deps: CatalogueDeps, tx: PoolClient, cause: Cause, work: (write: Write) => Promise<T>): Promise<T> {
  // Municipality -> the seats alone that changed there, or null once anything else did.
  const municipalities = new Map<string, SeatsChanging | null>();
  const altersSearchIn = (municipalityId: string, only?: { seatsOf: string } & SeatFlips) => {
    const seats = municipalities.get(municipalityId);
    if (!only) municipalities.set(municipalityId, null);
    else if (seats === undefined) municipalities.set(municipalityId, { programs: [only.seatsOf], program: only.program, slots: [...only.slots] });
    else if (seats) {
      seats.programs.push(only.seatsOf);
      seats.program ||= only.program;
      seats.slots.push(...only.slots);
    }
  };
  const result = await work({ tx, now: deps.clock(), cause, altersSearchIn });
  for (const [municipalityId, seats] of municipalities) await deps.searchCache.changing(tx, municipalityId, seats ?? undefined);
  return result;
}
