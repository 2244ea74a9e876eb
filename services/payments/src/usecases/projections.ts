import type { Cause } from "@kruzhok/messaging";
import type { PoolClient } from "@kruzhok/postgres";
import { lessonMinutesOf } from "../domain/billing";
import { setChildCategories, setChildGuardians, upsertCertificate, upsertGroup, upsertMunicipality, type CertificateRow, type MunicipalityRow } from "../store/projections";
import type { PaymentsDeps } from "../deps";
import { joinTransaction } from "./transaction";

// What payments keeps of other services' data, as their events tell it: recorded as announced,
// in the consumer's transaction, beside the event's inbox row. These act for no one.

export function recordMunicipality(deps: PaymentsDeps, tx: PoolClient, municipality: MunicipalityRow, cause: Cause): Promise<void> {
  return joinTransaction(deps, tx, cause, () => upsertMunicipality(tx, municipality));
}

export function recordCertificate(deps: PaymentsDeps, tx: PoolClient, certificate: CertificateRow, cause: Cause): Promise<void> {
  return joinTransaction(deps, tx, cause, () => upsertCertificate(tx, certificate));
}

/** The child's categories as the registry verified them (they rank the waiting list and set the coefficient). */
export function recordChildCategories(deps: PaymentsDeps, tx: PoolClient, child: { childId: string; categories: readonly { code: string; validFrom: string; validUntil: string }[] }, cause: Cause): Promise<void> {
  return joinTransaction(deps, tx, cause, async (write) => {
    const today = write.now.toISOString().slice(0, 10);
    await setChildCategories(tx, child.childId, child.categories.filter((c) => c.validFrom <= today && today <= c.validUntil).map((c) => c.code), child.categories);
  });
}

/** The child's guardians changed (a merged duplicate record brought its own): the whole list replaces the old. */
export function recordChildGuardians(deps: PaymentsDeps, tx: PoolClient, child: { childId: string; guardianIds: readonly string[] }, cause: Cause): Promise<void> {
  return joinTransaction(deps, tx, cause, () => setChildGuardians(tx, child.childId, child.guardianIds));
}

export interface GroupSnapshot {
  groupId: string;
  programId: string;
  providerId: string;
  pricePerHour: number;
  currency: string;
  fundingKind: string;
  startsOn: string;
  endsOn: string;
  schedule: { slots: readonly { start: string; end: string }[] };
}

/** A group's price and lesson length: what one lesson costs. */
export function recordGroup(deps: PaymentsDeps, tx: PoolClient, municipalityId: string, group: GroupSnapshot, cause: Cause): Promise<void> {
  return joinTransaction(deps, tx, cause, () =>
    upsertGroup(tx, {
      id: group.groupId,
      municipalityId,
      programId: group.programId,
      providerId: group.providerId,
      pricePerHour: group.pricePerHour,
      lessonMinutes: lessonMinutesOf(group.schedule.slots),
      lessonsPerWeek: group.schedule.slots.length,
      fundingKind: group.fundingKind,
      currency: group.currency,
      startsOn: group.startsOn,
      endsOn: group.endsOn,
    }),
  );
}

