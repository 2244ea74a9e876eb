import { CertificateFunded, FinancingQueued } from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import type { PoolClient } from "@kruzhok/postgres";
import { formatLocalDate, localDateOf } from "@kruzhok/time";
import { decideHead, fundingOf, prorated, type WaitReason } from "../domain/financing";
import { accountId, certificateAccountOf, derivedTransferId, financingTransferId, requireAllPosted, succeeded, type AccountRef, type CertificateFinancing } from "../domain/ledger";
import { NotHeardYet, paymentsError } from "../domain/errors";
import { dayOfYear, rulesOn } from "../domain/billing-rules";
import { billingRulesVersions } from "../store/billing";
import {
  committedCount,
  findRequest,
  insertRequest,
  liveRequest,
  markCommitted,
  markReleased,
  markWithdrawn,
  netMoved,
  waitingList,
  type FinancingRequestRow,
} from "../store/financing";
import { available, createTransfers, ensureAccounts, findAccounts } from "../store/ledger";
import { findCertificate, findMunicipality, lockYear, moveCertificateTo, setCertificateStatus, upsertYear, type YearRow } from "../store/projections";
import type { PaymentsDeps } from "../deps";
import { postingCause } from "./cause";
import { joinTransaction, type Write } from "./transaction";

// Payments owns the money: the municipality's budget for a year is appropriated from its source
// as the registry announces it; a certificate asking to be financed takes nominal x coefficient
// from it, or waits (category order, then time) and is funded as money frees. One
// municipality-year's decisions queue behind the lock of its year row, so the waiting list's
// order is the order of funding.

function budgetRefs(municipalityId: string, year: number, currency: string): AccountRef[] {
  return [
    { kind: "budget_source", ownerId: municipalityId, year, municipalityId, currency },
    { kind: "budget", ownerId: municipalityId, year, municipalityId, currency },
  ];
}

/** The certificate's account the financing request funds, in the financing municipality's books (certificateAccountOf). */
function certificateAccountRef(f: CertificateFinancing, currency: string): AccountRef {
  return { kind: "certificate", ownerId: f.certificateId, year: f.year, municipalityId: f.municipalityId, currency, scope: f.movedIn ? f.municipalityId : undefined };
}

/** The year's settings as the registry set them: the budget appropriated (or cut, never below what is committed), and the waiting list funded as far as it now reaches. */
export function recordYearSettings(deps: PaymentsDeps, tx: PoolClient, year: YearRow, cause: Cause): Promise<void> {
  return joinTransaction(deps, tx, cause, async (write) => {
    const municipality = await findMunicipality(tx, year.municipalityId);
    if (!municipality) throw new NotHeardYet(`Municipality ${year.municipalityId} is not known to payments yet`);
    await upsertYear(tx, year);
    await lockYear(tx, year.municipalityId, year.year);
    const [source, budget] = (await ensureAccounts(tx, budgetRefs(year.municipalityId, year.year, municipality.currency), write.now)) as [string, string];
    const appropriated = await netMoved(tx, source, budget);
    const change = year.budget - appropriated;
    if (change !== 0) {
      // A cut takes back at most what is not committed (balancing debit): committed money stays with the certificates.
      const outcomes = await createTransfers(tx, year.municipalityId, [
        change > 0
          ? { id: derivedTransferId("appropriation", cause.causationId ?? write.now.toISOString()), kind: "single", debitAccountId: source, creditAccountId: budget, amount: change, code: "appropriation", cause: postingCause(cause) }
          : { id: derivedTransferId("appropriation", cause.causationId ?? write.now.toISOString()), kind: "single", debitAccountId: budget, creditAccountId: source, amount: -change, balancingDebit: true, code: "appropriation_cut", cause: postingCause(cause) },
      ], write.now);
      requireAllPosted(outcomes);
    }
    await fundWaiting(write, year.municipalityId, year.year, municipality.currency);
  });
}

/**
 * The registry made the certificate financed for `year`: payments commits its amount from the
 * budget, or puts it on the waiting list. Asked twice, it answers once.
 */
export function requestFinancing(deps: PaymentsDeps, tx: PoolClient, request: { certificateId: string; year: number; municipalityId: string }, cause: Cause): Promise<{ status: "committed" | "waiting"; amount: number }> {
  return joinTransaction(deps, tx, cause, async (write) => {
    const year = await lockYear(tx, request.municipalityId, request.year);
    if (!year) throw new NotHeardYet(`No settings for ${request.year} in municipality ${request.municipalityId} yet`);
    const certificate = await findCertificate(tx, request.certificateId);
    if (!certificate) throw new NotHeardYet(`Certificate ${request.certificateId} is not known to payments yet`);
    if (certificate.municipalityId !== request.municipalityId) throw paymentsError("NOT_YOUR_CERTIFICATE", "The certificate belongs to another municipality");
    const municipality = (await findMunicipality(tx, request.municipalityId))!;
    const funding = fundingOf(year.nominal, year.categories, certificate.categories);
    // Prorated by the rules in force on the request's day (a request for a later year: on its first day, when prorating takes nothing off anyway).
    const today = localDateOf(write.now, municipality.timeZone);
    if (rulesOn(await billingRulesVersions(tx, request.municipalityId, request.year), dayOfYear(request.year, formatLocalDate(today)))?.rules.prorateNominal) {
      funding.amount = prorated(funding.amount, request.year, today);
    }
    const fresh = await insertRequest(tx, { ...request, amount: funding.amount, categoryRank: funding.rank, requestedAt: write.now, causeEventId: cause.causationId ?? null });
    let stopped: WaitReason | undefined;
    if (fresh) {
      await setCertificateStatus(tx, certificate.id, "financed");
      await ensureAccounts(tx, [certificateAccountRef(fresh, municipality.currency)], write.now);
      stopped = await fundWaiting(write, request.municipalityId, request.year, municipality.currency);
    }
    const mine = (await findRequest(tx, certificate.id, request.year, request.municipalityId))!;
    if (fresh && mine.status === "waiting") {
      await emit(tx, FinancingQueued, { ...cause, municipalityId: request.municipalityId, aggregateId: certificate.id }, { certificateId: certificate.id, year: request.year, amount: funding.amount, reason: stopped ?? "queue_ahead" }, write.now);
    }
    // A request withdrawn (the certificate moved away meanwhile) waits for nothing any more.
    return { status: mine.status === "withdrawn" ? "waiting" : mine.status, amount: mine.amount };
  });
}

/**
 * Fund the waiting list from its head while the head fits in the budget and the cap; returns why
 * it stopped (undefined when the list is empty). The caller holds the year's lock.
 */
async function fundWaiting(write: Write, municipalityId: string, yearNumber: number, currency: string): Promise<WaitReason | undefined> {
  const { tx, now } = write;
  const year = (await lockYear(tx, municipalityId, yearNumber))!;
  const budgetId = accountId("budget", municipalityId, yearNumber);
  let committed = await committedCount(tx, municipalityId, yearNumber);
  for (;;) {
    const batch = await waitingList(tx, municipalityId, yearNumber, 200);
    if (batch.length === 0) return undefined;
    for (const head of batch) {
      const [budget] = await findAccounts(tx, [budgetId]);
      const decision = decideHead(head, { available: budget ? available(budget) : 0, committed, cap: year.financedCap });
      if (!decision.fund) return decision.reason;
      const certificateAccount = (await ensureAccounts(tx, [certificateAccountRef(head, currency)], now))[0]!;
      const transferId = financingTransferId("financing", head);
      const [outcome] = await createTransfers(tx, municipalityId, [
        { id: transferId, kind: "single", debitAccountId: budgetId, creditAccountId: certificateAccount, amount: head.amount, code: "financing", cause: postingCause(write.cause) },
      ], now);
      if (!outcome || !succeeded(outcome.result)) return "budget_exhausted";
      await markCommitted(tx, head, transferId, now);
      committed += 1;
      const coefficient = year.nominal === 0 ? 1 : head.amount / year.nominal;
      await emit(tx, CertificateFunded, { ...write.cause, municipalityId, aggregateId: head.certificateId }, { certificateId: head.certificateId, year: yearNumber, amount: head.amount, currency: currency as "RUB" | "KZT", coefficient }, now);
    }
  }
}

/**
 * The certificate's request of the year lets go: a waiting one leaves the waiting list; from a
 * committed one, what the certificate has neither spent nor reserved returns to the budget of the
 * municipality that financed it (never another's), and that budget's waiting list moves. Once per
 * request (a released request is not live); returns the amount returned.
 */
async function releaseRequest(write: Write, request: FinancingRequestRow, code: "certificate_closed" | "certificate_moved"): Promise<number> {
  const { tx, now, cause } = write;
  if (request.status === "waiting") {
    await markWithdrawn(tx, request);
    return 0;
  }
  if (request.status !== "committed") return 0;
  const financedBy = request.municipalityId;
  if (!(await lockYear(tx, financedBy, request.year))) return 0;
  const certificateAccount = certificateAccountOf(request);
  const budgetId = accountId("budget", financedBy, request.year);
  const [outcome] = await createTransfers(tx, financedBy, [
    { id: financingTransferId("release", request), kind: "single", debitAccountId: certificateAccount, creditAccountId: budgetId, amount: Number.MAX_SAFE_INTEGER, balancingDebit: true, code, cause: postingCause(cause) },
  ], now);
  await markReleased(tx, request, now);
  const municipality = (await findMunicipality(tx, financedBy))!;
  await fundWaiting(write, financedBy, request.year, municipality.currency);
  return outcome?.amount ?? 0;
}

/**
 * The certificate closed: its request of the year lets go (`releaseRequest`): the money goes back
 * to the budget that financed it, which after a move is the new municipality's (the old one's was
 * returned when it moved).
 */
export function releaseCertificate(deps: PaymentsDeps, tx: PoolClient, closed: { certificateId: string; year: number }, cause: Cause): Promise<number> {
  return joinTransaction(deps, tx, cause, async (write) => {
    await setCertificateStatus(tx, closed.certificateId, "closed");
    const request = await liveRequest(tx, closed.certificateId, closed.year);
    return request ? releaseRequest(write, request, "certificate_closed") : 0;
  });
}

/**
 * The certificate moved to another municipality of the region: it arrives unfinanced there
 * (the registry's rule), so the old municipality's request of the year lets go (its money back to
 * its budget, its waiting list moved), and the new municipality may finance it afresh.
 */
export function moveCertificate(
  deps: PaymentsDeps,
  tx: PoolClient,
  moved: { certificateId: string; fromMunicipalityId: string; toMunicipalityId: string; year: number },
  cause: Cause,
): Promise<number> {
  return joinTransaction(deps, tx, cause, async (write) => {
    const certificate = await findCertificate(tx, moved.certificateId);
    if (!certificate) throw new NotHeardYet(`Certificate ${moved.certificateId} is not known to payments yet`);
    await moveCertificateTo(tx, certificate.id, moved.toMunicipalityId);
    const request = await findRequest(tx, moved.certificateId, moved.year, moved.fromMunicipalityId);
    if (request?.releasedAt !== null) return 0;
    return releaseRequest(write, request, "certificate_moved");
  });
}
