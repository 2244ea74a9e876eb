import { randomUUID } from "node:crypto";
import { requireRole, type Actor } from "@kruzhok/actor";
import { RegisterChanged } from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import type { Queryable } from "@kruzhok/postgres";
import { paymentsError } from "../domain/errors";
import { derivedTransferId, requireAllPosted } from "../domain/ledger";
import { formatLocalDate, localDateOf } from "@kruzhok/time";
import { decideAdvance, decideApproval, decidePayment } from "../domain/register";
import { yearOfMonth } from "../domain/billing";
import { createTransfers, ensureAccounts, findAccounts } from "../store/ledger";
import { findMunicipality } from "../store/projections";
import { approveRegister, findRegister, firstRegister, linesOf, listRegisters, markPaid, noteAdvance, openRegister, type RegisterLineRow, type RegisterRow } from "../store/registers";
import type { PaymentsDeps } from "../deps";
import { requireMunicipalStaff, requireRegisterReader } from "./access";
import { postingCause } from "./cause";
import { inTransaction } from "./transaction";

async function registerOrThrow(db: Queryable, id: string, lock = false): Promise<RegisterRow> {
  const register = await findRegister(db, id, lock);
  if (!register) throw paymentsError("REGISTER_NOT_FOUND", `No register ${id}`);
  return register;
}

const totalOf = (r: RegisterRow) => r.certificateTotal + r.familyTotal;

/** The municipality approves a formed register; later corrections of the month go to a supplementary register. */
export function approve(deps: PaymentsDeps, actor: Actor, registerId: string, cause: Cause): Promise<RegisterRow> {
  return inTransaction(deps, cause, async ({ tx, now }) => {
    const register = await registerOrThrow(tx, registerId, true);
    await requireMunicipalStaff(tx, actor, register.municipalityId, "municipality");
    decideApproval(register);
    await approveRegister(tx, register.id, `${actor.role}:${actor.subject}`, now);
    await emit(tx, RegisterChanged, { ...cause, municipalityId: register.municipalityId, aggregateId: register.id }, {
      registerId: register.id, providerId: register.providerId, month: register.month, number: register.number, status: "approved", total: Math.max(0, totalOf(register)), paymentOrder: null,
    }, now);
    return (await findRegister(tx, register.id))!;
  });
}

/**
 * The municipality paid an approved register: its total leaves the provider's payable (to the
 * paid-out account) under the payment order's reference. Paying twice with the same reference
 * changes nothing.
 */
export function pay(deps: PaymentsDeps, actor: Actor, command: { registerId: string; paymentOrder: string }, cause: Cause): Promise<RegisterRow> {
  return inTransaction(deps, cause, async ({ tx, now }) => {
    const register = await registerOrThrow(tx, command.registerId, true);
    await requireMunicipalStaff(tx, actor, register.municipalityId, "municipality");
    if (decidePayment(register, command.paymentOrder) === "already_paid") return register;
    const year = yearOfMonth(register.month);
    const [payable, paid] = (await ensureAccounts(tx, [
      { kind: "provider_payable", ownerId: register.providerId, year, municipalityId: register.municipalityId, currency: register.currency },
      { kind: "provider_paid", ownerId: register.providerId, year, municipalityId: register.municipalityId, currency: register.currency },
    ], now)) as [string, string];
    // The register reconciles its month's advance: only the rest is paid now.
    const total = totalOf(register) - register.advance;
    if (total > 0) {
      requireAllPosted(await createTransfers(tx, register.municipalityId, [
        { id: derivedTransferId("register-payment", register.id), kind: "single", debitAccountId: payable, creditAccountId: paid, amount: total, code: "register_paid", cause: postingCause(cause, { name: `pay register ${register.id} order ${command.paymentOrder}`, actor }) },
      ], now));
    }
    await markPaid(tx, register.id, command.paymentOrder, now);
    await emit(tx, RegisterChanged, { ...cause, municipalityId: register.municipalityId, aggregateId: register.id }, {
      registerId: register.id, providerId: register.providerId, month: register.month, number: register.number, status: "paid", total: Math.max(0, total), paymentOrder: command.paymentOrder,
    }, now);
    return (await findRegister(tx, register.id))!;
  });
}

/** Registers the actor may see: a provider its own, the municipality's staff all of the municipality. */
export async function registersFor(db: Queryable, actor: Actor, filter: { municipalityId: string; month?: string; providerId?: string }): Promise<RegisterRow[]> {
  if (actor.role === "provider") {
    await requireRegisterReader(db, actor, { municipalityId: filter.municipalityId, providerId: actor.providerId ?? "" });
    return listRegisters(db, { ...filter, providerId: actor.providerId! });
  }
  await requireMunicipalStaff(db, actor, filter.municipalityId);
  return listRegisters(db, filter);
}

export async function registerFor(db: Queryable, actor: Actor, id: string): Promise<RegisterRow & { lineItems: RegisterLineRow[] }> {
  const register = await registerOrThrow(db, id);
  await requireRegisterReader(db, actor, register);
  return { ...register, lineItems: await linesOf(db, id) };
}

/**
 * A provider asks for an advance on the current month (its 2nd working day on, in the
 * municipality's zone), up to what its enrollments hold reserved: paid at once from its payable,
 * noted on the month's register, which then pays only the rest.
 */
export function requestAdvance(deps: PaymentsDeps, actor: Actor, command: { month: string; amount: number }, cause: Cause): Promise<RegisterRow> {
  return inTransaction(deps, cause, async ({ tx, now }) => {
    requireRole(actor, "provider");
    const municipalityId = actor.municipalityId ?? "";
    const providerId = actor.providerId ?? "";
    const municipality = await findMunicipality(tx, municipalityId);
    if (!municipality) throw paymentsError("MUNICIPALITY_UNKNOWN", `Municipality ${municipalityId} is not known to payments`);
    const year = yearOfMonth(command.month);
    const [payable, paid] = (await ensureAccounts(tx, [
      { kind: "provider_payable", ownerId: providerId, year, municipalityId, currency: municipality.currency },
      { kind: "provider_paid", ownerId: providerId, year, municipalityId, currency: municipality.currency },
    ], now)) as [string, string];
    const registerId = await openRegister(tx, { newId: randomUUID(), municipalityId, providerId, month: command.month, currency: municipality.currency }, now);
    const first = await firstRegister(tx, providerId, command.month);
    if (first?.id !== registerId) throw paymentsError("REGISTER_TRANSITION", `The register of ${command.month} was approved: no advance on it any more`, { field: "month" });
    const [account] = await findAccounts(tx, [payable]);
    decideAdvance(command, { today: formatLocalDate(localDateOf(now, municipality.timeZone)), reserved: account?.creditsPending ?? 0, alreadyAdvanced: first.advance > 0 });
    requireAllPosted(await createTransfers(tx, municipalityId, [
      { id: derivedTransferId("advance", providerId, command.month), kind: "single", debitAccountId: payable, creditAccountId: paid, amount: command.amount, code: "advance", cause: postingCause(cause, { name: `advance ${command.month}`, actor }) },
    ], now));
    await noteAdvance(tx, registerId, command.amount);
    return (await findRegister(tx, registerId))!;
  });
}
