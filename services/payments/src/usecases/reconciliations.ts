import type { Actor } from "@kruzhok/actor";
import { AdvanceReconciled, Currency } from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import type { Queryable } from "@kruzhok/postgres";
import { paymentsError } from "../domain/errors";
import { decideReconciliation } from "../domain/register";
import { findRegister } from "../store/registers";
import { findReconciliation, insertReconciliation, reconciliationsOf, type ReconciliationRow } from "../store/reconciliations";
import type { PaymentsDeps } from "../deps";
import { requireMunicipalStaff } from "./access";
import { inTransaction } from "./transaction";

/**
 * The municipality reconciles the advance of a register's month against the month's bill, once
 * the register is approved: what the register still pays and what the advance paid beyond the
 * bill are recorded (the database refuses an outcome that does not add up or goes below zero) and
 * announced. Asked again, the first outcome comes back and nothing is announced twice.
 *
 * REVIEW: the excess is recorded and announced, not yet recovered by a posting (the provider's
 * next register does not deduct it); add a recovery transfer once the municipalities say how
 * they recover overpaid advances (deduction or refund).
 */
export function reconcileAdvance(deps: PaymentsDeps, actor: Actor, registerId: string, cause: Cause): Promise<ReconciliationRow> {
  return inTransaction(deps, cause, async ({ tx, now }) => {
    const register = await findRegister(tx, registerId, true);
    if (!register) throw paymentsError("REGISTER_NOT_FOUND", `No register ${registerId}`);
    await requireMunicipalStaff(tx, actor, register.municipalityId, "municipality");
    const before = await findReconciliation(tx, register.id);
    const outcome = decideReconciliation(register, before);
    if (outcome === "already_reconciled") return before!;
    const row = await insertReconciliation(tx, { registerId: register.id, municipalityId: register.municipalityId, providerId: register.providerId, month: register.month, ...outcome, reconciledBy: `${actor.role}:${actor.subject}` }, now);
    await emit(tx, AdvanceReconciled, { ...cause, municipalityId: register.municipalityId, aggregateId: register.id }, {
      registerId: register.id, providerId: register.providerId, month: register.month, ...outcome, currency: Currency.parse(register.currency),
    }, now);
    return row;
  });
}

/** The municipality's reconciled advances, for its staff (and its region). */
export async function reconciliationsFor(db: Queryable, actor: Actor, municipalityId: string): Promise<ReconciliationRow[]> {
  await requireMunicipalStaff(db, actor, municipalityId);
  return reconciliationsOf(db, municipalityId);
}
