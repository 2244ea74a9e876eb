import type { Actor } from "@kruzhok/actor";
import type { Cause } from "@kruzhok/messaging";
import type { BillingRules } from "../domain/billing";
import { paymentsError } from "../domain/errors";
import type { Queryable } from "@kruzhok/postgres";
import { findRules, upsertRules } from "../store/billing";
import { findMunicipality } from "../store/projections";
import type { PaymentsDeps } from "../deps";
import { requireMunicipalStaff } from "./access";
import { inTransaction } from "./transaction";

/** The municipality sets how a year's lessons are billed: the normative, co-payment, unexcused absences. */
export function setBillingRules(deps: PaymentsDeps, actor: Actor, command: { municipalityId: string; year: number; rules: BillingRules }, cause: Cause): Promise<Required<BillingRules>> {
  return inTransaction(deps, cause, async ({ tx }) => {
    await requireMunicipalStaff(tx, actor, command.municipalityId, "municipality");
    if (!(await findMunicipality(tx, command.municipalityId))) throw paymentsError("MUNICIPALITY_UNKNOWN", `Municipality ${command.municipalityId} is not known to payments`);
    await upsertRules(tx, command.municipalityId, command.year, command.rules);
    return { ...command.rules, prorateNominal: command.rules.prorateNominal ?? false, benefits: command.rules.benefits ?? [], compensation: command.rules.compensation ?? [], exemptCategories: command.rules.exemptCategories ?? [] };
  });
}

/** How a year's lessons are billed, as the municipality set it (null: not set, nothing of the year can be billed yet); for its staff and its region. */
export async function billingRulesOf(db: Queryable, actor: Actor, municipalityId: string, year: number): Promise<{ year: number; rules: Required<BillingRules> | null }> {
  await requireMunicipalStaff(db, actor, municipalityId);
  if (!(await findMunicipality(db, municipalityId))) throw paymentsError("MUNICIPALITY_UNKNOWN", `Municipality ${municipalityId} is not known to payments`);
  const rules = await findRules(db, municipalityId, year);
  return { year, rules: rules ? { ...rules, prorateNominal: rules.prorateNominal ?? false, benefits: rules.benefits ?? [], compensation: rules.compensation ?? [], exemptCategories: rules.exemptCategories ?? [] } : null };
}
