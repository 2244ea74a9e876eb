import type { Actor } from "@kruzhok/actor";
import type { Pool } from "@kruzhok/postgres";
import { waitsInQueue } from "../domain/application";
import { enrollmentError } from "../domain/errors";
import { findApplication } from "../store/applications";
import type { QueueIndex } from "../store/queue-index";
import { isKnownGuardianReader, requireReader } from "./access";
import type { Position, PositionLookups } from "./positions";

export interface PositionReadDeps {
  pool: Pool;
  queues: QueueIndex;
  positions: PositionLookups;
  log: { warn(o: object, m: string): void; debug(o: object, m: string): void };
}

/**
 * Where a waiting application stands, for whoever may read it (the family, the group's
 * provider, the municipality's office): the lookup route's answer and each message of the
 * position stream. The common path is an application this process knows, authorized from what
 * it knows and answered by Redis in one command (`early`, when the route already asked it);
 * otherwise Postgres. Throws APPLICATION_NOT_FOUND, the reader's refusal, or
 * APPLICATION_NOT_IN_QUEUE once the application no longer waits.
 */
export async function readPosition(deps: PositionReadDeps, actor: Actor, applicationId: string, now: Date, early?: Promise<Position | undefined>): Promise<Position> {
  const { pool, queues, positions, log } = deps;
  const known = positions.known(applicationId);
  if (known) {
    await requireReader(pool, actor, known, positions);
    const fast = await (early ?? positions.fromIndex(known, now)).catch((error: unknown) => {
      log[queues.told(error) ? "debug" : "warn"]({ err: error }, "queue index unavailable; answering the position from Postgres");
      return undefined;
    });
    if (fast) return fast;
  }
  const a = await findApplication(pool, applicationId);
  if (!a) throw enrollmentError("APPLICATION_NOT_FOUND", `no application ${applicationId}`);
  await requireReader(pool, actor, a, positions);
  if (!waitsInQueue(a.status)) {
    positions.forget(a.id);
    throw enrollmentError("APPLICATION_NOT_IN_QUEUE", `the application is ${a.status}, not waiting in the queue`);
  }
  return positions.fromTruth(a, now, log);
}

/**
 * `readPosition`'s most common case answered at once, with no promise and no turn of the event
 * loop: a guardian this process has seen to be the child's, asking of an application it knows,
 * whose position it keeps (`PositionLookups.keptPosition`). Undefined whenever anything must be
 * asked or decided elsewhere: then `readPosition`, which answers every case.
 */
export function readKeptPosition(positions: PositionLookups, actor: Actor, applicationId: string, now: Date): Position | undefined {
  const known = positions.known(applicationId);
  if (!known || !isKnownGuardianReader(actor, known, positions)) return undefined;
  return positions.keptPosition(known, now);
}
