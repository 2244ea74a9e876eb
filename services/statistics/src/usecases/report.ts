import type { Actor } from "@kruzhok/actor";
import { withTransaction } from "@kruzhok/postgres";
import type { Cell } from "../domain/cells";
import { statisticsError } from "../domain/errors";
import { regionOfMunicipality } from "../store/cells";
import type { StatisticsDeps } from "../deps";
import { readerScope, type RequestedScope } from "./access";
import { blockCells } from "./publish";

export interface IndicatorReport {
  asOf: string;
  month: string;
  scope: "municipality" | "region";
  regionCode: string;
  municipalityId: string | null;
  indicators: Cell[];
}

/**
 * The monthly indicator report as regions file it, as of any date: the month of `asOf` up to
 * that day (stocks at its end, flows since the month began), for one municipality or one region,
 * with the same suppression as the published cells. Computed from the facts by event time, so a
 * report of a past date is the same whenever it is asked for, once that date's events are in.
 * REVIEW: a report as of a day before the region's last day is a release of its own, suppressed
 * on its own; two such releases of one month could be compared. Cache and publish reports as of
 * month ends only if the ministry accepts it.
 */
export async function indicatorReport(deps: StatisticsDeps, actor: Actor, command: RequestedScope & { asOf: string }): Promise<IndicatorReport> {
  const scope = await readerScope(deps.pool, actor, command, "read");
  // A regional reader's report is of its region unless it names a municipality.
  const regionCode = scope.municipalityId ? undefined : scope.regionCodes?.length === 1 ? scope.regionCodes[0] : undefined;
  if (!scope.municipalityId && !regionCode) throw statisticsError("SCOPE_REQUIRED", "Name the municipality or the region the report is for", { field: "regionCode" });
  const month = `${command.asOf.slice(0, 7)}-01`;
  return withTransaction(deps.pool, async (tx) => {
    let region = regionCode;
    if (scope.municipalityId) {
      region = (await regionOfMunicipality(tx, scope.municipalityId)) ?? undefined;
      if (!region) throw statisticsError("MUNICIPALITY_UNKNOWN", "No aggregates of this municipality: it is not known here", { field: "municipalityId" });
    }
    const cells = await blockCells(deps, tx, region!, month, command.asOf);
    const indicators = cells.filter(
      (cell) => cell.period === "month" && (scope.municipalityId ? cell.municipalityId === scope.municipalityId : cell.scope === "region"),
    );
    return { asOf: command.asOf, month, scope: scope.municipalityId ? "municipality" : "region", regionCode: region!, municipalityId: scope.municipalityId ?? null, indicators };
  }, { isolation: "repeatable read" });
}
