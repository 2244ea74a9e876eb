// A payment register's life: formed (lines added as months are billed) -> approved by the
// municipality -> paid with the payment order's reference. Pure.
import { paymentsError } from "./errors";

export type RegisterStatus = "formed" | "approved" | "paid";

export function decideApproval(register: { status: RegisterStatus }): void {
  if (register.status !== "formed") throw paymentsError("REGISTER_TRANSITION", `A ${register.status} register cannot be approved; only a formed one`);
}

export function decidePayment(register: { status: RegisterStatus; paymentOrder: string | null }, paymentOrder: string): "pay" | "already_paid" {
  if (register.status === "paid") {
    if (register.paymentOrder === paymentOrder) return "already_paid";
    throw paymentsError("REGISTER_TRANSITION", "The register was paid with another payment order");
  }
  if (register.status !== "approved") throw paymentsError("REGISTER_TRANSITION", "A register is paid only once the municipality approved it");
  return "pay";
}

/** The 2nd working day of a month (Monday to Friday), YYYY-MM-DD: the first day an advance may be asked for. */
export function secondWorkingDay(month: string): string {
  let day = 0;
  let working = 0;
  for (;;) {
    day += 1;
    const date = `${month}-${String(day).padStart(2, "0")}`;
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    if (weekday !== 0 && weekday !== 6) working += 1;
    if (working === 2) return date;
  }
}

/**
 * A provider's advance on a month: from its 2nd working day (local date), once a month, at most
 * what its enrollments hold reserved for it.
 */
export function decideAdvance(command: { month: string; amount: number }, state: { today: string; reserved: number; alreadyAdvanced: boolean }): void {
  if (!Number.isSafeInteger(command.amount) || command.amount <= 0) throw paymentsError("AMOUNT_INVALID", "An advance is a whole, positive number of minor units below 2^53", { field: "amount" });
  if (state.today.slice(0, 7) !== command.month || state.today < secondWorkingDay(command.month)) {
    throw paymentsError("ADVANCE_NOT_OPEN", `An advance on ${command.month} may be asked for from ${secondWorkingDay(command.month)} to the end of that month`, { field: "month" });
  }
  if (state.alreadyAdvanced) throw paymentsError("ADVANCE_EXISTS", `An advance on ${command.month} was already paid`, { field: "month" });
  if (command.amount > state.reserved) throw paymentsError("ADVANCE_TOO_LARGE", `An advance may not exceed what enrollments hold reserved for you: ${state.reserved}`, { field: "amount", reserved: state.reserved });
}

/** An advance set against its month's bill: what the register still pays, or what the provider was paid too much. */
export interface AdvanceReconciliation {
  advance: number;
  billed: number;
  /** The bill less the advance: what the register's payment transfers. */
  rest: number;
  /** The advance beyond the bill: what the provider owes back. */
  excess: number;
}

/**
 * The municipality reconciles a month's advance against the month's bill once the bill is final
 * (its register approved or paid; a formed one still takes lines): the advance plus the rest, less
 * the excess, is the bill, and never both a rest and an excess. Reconciled once: the same outcome
 * again is no change.
 */
export function decideReconciliation(register: { status: RegisterStatus; number: number; advance: number; certificateTotal: number; familyTotal: number }, reconciled: AdvanceReconciliation | undefined): AdvanceReconciliation | "already_reconciled" {
  if (reconciled) return "already_reconciled";
  if (register.number !== 1 || register.advance <= 0) throw paymentsError("ADVANCE_NONE", "No advance was paid on this register's month");
  if (register.status === "formed") throw paymentsError("REGISTER_TRANSITION", "An advance is reconciled once its month's register is approved: a formed one may still change");
  const billed = Math.max(0, register.certificateTotal + register.familyTotal);
  return { advance: register.advance, billed, rest: Math.max(0, billed - register.advance), excess: Math.max(0, register.advance - billed) };
}
