import { randomUUID } from "node:crypto";
import { MonthBilled } from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import type { PoolClient } from "@kruzhok/postgres";
import { localDateOf } from "@kruzhok/time";
import { benefitsOn, billFigures, chargeMonth, compensationFor, defaultBillingRules, exemptSince, settleShortfall, yearOfMonth } from "../domain/billing";
import { billedOn, rulesForMonth } from "../domain/billing-rules";
import { feeParts } from "../domain/fees";
import { NotHeardYet } from "../domain/errors";
import { accountId, certificateAccountOf, derivedTransferId, requireAllPosted, type TransferInput } from "../domain/ledger";
import { billingRulesVersions, lockBilledMonth, saveBilledMonth } from "../store/billing";
import { financingFor } from "../store/financing";
import { createTransfers, ensureAccounts, findAccounts } from "../store/ledger";
import { enrollmentStartedOn, familyFactsOf, findCertificateOfChild, findGroup, findMunicipality } from "../store/projections";
import { addToLine, openRegister } from "../store/registers";
import { rolloverDue } from "../store/rollovers";
import type { PaymentsDeps } from "../deps";
import { postingCause } from "./cause";
import { rollCertificateIn } from "./new-year";
import { settlePastYear, shrinkReservation } from "./reservations";
import { joinTransaction } from "./transaction";

export interface MonthSummary {
  enrollmentId: string;
  childId: string;
  groupId: string;
  providerId: string;
  month: string;
  version: number;
  billable: number;
  unexcused: number;
}

export type BillingOutcome = { kind: "billed"; certificate: number; family: number; benefit: number; uncovered: number; lessons: number } | { kind: "already_billed"; version: number };

/**
 * Bill an enrollment's month from attendance's summary. The same version twice bills once (and
 * an older one after a newer changes nothing); a higher version bills the difference from what
 * was billed: more lessons charge more, fewer give back. Every posting names the summary's event.
 */
export function billMonth(deps: PaymentsDeps, tx: PoolClient, municipalityId: string, summary: MonthSummary, cause: Cause): Promise<BillingOutcome> {
  return joinTransaction(deps, tx, cause, async (write) => {
    const before = await lockBilledMonth(tx, summary.enrollmentId, summary.month);
    if (before && before.version >= summary.version) return { kind: "already_billed", version: before.version };

    const municipality = await findMunicipality(tx, municipalityId);
    if (!municipality) throw new NotHeardYet(`Municipality ${municipalityId} is not known to payments yet`);
    const group = await findGroup(tx, summary.groupId);
    if (!group) throw new NotHeardYet(`Group ${summary.groupId} is not known to payments yet: its price is unknown`);
    const year = yearOfMonth(summary.month);
    // The version in force on the month's first day bills the whole month (billedOn says why).
    const rules = rulesForMonth(await billingRulesVersions(tx, municipalityId, year), summary.month)?.rules ?? defaultBillingRules(group.pricePerHour);
    const charge = chargeMonth(summary, group, rules);
    const certificate = await findCertificateOfChild(tx, summary.childId);
    const localYear = localDateOf(write.now, municipality.timeZone).year;
    // The new year's first bill before the new-year job came round (it runs late, or payments was
    // down on 1 January): the certificate rolls here, once, as the job would have, rather than the
    // family paying what the certificate's new year covers.
    if (certificate && year <= localYear && (await rolloverDue(tx, certificate.id, year))) {
      await rollCertificateIn(deps, tx, { certificateId: certificate.id, municipalityId, year });
    }

    const currency = municipality.currency;
    const financing = certificate ? await financingFor(tx, certificate.id, year, municipalityId) : undefined;
    // Never financed this year: the account (absent) says so below, as before any financing.
    const certificateAccount = certificate ? (financing ? certificateAccountOf(financing) : accountId("certificate", certificate.id, year)) : undefined;
    const [payable, family] = await ensureAccounts(tx, [
      { kind: "provider_payable", ownerId: summary.providerId, year, municipalityId, currency },
      { kind: "family_receivable", ownerId: summary.childId, year, municipalityId, currency },
    ], write.now) as [string, string];
    const hasCertificateAccount = certificateAccount !== undefined && (await findAccounts(tx, [certificateAccount])).length === 1;

    // The enrollment's reservation gives way first: what it held becomes spendable for this bill.
    await shrinkReservation(write, { enrollmentId: summary.enrollmentId, municipalityId, year, billed: charge.certificateDue - (before?.certificateAmount ?? 0) });

    const previous = { certificate: before?.certificateAmount ?? 0, family: before?.familyAmount ?? 0, lessons: before?.lessons ?? 0 };
    const id = (leg: string) => derivedTransferId("bill", summary.enrollmentId, summary.month, summary.version, leg);
    const postingWhy = postingCause(cause);

    // 1. The certificate: charge what more is due (as far as its balance goes), or give back what is no longer due.
    let certificatePaid = previous.certificate;
    const certificateDelta = charge.certificateDue - previous.certificate;
    if (certificateDelta > 0 && hasCertificateAccount) {
      const [outcome] = await createTransfers(tx, municipalityId, [
        { id: id("certificate"), kind: "single", debitAccountId: certificateAccount, creditAccountId: payable, amount: certificateDelta, balancingDebit: true, code: "lesson_charge", cause: postingWhy },
      ], write.now);
      requireAllPosted([outcome!]);
      certificatePaid += outcome!.amount ?? 0;
    } else if (certificateDelta < 0 && certificateAccount) {
      const [outcome] = await createTransfers(tx, municipalityId, [
        { id: id("certificate"), kind: "single", debitAccountId: payable, creditAccountId: certificateAccount, amount: -certificateDelta, code: "lesson_charge_correction", cause: postingWhy },
      ], write.now);
      requireAllPosted([outcome!]);
      certificatePaid += certificateDelta;
    }
    const parts = settleShortfall(charge, certificatePaid, rules.coPayment);

    // 2. The family: charge or give back the difference of its part.
    const familyDelta = parts.family - previous.family;
    const familyLeg: TransferInput[] =
      familyDelta > 0
        ? [{ id: id("family"), kind: "single", debitAccountId: family, creditAccountId: payable, amount: familyDelta, code: "co_payment", cause: postingWhy }]
        : familyDelta < 0
          ? [{ id: id("family"), kind: "single", debitAccountId: payable, creditAccountId: family, amount: -familyDelta, code: "co_payment_correction", cause: postingWhy }]
          : [];
    requireAllPosted(await createTransfers(tx, municipalityId, familyLeg, write.now));

    // 3. The benefit, then the compensation: the municipality pays its shares of the family's part
    // (the best benefit whose proof is valid on the month's first day; the compensation of the
    // child's order, where a guardian applied, of what remains after it).
    const facts = await familyFactsOf(tx, summary.childId);
    const { benefit, compensation } = feeParts({
      total: parts.family,
      certificate: 0,
      on: billedOn(summary.month),
      benefits: benefitsOn(rules, facts.proofs),
      displacedSince: exemptSince(rules, facts.proofs, await enrollmentStartedOn(tx, summary.enrollmentId)),
      compensationPerMille: compensationFor(rules, facts.compensationOrder),
    });
    const discounts = [
      { kind: "benefits" as const, leg: "benefit", delta: benefit - (before?.benefitAmount ?? 0) },
      { kind: "compensations" as const, leg: "compensation", delta: compensation - (before?.compensationAmount ?? 0) },
    ].filter((d) => d.delta !== 0);
    for (const d of discounts) {
      const [account] = (await ensureAccounts(tx, [{ kind: d.kind, ownerId: municipalityId, year, municipalityId, currency }], write.now)) as [string];
      requireAllPosted(await createTransfers(tx, municipalityId, [
        d.delta > 0
          ? { id: id(d.leg), kind: "single", debitAccountId: account, creditAccountId: family, amount: d.delta, code: d.leg, cause: postingWhy }
          : { id: id(d.leg), kind: "single", debitAccountId: family, creditAccountId: account, amount: -d.delta, code: `${d.leg}_correction`, cause: postingWhy },
      ], write.now));
    }

    // December billed once its year is over: what the enrollment's reservation of that year still
    // holds, and whatever else the certificate did not spend that year, returns to that year's budget.
    // REVIEW: a later correction of December that charges more finds that money returned (the
    // family's part or the uncovered part grows); a correction that charges less credits the old
    // year's account, which the next correction's settlement returns. Remove when corrections
    // after the year's settlement are billed from the budget directly.
    if (certificate && summary.month === `${year}-12` && localYear > year) {
      await settlePastYear(write, { enrollmentId: summary.enrollmentId, certificateId: certificate.id, municipalityId, year, tag: `v${summary.version}` });
    }

    await saveBilledMonth(tx, {
      enrollmentId: summary.enrollmentId,
      month: summary.month,
      version: summary.version,
      ...billFigures(charge.lessons, parts, { benefit, compensation }),
      municipalityId,
      providerId: summary.providerId,
      certificateId: certificate?.id ?? null,
      causeEventId: cause.causationId ?? randomUUID(),
    }, write.now);
    const registerId = await openRegister(tx, { newId: randomUUID(), municipalityId, providerId: summary.providerId, month: summary.month, currency }, write.now);
    await addToLine(tx, {
      registerId,
      enrollmentId: summary.enrollmentId,
      certificateId: certificate?.id ?? null,
      lessons: charge.lessons - previous.lessons,
      certificateAmount: parts.certificate - previous.certificate,
      familyAmount: parts.family - previous.family,
    });
    await emit(tx, MonthBilled, { ...cause, municipalityId, aggregateId: summary.enrollmentId }, {
      enrollmentId: summary.enrollmentId,
      certificateId: certificate?.id ?? null,
      providerId: summary.providerId,
      month: summary.month,
      version: summary.version,
      lessons: charge.lessons,
      certificateAmount: parts.certificate,
      familyAmount: parts.family,
      uncoveredAmount: parts.uncovered,
      benefitAmount: benefit,
      compensationAmount: compensation,
      currency: currency as "RUB" | "KZT",
      registerId,
    }, write.now);
    return { kind: "billed", certificate: parts.certificate, family: parts.family, benefit, uncovered: parts.uncovered, lessons: charge.lessons };
  });
}
