import { randomUUID } from "node:crypto";
import { MonthBilled, ReservationChanged } from "@kruzhok/contracts";
import { appendToOutbox, newEvent, type Cause } from "@kruzhok/messaging";
import type { PoolClient } from "@kruzhok/postgres";
import { localDateOf } from "@kruzhok/time";
import { benefitsOn, billFigures, chargeMonth, compensationFor, defaultBillingRules, exemptSince, settleShortfall, yearOfMonth } from "../domain/billing";
import { billedOn, rulesForMonth } from "../domain/billing-rules";
import { feeParts } from "../domain/fees";
import { accountId, certificateAccountOf, derivedTransferId } from "../domain/ledger";
import { LedgerBatch, NotInBatch } from "../domain/ledger-batch";
import {
  billedBefore,
  certificatesOfChildren,
  enrollmentStarts,
  financingsFor,
  groupsById,
  lockAccounts,
  lockReservationsOf,
  municipalitiesById,
  pendingTransfers,
  readAccounts,
  rolloversDue,
  saveFirstBills,
  saveReservations,
  addLines,
  applyBalanceDeltas,
  insertTransfers,
} from "../store/billing-batch";
import { billingRulesVersionsOf, type BillRecord } from "../store/billing";
import { ensureAccounts } from "../store/ledger";
import { openRegisters } from "../store/registers";
import type { ReservationRow } from "../store/reservations";
import type { PaymentsDeps } from "../deps";
import { billMonth, type MonthSummary } from "./billing";
import { postingCause } from "./cause";
import { reservationChange } from "./reservations";

// Month billing in batches (issue 15: a million enrollments' month in under two minutes). A
// batch of summaries has the effect of billMonth applied to each in order, in the caller's
// transaction: the first bills of enrollment-months, which are nearly all of a month's close,
// are decided in memory against balances read once (LedgerBatch applies the ledger's rules) and
// written with a statement for each kind of row; every other summary (a correction, a repeat,
// one that rolls the certificate's year, December settled after its year, one whose group or
// municipality payments has not heard of, one a transfer of the batch cannot make) is billed by
// billMonth itself, in its place, and the batch goes on after it.

export interface SummaryToBill {
  municipalityId: string;
  summary: MonthSummary;
  cause: Cause;
}

/** Bill `items` in order in `tx`, as billMonth would one by one; returns how many were billed together and how many alone. */
export async function billMonths(deps: PaymentsDeps, tx: PoolClient, items: readonly SummaryToBill[]): Promise<{ together: number; alone: number }> {
  const count = { together: 0, alone: 0 };
  let rest = items;
  while (rest.length > 0) {
    const { billed, alone } = await billLeadingTogether(deps, tx, rest);
    for (const item of rest.slice(billed, billed + alone)) await billMonth(deps, tx, item.municipalityId, item.summary, item.cause);
    count.together += billed;
    count.alone += alone;
    rest = rest.slice(billed + alone);
  }
  return count;
}

/**
 * Bill together as many leading items as can be; returns how many it billed, and how many of
 * those that follow are to be billed alone before trying together again.
 */
async function billLeadingTogether(deps: PaymentsDeps, tx: PoolClient, items: readonly SummaryToBill[]): Promise<{ billed: number; alone: number }> {
  const now = deps.clock();
  const ids = <T>(pick: (item: SummaryToBill) => T) => [...new Set(items.map(pick))];
  const [before, municipalities, groups, certificates] = [
    await billedBefore(tx, items.map((i) => ({ enrollmentId: i.summary.enrollmentId, month: i.summary.month }))),
    await municipalitiesById(tx, ids((i) => i.municipalityId)),
    await groupsById(tx, ids((i) => i.summary.groupId)),
    await certificatesOfChildren(tx, ids((i) => i.summary.childId)),
  ];
  const localYear = (municipalityId: string) => localDateOf(now, municipalities.get(municipalityId)!.timeZone).year;
  const rollCandidates = items.flatMap((i) => {
    const certificate = certificates.get(i.summary.childId);
    const year = yearOfMonth(i.summary.month);
    return certificate && municipalities.has(i.municipalityId) && year <= localYear(i.municipalityId) ? [{ certificateId: certificate.id, year }] : [];
  });
  const rolls = await rolloversDue(tx, rollCandidates);

  // Which items billMonth must bill itself, decided from what billing them together cannot do.
  const seen = new Set<string>();
  const alone = items.map((i) => {
    const key = `${i.summary.enrollmentId}:${i.summary.month}`;
    const repeated = seen.has(key);
    seen.add(key);
    if (repeated || before.has(key) || !municipalities.has(i.municipalityId) || !groups.has(i.summary.groupId)) return true;
    const certificate = certificates.get(i.summary.childId);
    if (!certificate) return false;
    const year = yearOfMonth(i.summary.month);
    return rolls.has(`${certificate.id}:${year}`) || (i.summary.month === `${year}-12` && localYear(i.municipalityId) > year);
  });
  const together = alone.includes(true) ? alone.indexOf(true) : items.length;
  if (together === 0) {
    const run = alone.indexOf(false);
    return { billed: 0, alone: run === -1 ? items.length : run };
  }
  const batch = items.slice(0, together);
  const billed = await billTogether(tx, now, batch, { municipalities, groups, certificates });
  return { billed, alone: billed < together ? 1 : 0 };
}

/** A first bill decided in memory: its row but for the register, which is opened with the writes. */
interface Decided {
  bill: BillRecord & { currency: "RUB" | "KZT" };
  cause: Cause;
  reservation?: ReservationRow;
}

/** Bill `batch` (first bills only) together; returns how many leading items were billed (the next could not be). */
async function billTogether(
  tx: PoolClient,
  now: Date,
  batch: readonly SummaryToBill[],
  known: {
    municipalities: Awaited<ReturnType<typeof municipalitiesById>>;
    groups: Awaited<ReturnType<typeof groupsById>>;
    certificates: Awaited<ReturnType<typeof certificatesOfChildren>>;
  },
): Promise<number> {
  const { municipalities, groups, certificates } = known;
  const facts = batch.map((item) => {
    const s = item.summary;
    const municipality = municipalities.get(item.municipalityId)!;
    const year = yearOfMonth(s.month);
    return { item, s, municipality, year, group: groups.get(s.groupId)!, certificate: certificates.get(s.childId) };
  });
  const rules = await billingRulesVersionsOf(tx, facts.map((f) => ({ municipalityId: f.item.municipalityId, year: f.year })));
  const financings = await financingsFor(
    tx,
    facts.flatMap((f) => (f.certificate ? [{ certificateId: f.certificate.id, year: f.year, municipalityId: f.item.municipalityId }] : [])),
  );
  const reservations = await lockReservationsOf(tx, [...new Set(batch.map((i) => i.summary.enrollmentId))]);
  const pendings = await pendingTransfers(tx, [...reservations.values()].flatMap((r) => (r.pendingId && !r.released ? [r.pendingId] : [])));
  const starts = await enrollmentStarts(tx, batch.map((i) => i.summary.enrollmentId));

  const certificateAccount = (f: (typeof facts)[number]) => {
    if (!f.certificate) return undefined;
    const financing = financings.get(`${f.certificate.id}:${f.year}:${f.item.municipalityId}`);
    return financing ? certificateAccountOf(financing) : accountId("certificate", f.certificate.id, f.year);
  };
  const refs = [
    ...new Map(
      facts.flatMap((f) => [
        { kind: "provider_payable" as const, ownerId: f.s.providerId, year: f.year, municipalityId: f.item.municipalityId, currency: f.municipality.currency },
        { kind: "family_receivable" as const, ownerId: f.s.childId, year: f.year, municipalityId: f.item.municipalityId, currency: f.municipality.currency },
      ]).map((r) => [accountId(r.kind, r.ownerId, r.year), r]),
    ).values(),
  ];
  // Only the missing: inserting one that exists waits for any transaction updating it.
  const existing = await readAccounts(tx, refs.map((r) => accountId(r.kind, r.ownerId, r.year)));
  await ensureAccounts(tx, refs.filter((r) => !existing.has(accountId(r.kind, r.ownerId, r.year))), now);
  // Accounts whose balance a decision reads (a certificate's, spent by balancing debits; a
  // family's, which benefits may not credit beyond its debits) are locked now. The accounts many
  // bills share and none reads (providers' payables, the municipality's benefits and
  // compensations: unconstrained) are locked only to be written, at the end: concurrent batches
  // of other partitions then decide side by side and queue only for their writes.
  const own = await lockAccounts(tx, [
    ...facts.flatMap((f) => [certificateAccount(f), accountId("family_receivable", f.s.childId, f.year)]).filter((id) => id !== undefined),
    ...[...pendings.values()].map((p) => p.debitAccountId),
  ]);
  const shared = await readAccounts(tx, [
    ...facts.flatMap((f) => [accountId("provider_payable", f.s.providerId, f.year), accountId("benefits", f.item.municipalityId, f.year), accountId("compensations", f.item.municipalityId, f.year)]),
    ...[...pendings.values()].map((p) => p.creditAccountId),
  ]);
  if ([...shared.values()].some((a) => a.debitsMustNotExceedCredits || a.creditsMustNotExceedDebits)) throw new Error("a shared account of billing has a balance rule: lock it with the others");

  const ledger = new LedgerBatch(new Map([...shared, ...own]), pendings);
  const decided: Decided[] = [];
  const changedReservations = new Map<string, ReservationRow>();
  for (const f of facts) {
    const checkpoint = ledger.checkpoint();
    try {
      const outcome = decide(f);
      decided.push(outcome);
      if (outcome.reservation) {
        reservations.set(`${outcome.reservation.enrollmentId}:${outcome.reservation.year}`, outcome.reservation);
        changedReservations.set(`${outcome.reservation.enrollmentId}:${outcome.reservation.year}`, outcome.reservation);
      }
    } catch (error) {
      if (!(error instanceof NotInBatch)) throw error;
      ledger.rollback(checkpoint);
      break;
    }
  }
  if (decided.length === 0) return 0;

  // The writes, those that no other batch waits for first; last, what batches of other
  // partitions share (the provider-months' registers, then the shared accounts in id order),
  // held from there to the commit.
  await insertTransfers(tx, { rows: ledger.rows, resolutions: ledger.resolutions }, now);
  await saveReservations(tx, [...changedReservations.values()]);
  await saveFirstBills(tx, decided.map(({ bill }) => bill), now);
  const registers = await openRegisters(
    tx,
    [...new Map(decided.map(({ bill: b }) => [`${b.providerId}:${b.month}`, { newId: randomUUID(), municipalityId: b.municipalityId, providerId: b.providerId, month: b.month, currency: b.currency }])).values()],
    now,
  );
  const bills = decided.map(({ bill }) => ({ ...bill, registerId: registers.get(`${bill.providerId}:${bill.month}`)! }));
  await addLines(tx, bills);
  await appendToOutbox(tx, [
    ...bills.map((b, i) => {
      const event = newEvent(
        MonthBilled,
        { ...decided[i]!.cause, municipalityId: b.municipalityId, aggregateId: b.enrollmentId },
        {
          enrollmentId: b.enrollmentId,
          certificateId: b.certificateId,
          providerId: b.providerId,
          month: b.month,
          version: b.version,
          lessons: b.lessons,
          certificateAmount: b.certificateAmount,
          familyAmount: b.familyAmount,
          uncoveredAmount: b.uncoveredAmount,
          benefitAmount: b.benefitAmount,
          compensationAmount: b.compensationAmount,
          currency: b.currency,
          registerId: b.registerId,
        },
        now,
      );
      return { topic: MonthBilled.topic, event };
    }),
    // Each reservation a bill shrank, as that bill left it (one enrollment's months in order).
    ...decided.flatMap(({ cause, reservation }) =>
      reservation
        ? [{ topic: ReservationChanged.topic, event: newEvent(ReservationChanged, { ...cause, municipalityId: reservation.municipalityId, aggregateId: reservation.enrollmentId }, reservationChange(reservation), now) }]
        : [],
    ),
  ]);
  const deltas = ledger.balanceDeltas();
  const lockedShared = await lockAccounts(tx, deltas.map((d) => d.id).filter((id) => shared.has(id)));
  await applyBalanceDeltas(tx, deltas, new Map([...own, ...lockedShared]));
  return decided.length;

  /** billMonth's decision for a first bill, its transfers made in the batch's ledger. */
  function decide(f: (typeof facts)[number]): Decided {
    const { item, s, year, group } = f;
    const municipalityId = item.municipalityId;
    // The version in force on the month's first day, as billMonth bills it.
    const monthRules = rulesForMonth(rules.get(`${municipalityId}:${year}`) ?? [], s.month)?.rules ?? defaultBillingRules(group.pricePerHour);
    const charge = chargeMonth(s, group, monthRules);
    const cause = postingCause(item.cause);
    const payable = accountId("provider_payable", s.providerId, year);
    const family = accountId("family_receivable", s.childId, year);
    const certificate = certificateAccount(f);
    const hasCertificateAccount = certificate !== undefined && ledger.has(certificate);
    const id = (leg: string) => derivedTransferId("bill", s.enrollmentId, s.month, s.version, leg);

    // The enrollment's reservation gives way first (shrinkReservation).
    let reservation: ReservationRow | undefined;
    const held = reservations.get(`${s.enrollmentId}:${year}`);
    if (held && !held.released && held.pendingId && charge.certificateDue !== 0) {
      const next = Math.max(0, held.amount - charge.certificateDue);
      const seq = held.seq + 1;
      const pending = pendings.get(held.pendingId);
      ledger.void(municipalityId, { id: derivedTransferId("reservation-void", held.pendingId), pendingId: held.pendingId, code: "reservation_billed", cause });
      const newPendingId = derivedTransferId("reservation", s.enrollmentId, year, seq);
      const kept =
        next > 0 && pending
          ? ledger.transfer(municipalityId, { id: newPendingId, kind: "pending", debitAccountId: pending.debitAccountId, creditAccountId: pending.creditAccountId, amount: next, balancingDebit: true, code: "reservation", cause })
          : 0;
      reservation = { ...held, pendingId: kept > 0 ? newPendingId : null, amount: kept, seq };
    }

    // 1. The certificate, as far as its balance goes.
    const certificatePaid =
      charge.certificateDue > 0 && hasCertificateAccount
        ? ledger.transfer(municipalityId, { id: id("certificate"), kind: "single", debitAccountId: certificate, creditAccountId: payable, amount: charge.certificateDue, balancingDebit: true, code: "lesson_charge", cause })
        : 0;
    const parts = settleShortfall(charge, certificatePaid, monthRules.coPayment);
    // 2. The family's part.
    if (parts.family > 0) ledger.transfer(municipalityId, { id: id("family"), kind: "single", debitAccountId: family, creditAccountId: payable, amount: parts.family, code: "co_payment", cause });
    // 3. The benefit, then the compensation.
    const proofs = f.certificate?.proofs ?? [];
    const { benefit, compensation } = feeParts({
      total: parts.family,
      certificate: 0,
      on: billedOn(s.month),
      benefits: benefitsOn(monthRules, proofs),
      displacedSince: exemptSince(monthRules, proofs, starts.get(s.enrollmentId) ?? null),
      compensationPerMille: compensationFor(monthRules, f.certificate?.compensationOrder ?? null),
    });
    for (const [kind, leg, amount] of [["benefits", "benefit", benefit], ["compensations", "compensation", compensation]] as const) {
      if (amount === 0) continue;
      // The municipality's account of that kind is made by the first bill that needs it (billMonth, alone).
      const account = accountId(kind, municipalityId, year);
      if (!ledger.has(account)) throw new NotInBatch(id(leg), `no ${kind} account yet`);
      ledger.transfer(municipalityId, { id: id(leg), kind: "single", debitAccountId: account, creditAccountId: family, amount, code: leg, cause });
    }

    const bill = {
      enrollmentId: s.enrollmentId,
      month: s.month,
      version: s.version,
      municipalityId,
      providerId: s.providerId,
      certificateId: f.certificate?.id ?? null,
      ...billFigures(charge.lessons, parts, { benefit, compensation }),
      causeEventId: item.cause.causationId ?? randomUUID(),
      currency: f.municipality.currency as "RUB" | "KZT",
    };
    return { bill, cause: item.cause, ...(reservation && { reservation }) };
  }
}
