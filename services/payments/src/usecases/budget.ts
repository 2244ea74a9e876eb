import type { Actor } from "@kruzhok/actor";
import type { Queryable } from "@kruzhok/postgres";
import { paymentsError } from "../domain/errors";
import { budgetFigures, waitingByRank } from "../store/budget";
import { findMunicipality, findYear } from "../store/projections";
import { requireMunicipalStaff } from "./access";

/**
 * The municipality's year in money for its staff (and its region): the budget against what
 * financed certificates hold (committed), what enrollments hold on them (reserved) and what was
 * paid for lessons (spent), and the financing waiting list by the children's best category, in
 * the municipality's order of categories (`category` null: none of the listed ones). A read: no
 * decision, so no domain step.
 */
export async function budgetOf(db: Queryable, actor: Actor, municipalityId: string, year: number) {
  await requireMunicipalStaff(db, actor, municipalityId);
  const municipality = await findMunicipality(db, municipalityId);
  if (!municipality) throw paymentsError("MUNICIPALITY_UNKNOWN", `Municipality ${municipalityId} is not known to payments`, { field: "id" });
  const settings = await findYear(db, municipalityId, year);
  if (!settings) throw paymentsError("YEAR_UNKNOWN", `No settings of ${year} for municipality ${municipalityId}`, { field: "year" });
  const [figures, waiting] = await Promise.all([budgetFigures(db, municipalityId, year), waitingByRank(db, municipalityId, year)]);
  return {
    municipalityId,
    year,
    currency: municipality.currency,
    ...figures,
    available: Math.max(0, figures.budget - figures.committed),
    waiting: waiting.map((w) => ({ category: settings.categories[w.rank]?.code ?? null, children: w.children, amount: w.amount })),
  };
}
