import type { Actor } from "@kruzhok/actor";
import type { Queryable } from "@kruzhok/postgres";
import { ledgerTotals } from "../store/ledger";
import { requireMunicipalStaff } from "./access";
import { budgetCommitments, certificateChargesVsBilling, linesDisagreeingWithBilling, negativeBalances, reservationsOutOfStep, staleBilledVersions } from "../store/verify";

/**
 * Check a municipality's books for a year; the first violation found, or null. In order: debits
 * equal credits; no balance below zero; every summary billed once at its latest version (the
 * ledger's lesson charges equal what billing recorded, the registers' lines equal it too);
 * reservations match active enrollments and the ledger; the budget is not exceeded.
 */
export async function verifyBooks(db: Queryable, municipalityId: string, year: number): Promise<string | null> {
  const totals = await ledgerTotals(db, municipalityId);
  if (totals.debitsPosted !== totals.creditsPosted) return `debits ${totals.debitsPosted} differ from credits ${totals.creditsPosted}`;
  if (totals.debitsPending !== totals.creditsPending) return `pending debits ${totals.debitsPending} differ from pending credits ${totals.creditsPending}`;
  const [negative] = await negativeBalances(db, municipalityId, year);
  if (negative) return `account ${negative.id} (${negative.kind}) is below zero: ${negative.balance}`;
  const [stale] = await staleBilledVersions(db, municipalityId, year);
  if (stale) return `enrollment ${stale.enrollmentId} ${stale.month} billed at version ${stale.version}, latest is ${stale.latest}`;
  const charges = await certificateChargesVsBilling(db, municipalityId, year);
  if (charges.ledger !== charges.billed) return `certificates paid ${charges.ledger} for lessons in the ledger, billing recorded ${charges.billed}`;
  const [line] = await linesDisagreeingWithBilling(db, municipalityId, year);
  if (line) return `enrollment ${line.enrollmentId} ${line.month}: registers hold ${line.lines}, billed ${line.billed}`;
  const [reservation] = await reservationsOutOfStep(db, municipalityId, year);
  if (reservation) return `reservation of enrollment ${reservation.enrollmentId}: ${reservation.problem}`;
  const budget = await budgetCommitments(db, municipalityId, year);
  if (budget.committed !== budget.financed) return `committed requests total ${budget.committed}, the budget paid out ${budget.financed} for financing`;
  if (budget.financed > budget.budget) return `financing ${budget.financed} exceeds the budget ${budget.budget}`;
  return null;
}

/**
 * The books check for the municipality's staff and its region (the operator's `kruzhok ledger
 * verify`): the same checks as the `verify` script, through the API, so no one needs payments'
 * database to run them. A read: `holds` false names the first violation.
 */
export async function checkBooks(db: Queryable, actor: Actor, municipalityId: string, year: number): Promise<{ municipalityId: string; year: number; holds: boolean; violation: string | null }> {
  await requireMunicipalStaff(db, actor, municipalityId);
  const violation = await verifyBooks(db, municipalityId, year);
  return { municipalityId, year, holds: violation === null, violation };
}
