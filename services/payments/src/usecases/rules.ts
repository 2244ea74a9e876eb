import type { Actor } from "@kruzhok/actor";
import type { Cause } from "@kruzhok/messaging";
import type { Queryable } from "@kruzhok/postgres";
import { formatLocalDate, localDateOf } from "@kruzhok/time";
import type { BillingRules } from "../domain/billing";
import { dayOfYear, decideBillingRulesVersion, defaultEffectiveFrom, rulesOn } from "../domain/billing-rules";
import { paymentsError } from "../domain/errors";
import { addBillingRulesVersion, billingRulesVersions, type BillingRulesVersionRow } from "../store/billing";
import { findMunicipality } from "../store/projections";
import type { PaymentsDeps } from "../deps";
import { requireMunicipalStaff } from "./access";
import { inTransaction } from "./transaction";

/** The rules as the municipality set them, with the defaults of what it left out. */
function complete(rules: BillingRules): Required<BillingRules> {
  return { ...rules, prorateNominal: rules.prorateNominal ?? false, benefits: rules.benefits ?? [], compensation: rules.compensation ?? [], exemptCategories: rules.exemptCategories ?? [] };
}

async function municipalityOf(db: Queryable, municipalityId: string) {
  const municipality = await findMunicipality(db, municipalityId);
  if (!municipality) throw paymentsError("MUNICIPALITY_UNKNOWN", `Municipality ${municipalityId} is not known to payments`);
  return municipality;
}

const today = (now: Date, timeZone: string) => formatLocalDate(localDateOf(now, timeZone));

/**
 * The municipality sets how a year's lessons are billed (the normative, co-payment, unexcused
 * absences, benefits, compensation, exemptions, prorating), in force from a date: today (local)
 * unless it names a later one, or the year's first day for a year ahead. The versions before stay,
 * and bill the months that began before it (domain/billing-rules.ts, billedOn).
 *
 * The answer is the rules as set, at the top level as before versions were kept (clients read them
 * there), with the version's date and who set it when.
 */
export function setBillingRules(
  deps: PaymentsDeps,
  actor: Actor,
  command: { municipalityId: string; year: number; rules: BillingRules; effectiveFrom?: string | undefined },
  cause: Cause,
): Promise<Required<BillingRules> & { effectiveFrom: string; setAt: string; setBy: string }> {
  return inTransaction(deps, cause, async ({ tx, now }) => {
    await requireMunicipalStaff(tx, actor, command.municipalityId, "municipality");
    const municipality = await municipalityOf(tx, command.municipalityId);
    const local = today(now, municipality.timeZone);
    const version = decideBillingRulesVersion(command.year, complete(command.rules), command.effectiveFrom ?? defaultEffectiveFrom(command.year, local), local);
    const saved = await addBillingRulesVersion(tx, command.municipalityId, command.year, version, actor.subject, now);
    return { ...complete(saved.rules), effectiveFrom: saved.effectiveFrom, setAt: now.toISOString(), setBy: saved.setBy };
  });
}

/**
 * How a year's lessons are billed on a local date (`on`; unset: today in the municipality's zone,
 * or the year's nearest day for a year before or after this one): the version in force then and
 * its date, or rules null while none is (nothing of the year is billed by the municipality's
 * rules yet). For its staff and its region.
 */
export async function billingRulesOf(
  db: Queryable,
  actor: Actor,
  municipalityId: string,
  year: number,
  now: Date,
  on?: string,
): Promise<{ year: number; on: string; effectiveFrom: string | null; rules: Required<BillingRules> | null }> {
  await requireMunicipalStaff(db, actor, municipalityId);
  const municipality = await municipalityOf(db, municipalityId);
  const day = on ?? dayOfYear(year, today(now, municipality.timeZone));
  const inForce = rulesOn(await billingRulesVersions(db, municipalityId, year), day);
  return { year, on: day, effectiveFrom: inForce?.effectiveFrom ?? null, rules: inForce ? complete(inForce.rules) : null };
}

/** Every version of a year's billing rules as set (who, when, from when), the latest set first, and which is in force today. */
export async function billingRulesHistory(db: Queryable, actor: Actor, municipalityId: string, year: number, now: Date) {
  await requireMunicipalStaff(db, actor, municipalityId);
  const municipality = await municipalityOf(db, municipalityId);
  const day = dayOfYear(year, today(now, municipality.timeZone));
  const versions = await billingRulesVersions(db, municipalityId, year);
  const inForce = rulesOn(versions, day);
  const view = (v: BillingRulesVersionRow) => ({ effectiveFrom: v.effectiveFrom, rules: complete(v.rules), setAt: v.setAt?.toISOString() ?? null, setBy: v.setBy, inForce: v === inForce });
  return {
    year,
    on: day,
    current: { effectiveFrom: inForce?.effectiveFrom ?? null, rules: inForce ? complete(inForce.rules) : null },
    versions: versions.map(view).reverse(),
  };
}
