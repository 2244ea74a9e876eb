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
