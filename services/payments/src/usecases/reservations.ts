import { ReservationChanged } from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import type { PoolClient } from "@kruzhok/postgres";
import { formatLocalDate, localDateOf } from "@kruzhok/time";
import { accountId, certificateAccountOf, derivedTransferId, financingTransferId, requireAllPosted, type TransferInput } from "../domain/ledger";
import { defaultBillingRules } from "../domain/billing";
import { rulesForMonth } from "../domain/billing-rules";
import { expectedCost } from "../domain/reservation";
import { billingRulesVersions } from "../store/billing";
import { committedFinancingsOf, financingFor } from "../store/financing";
import { createTransfers, ensureAccounts, findAccounts, transferAccounts } from "../store/ledger";
import { findCertificateOfChild, findGroup, findMunicipality, upsertEnrollment } from "../store/projections";
import { addReturned } from "../store/rollovers";
import { lockOpenReservations, lockReservation, saveReservation, type ReservationRow } from "../store/reservations";
import type { PaymentsDeps } from "../deps";
import { postingCause } from "./cause";
import { joinTransaction, type Write } from "./transaction";

// An enrollment into a financed program reserves its expected cost on the certificate (a pending
// transfer to the provider's payable), so the same money cannot be promised twice. Billing shrinks
// it (the old pending voided and a smaller one made, linked: both or neither); the enrollment's
// end releases it. One reservation per enrollment and year: at the new year the old year's keeps
// holding December's lessons, which attendance closes and payments bills in January from the old
// year's money; once December is billed (or the enrollment ends) what it still holds is released
// and returned to the old year's budget.

/** The enrollment started: recorded, and its expected cost reserved (as far as the certificate reaches; the rest is noted as missing). */
export function enrollmentStarted(deps: PaymentsDeps, tx: PoolClient, enrollment: { id: string; municipalityId: string; groupId: string; childId: string }, cause: Cause): Promise<void> {
  return joinTransaction(deps, tx, cause, async (write) => {
    const municipality = await findMunicipality(tx, enrollment.municipalityId);
    await upsertEnrollment(tx, { ...enrollment, ended: false, ...(municipality && { startedOn: formatLocalDate(localDateOf(write.now, municipality.timeZone)) }) });
    await reserve(write, enrollment);
  });
}

/** Reserve the enrollment's expected cost for the year of `write.now` in the municipality's zone; a no-op when there is nothing to reserve. */
export async function reserve(write: Write, enrollment: { id: string; municipalityId: string; groupId: string; childId: string }, yearOverride?: { year: number; today: string }): Promise<void> {
  const { tx, now } = write;
  const municipality = await findMunicipality(tx, enrollment.municipalityId);
  const group = await findGroup(tx, enrollment.groupId);
  const certificate = await findCertificateOfChild(tx, enrollment.childId);
  if (!municipality || !group || !certificate) return;
  const local = localDateOf(now, municipality.timeZone);
  const year = yearOverride?.year ?? local.year;
  const today = yearOverride?.today ?? formatLocalDate(local);
  // What the enrollment's municipality financed (a child who moved keeps its old group on it), else what funds the certificate now.
  const financing = await financingFor(tx, certificate.id, year, enrollment.municipalityId);
  if (!financing) return;
  const certificateAccount = certificateAccountOf(financing);
  if ((await findAccounts(tx, [certificateAccount])).length === 0) return;
  // Each month's lessons at the rules that will bill them: those in force on the month's first day, a version set for later in the year included.
  // REVIEW: a version set after the reservation was made does not re-price it (billing shrinks it by what it bills, the end releases the rest),
  // as an overwrite did not before versions were kept. Remove when setting billing rules re-reserves the year's open enrollments.
  const versions = await billingRulesVersions(tx, enrollment.municipalityId, year);
  const expected = expectedCost(group, (month) => rulesForMonth(versions, month)?.rules ?? defaultBillingRules(group.pricePerHour), today, year);
  const existing = await lockReservation(tx, enrollment.id, year);
  if (existing?.year === year && !existing.released) return;
  if (expected === 0) return;
  const [payable] = await ensureAccounts(tx, [{ kind: "provider_payable", ownerId: group.providerId, year, municipalityId: enrollment.municipalityId, currency: municipality.currency }], now);
  const seq = (existing?.seq ?? 0) + 1;
  const pendingId = derivedTransferId("reservation", enrollment.id, year, seq);
  const [outcome] = await createTransfers(tx, enrollment.municipalityId, [
    { id: pendingId, kind: "pending", debitAccountId: certificateAccount, creditAccountId: payable!, amount: expected, balancingDebit: true, code: "reservation", cause: postingCause(write.cause) },
  ], now);
  requireAllPosted([outcome!]);
  const reserved = outcome!.amount ?? 0;
  await keepReservation(write, { enrollmentId: enrollment.id, municipalityId: enrollment.municipalityId, certificateId: certificate.id, year, pendingId: reserved > 0 ? pendingId : null, amount: reserved, missing: expected - reserved, seq, released: false });
}

/** Save the reservation and announce what it holds now (statistics counts the money reserved). */
async function keepReservation(write: Write, row: ReservationRow): Promise<void> {
  await saveReservation(write.tx, row);
  await emit(write.tx, ReservationChanged, { ...write.cause, municipalityId: row.municipalityId, aggregateId: row.enrollmentId }, reservationChange(row), write.now);
}

/** The announcement of a reservation as saved. */
export function reservationChange(row: ReservationRow) {
  return { enrollmentId: row.enrollmentId, certificateId: row.certificateId, year: row.year, held: row.amount, missing: row.missing, seq: row.seq, released: row.released };
}

/** A month billed `billed` more to the certificate: the reservation gives that much way (it never goes below zero). */
export async function shrinkReservation(write: Write, r: { enrollmentId: string; municipalityId: string; year: number; billed: number }): Promise<void> {
  const { tx, now } = write;
  const reservation = await lockReservation(tx, r.enrollmentId, r.year);
  if (!reservation || reservation.released || !reservation.pendingId || r.billed === 0) return;
  const next = Math.max(0, reservation.amount - r.billed);
  const seq = reservation.seq + 1;
  const pending = await transferAccounts(tx, reservation.pendingId);
  const newPendingId = derivedTransferId("reservation", r.enrollmentId, r.year, seq);
  const chain: TransferInput[] = [{ id: derivedTransferId("reservation-void", reservation.pendingId), kind: "void_pending", pendingId: reservation.pendingId, code: "reservation_billed", cause: postingCause(write.cause), linked: next > 0 && pending !== undefined }];
  if (next > 0 && pending) chain.push({ id: newPendingId, kind: "pending", debitAccountId: pending.debit, creditAccountId: pending.credit, amount: next, balancingDebit: true, code: "reservation", cause: postingCause(write.cause) });
  const outcomes = await createTransfers(tx, r.municipalityId, chain, now);
  requireAllPosted(outcomes);
  const kept = next > 0 ? (outcomes[1]?.amount ?? 0) : 0;
  await keepReservation(write, { ...reservation, pendingId: kept > 0 ? newPendingId : null, amount: kept, seq });
}


/** The enrollment ended: recorded, and what its reservation still holds released. */
export function enrollmentEnded(deps: PaymentsDeps, tx: PoolClient, enrollment: { id: string; municipalityId: string; groupId: string; childId: string }, cause: Cause): Promise<void> {
  return joinTransaction(deps, tx, cause, async (write) => {
    await upsertEnrollment(tx, { ...enrollment, ended: true });
    await releaseReservation(write, enrollment.id, enrollment.municipalityId);
  });
}

/** Every reservation of the enrollment released; what a past year's held goes back to that year's budget. */
export async function releaseReservation(write: Write, enrollmentId: string, municipalityId: string): Promise<void> {
  const currentYear = await localYearOf(write, municipalityId);
  for (const reservation of await lockOpenReservations(write.tx, enrollmentId)) {
    await releaseRow(write, reservation, municipalityId);
    if (currentYear !== undefined && reservation.year < currentYear) await returnPastYear(write, { certificateId: reservation.certificateId, municipalityId, year: reservation.year }, [enrollmentId, "ended"]);
  }
}

/**
 * A past year's last month billed (December, in January or later): the enrollment's reservation
 * of that year is released and the certificate's money left in that year returns to its budget,
 * as the new-year job returned the rest on 1 January. `tag` tells the bill (its version) apart.
 */
export async function settlePastYear(write: Write, s: { enrollmentId: string; certificateId: string; municipalityId: string; year: number; tag: string }): Promise<void> {
  const reservation = await lockReservation(write.tx, s.enrollmentId, s.year);
  if (reservation && !reservation.released) await releaseRow(write, reservation, s.municipalityId);
  await returnPastYear(write, { certificateId: s.certificateId, municipalityId: s.municipalityId, year: s.year }, [s.enrollmentId, s.tag]);
}

/** The municipality's local year now; undefined while payments has not heard of it. */
export async function localYearOf(write: Write, municipalityId: string): Promise<number | undefined> {
  const municipality = await findMunicipality(write.tx, municipalityId);
  return municipality ? localDateOf(write.now, municipality.timeZone).year : undefined;
}

async function releaseRow(write: Write, reservation: ReservationRow, municipalityId: string): Promise<void> {
  if (reservation.pendingId) {
    requireAllPosted(await createTransfers(write.tx, municipalityId, [
      { id: derivedTransferId("reservation-void", reservation.pendingId), kind: "void_pending", pendingId: reservation.pendingId, code: "reservation_released", cause: postingCause(write.cause) },
    ], write.now));
  }
  await keepReservation(write, { ...reservation, pendingId: null, amount: 0, released: true });
}

/**
 * What the certificate's accounts of a past year can still spend, each back to the budget of the
 * municipality that financed it (nothing when none did).
 */
async function returnPastYear(write: Write, c: { certificateId: string; municipalityId: string; year: number }, why: readonly string[]): Promise<void> {
  for (const financing of await committedFinancingsOf(write.tx, c.certificateId, c.year)) {
    const certificateAccount = certificateAccountOf(financing);
    if ((await findAccounts(write.tx, [certificateAccount])).length === 0) continue;
    const [returned] = await createTransfers(write.tx, financing.municipalityId, [
      {
        id: financingTransferId("year-end-rest", financing, ...why),
        kind: "single",
        debitAccountId: certificateAccount,
        creditAccountId: accountId("budget", financing.municipalityId, c.year),
        amount: Number.MAX_SAFE_INTEGER,
        balancingDebit: true,
        code: "year_end",
        cause: postingCause(write.cause),
      },
    ], write.now);
    requireAllPosted([returned!]);
    if ((returned!.amount ?? 0) > 0) await addReturned(write.tx, c.certificateId, c.year + 1, returned!.amount ?? 0);
  }
}
