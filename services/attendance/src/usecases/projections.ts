import type { Cause } from "@kruzhok/messaging";
import type { PoolClient } from "@kruzhok/postgres";
import { applyEnrollmentEvent } from "../domain/roster";
import {
  addChildGuardians,
  findEnrollment,
  markGroupClosed,
  saveEnrollment,
  upsertGroup,
  upsertMunicipality,
  type GroupSnapshot,
  type MunicipalityRow,
} from "../store/projections";
import type { AttendanceDeps } from "../deps";
import { joinTransaction } from "./transaction";

// What attendance keeps of other services' data (store/projections.ts), as their events tell it.
// These act for no one: what was announced is recorded as announced, in the consumer's
// transaction beside the event's inbox row. Each is idempotent and order-tolerant: a replayed
// event changes nothing, an older snapshot never overwrites a newer one.

/** A municipality's region and time zone: lessons, deadlines and month ends are in its zone. */
export function recordMunicipality(deps: AttendanceDeps, tx: PoolClient, municipality: MunicipalityRow, cause: Cause): Promise<void> {
  return joinTransaction(deps, tx, cause, () => upsertMunicipality(tx, municipality));
}

/** The child's guardians: they notify absences and confirm marks. */
export function recordChildGuardians(deps: AttendanceDeps, tx: PoolClient, child: { childId: string; guardianIds: readonly string[] }, cause: Cause): Promise<void> {
  return joinTransaction(deps, tx, cause, () => addChildGuardians(tx, child.childId, child.guardianIds));
}

/** A group's schedule as of `asOf` (the event's instant): lessons are generated from it. */
export function recordGroup(deps: AttendanceDeps, tx: PoolClient, group: GroupSnapshot, asOf: Date, cause: Cause): Promise<void> {
  return joinTransaction(deps, tx, cause, () => upsertGroup(tx, group, asOf));
}

/** A closed group has no lessons from the day it closed. */
export function recordGroupClosed(deps: AttendanceDeps, tx: PoolClient, groupId: string, at: Date, cause: Cause): Promise<void> {
  return joinTransaction(deps, tx, cause, () => markGroupClosed(tx, groupId, at));
}

/**
 * An enrollment started or ended at `at` (the event's instant; enrollment's events carry no
 * effective date of their own). Order-tolerant: an end heard before its start is kept, and the
 * start, when it comes, does not undo it.
 */
export function recordEnrollment(
  deps: AttendanceDeps,
  tx: PoolClient,
  e: { enrollmentId: string; municipalityId: string; groupId: string; programId: string; childId: string; kind: "started" | "ended"; at: Date; reason?: string },
  cause: Cause,
): Promise<void> {
  return joinTransaction(deps, tx, cause, async () => {
    const known = await findEnrollment(tx, e.enrollmentId, true);
    const next = applyEnrollmentEvent(known, { kind: e.kind, at: e.at });
    await saveEnrollment(tx, {
      id: e.enrollmentId,
      municipalityId: e.municipalityId,
      groupId: e.groupId,
      programId: e.programId,
      childId: e.childId,
      ...next,
      endReason: e.kind === "ended" ? (e.reason ?? null) : null,
    });
  });
}
