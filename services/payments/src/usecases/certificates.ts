import { requireRole, type Actor } from "@kruzhok/actor";
import type { Cause } from "@kruzhok/messaging";
import type { PaymentsDeps } from "../deps";
import { inTransaction } from "./transaction";
import type { Queryable } from "@kruzhok/postgres";
import { paymentsError } from "../domain/errors";
import { accountId, certificateAccountOf } from "../domain/ledger";
import { financingFor } from "../store/financing";
import { describe, type Language } from "../domain/movements";
import { available, findAccounts, movementsOf } from "../store/ledger";
import { findCertificate, setCompensationOrder } from "../store/projections";
import { reservationsOfCertificate } from "../store/reservations";
import { requireCertificateReader } from "./access";

/** A certificate's year as its guardian sees it: the balance, what is reserved, and every movement. */
export async function certificateAccount(db: Queryable, actor: Actor, certificateId: string, year: number, language: Language) {
  const certificate = await findCertificate(db, certificateId);
  if (!certificate) throw paymentsError("CERTIFICATE_NOT_FOUND", `No certificate ${certificateId}`, { field: "id" });
  await requireCertificateReader(db, actor, certificate);
  // The account its municipality funds now (after a move, the new one's, once it financed it).
  const financing = await financingFor(db, certificateId, year, certificate.municipalityId);
  const id = financing ? certificateAccountOf(financing) : accountId("certificate", certificateId, year);
  const [account] = await findAccounts(db, [id]);
  const movements = account ? await movementsOf(db, id) : [];
  const reservations = (await reservationsOfCertificate(db, certificateId)).filter((r) => r.year === year);
  // What the year left unspent went back to the budget at its end: not spent on lessons.
  const returned = movements.filter((m) => m.code === "year_end" && m.direction === "debit").reduce((sum, m) => sum + m.amount, 0);
  return {
    certificateId,
    year,
    currency: account?.currency ?? "RUB",
    funded: account?.creditsPosted ?? 0,
    spent: (account?.debitsPosted ?? 0) - returned,
    returned,
    reserved: account?.debitsPending ?? 0,
    available: account ? available(account) : 0,
    reservations: reservations.map((r) => ({ enrollmentId: r.enrollmentId, amount: r.amount, missing: r.missing })),
    movements: movements
      .filter((m) => m.amount > 0)
      .map((m) => ({
        at: m.at,
        kind: m.code,
        description: describe(m.code, language),
        direction: m.kind === "pending" ? ("held" as const) : m.kind === "void_pending" ? ("released" as const) : m.direction === "credit" ? ("in" as const) : ("out" as const),
        amount: m.amount,
      })),
  };
}

/** A guardian applies for the low-income compensation for own child, saying the child's order in the family; the next bills apply it. */
export function applyForCompensation(deps: PaymentsDeps, actor: Actor, command: { certificateId: string; childOrder: number }, cause: Cause): Promise<{ certificateId: string; childOrder: number }> {
  return inTransaction(deps, cause, async ({ tx }) => {
    requireRole(actor, "guardian");
    const certificate = await findCertificate(tx, command.certificateId);
    if (!certificate) throw paymentsError("CERTIFICATE_NOT_FOUND", `No certificate ${command.certificateId}`, { field: "id" });
    await requireCertificateReader(tx, actor, certificate);
    await setCompensationOrder(tx, certificate.id, command.childOrder);
    return { certificateId: certificate.id, childOrder: command.childOrder };
  });
}
