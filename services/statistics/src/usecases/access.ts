import { actorError, type Actor } from "@kruzhok/actor";
import type { Queryable } from "@kruzhok/postgres";
import { statisticsError } from "../domain/errors";
import { regionOfMunicipality, type CellFilter } from "../store/cells";

export interface RequestedScope {
  municipalityId?: string | undefined;
  regionCode?: string | undefined;
}

/**
 * What a reader may see of the aggregates, narrowed to what it asked for: a federal ministry
 * every municipality, a ministry or a region official their region, a municipality its own;
 * guardians, providers and operators nothing (aggregates are for officials). The live stream
 * is for ministries and regions only.
 */
export async function readerScope(db: Queryable, actor: Actor, requested: RequestedScope, use: "read" | "stream"): Promise<Pick<CellFilter, "regionCodes" | "municipalityId">> {
  const readers = use === "stream" ? ["ministry", "region"] : ["ministry", "region", "municipality"];
  if (!readers.includes(actor.role)) {
    throw actorError("AUTH.FORBIDDEN_ROLE", `Role ${actor.role} may not read ${use === "stream" ? "the live stream of aggregates" : "aggregates"}; needs ${readers.join(" or ")}`);
  }
  if (actor.role === "municipality") {
    if (requested.municipalityId && requested.municipalityId !== actor.municipalityId) {
      throw actorError("AUTH.OTHER_MUNICIPALITY", "A municipality sees its own aggregates", { field: "municipalityId" });
    }
    if (requested.regionCode) throw statisticsError("OTHER_REGION", "A municipality sees its own aggregates, not its region's", { field: "regionCode" });
    if (!actor.municipalityId) throw actorError("AUTH.OTHER_MUNICIPALITY", "The token names no municipality");
    return { regionCodes: null, municipalityId: actor.municipalityId };
  }
  // A ministry or a region official: the region asked for (or the municipality's) must be theirs.
  const everywhere = actor.role === "ministry" && actor.allRegions === true;
  if (!everywhere && requested.regionCode && requested.regionCode !== actor.regionCode) {
    throw actorError("AUTH.OTHER_REGION", "Your sign-in does not reach this region", { field: "regionCode" });
  }
  const requestedRegion = requested.municipalityId ? await regionOf(db, requested.municipalityId) : requested.regionCode;
  if (!everywhere && requested.municipalityId && requestedRegion !== actor.regionCode) {
    throw actorError("AUTH.OTHER_REGION", "The municipality belongs to another region than yours", { field: "municipalityId" });
  }
  if (requested.municipalityId && requested.regionCode && requestedRegion !== requested.regionCode) {
    throw statisticsError("OTHER_REGION", "The municipality is not in the region asked for", { field: "regionCode" });
  }
  if (!everywhere && actor.regionCode === undefined) throw actorError("AUTH.OTHER_REGION", "The token names no region");
  const regions = everywhere ? (requestedRegion ? [requestedRegion] : null) : [actor.regionCode!];
  return { regionCodes: regions, ...(requested.municipalityId && { municipalityId: requested.municipalityId }) };
}

async function regionOf(db: Queryable, municipalityId: string): Promise<string> {
  const region = await regionOfMunicipality(db, municipalityId);
  if (!region) throw statisticsError("MUNICIPALITY_UNKNOWN", "No aggregates of this municipality: it is not known here", { field: "municipalityId" });
  return region;
}
