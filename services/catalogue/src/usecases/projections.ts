import type { Cause } from "@kruzhok/messaging";
import type { PoolClient } from "@kruzhok/postgres";
import { decideProviderGroups } from "../domain/provider";
import { announceGroupsUpdated } from "../store/announcements";
import {
  addChildGuardians,
  endEnrollment,
  startEnrollment,
  upsertMunicipality,
  upsertProvider,
  upsertYear,
  type EnrollmentRef,
  type MunicipalityRow,
  type ProviderRow,
} from "../store/projections";
import type { CatalogueDeps } from "../deps";
import { joinTransaction } from "./transaction";

// What the catalogue keeps of other services' data (store/projections.ts), as their events tell
// it. These act for no one: what the registry or enrollment announced is recorded as announced,
// in the consumer's transaction, beside the event's inbox row.

// --- from the registry ---------------------------------------------------------------------

/**
 * A municipality's name, time zone and currency (programs are priced, and groups scheduled, in
 * them) and its region (whose officials see its programs in every status).
 */
export function recordMunicipality(
  deps: CatalogueDeps,
  tx: PoolClient,
  municipality: MunicipalityRow,
  cause: Cause,
): Promise<void> {
  return joinTransaction(deps, tx, cause, async (write) => {
    await upsertMunicipality(tx, municipality);
    write.altersSearchIn(municipality.id);
  });
}

/** The year's certificate nominal: what search shows a certificate covers. */
export function recordMunicipalityYear(deps: CatalogueDeps, tx: PoolClient, year: { municipalityId: string; year: number; nominal: number }, cause: Cause): Promise<void> {
  return joinTransaction(deps, tx, cause, async (write) => {
    await upsertYear(tx, year.municipalityId, year.year, year.nominal);
    write.altersSearchIn(year.municipalityId);
  });
}

/** Who the child's guardians are: they alone review the child's programs. Search shows none of it. */
export function recordChildGuardians(deps: CatalogueDeps, tx: PoolClient, child: { childId: string; guardianIds: readonly string[] }, cause: Cause): Promise<void> {
  return joinTransaction(deps, tx, cause, async () => {
    await addChildGuardians(tx, child.childId, child.guardianIds);
  });
}

/**
 * A provider's status as the registry announced it. Only an approved provider's programs are
 * listed (the listed flag of each program changes in this transaction); a suspension or a
 * reinstatement is announced for every open group of its published programs, so that
 * enrollment stops or resumes taking applications at once.
 */
export function recordProviderStatus(
  deps: CatalogueDeps,
  tx: PoolClient,
  provider: ProviderRow,
  cause: Cause,
): Promise<void> {
  return joinTransaction(deps, tx, cause, async (write) => {
    const before = await upsertProvider(tx, provider, write.now);
    const change = decideProviderGroups(before, provider.status);
    if (change) await announceGroupsUpdated(tx, { providerId: provider.id }, change, write.cause, write.now);
    write.altersSearchIn(provider.municipalityId);
  });
}

// --- from enrollment -----------------------------------------------------------------------

/** A started enrollment takes a seat of its group, counted once however often the event arrives. */
export function recordEnrollmentStarted(deps: CatalogueDeps, tx: PoolClient, enrollment: EnrollmentRef & { municipalityId: string }, cause: Cause): Promise<void> {
  return joinTransaction(deps, tx, cause, async (write) => {
    const flips = await startEnrollment(tx, enrollment, write.now);
    write.altersSearchIn(enrollment.municipalityId, { seatsOf: enrollment.programId, ...flips });
  });
}

/** An ended enrollment frees its seat and gives the child's guardians the right to review the program. */
export function recordEnrollmentEnded(
  deps: CatalogueDeps,
  tx: PoolClient,
  enrollment: EnrollmentRef & { municipalityId: string; reason: string },
  cause: Cause,
): Promise<void> {
  return joinTransaction(deps, tx, cause, async (write) => {
    const flips = await endEnrollment(tx, enrollment, enrollment.reason, write.now);
    write.altersSearchIn(enrollment.municipalityId, { seatsOf: enrollment.programId, ...flips });
  });
}
