import { actorError, type Actor } from "@kruzhok/actor";
import type { Queryable } from "@kruzhok/postgres";
import { statisticsError } from "../domain/errors";
import { regionOfMunicipality, type CellFilter } from "../store/cells";

export interface RequestedScope {
  municipalityId?: string | undefined;
  regionCode?: string | undefined;
}

/** The region an actor's token names, once the token carries one (issue 12's region claims). */
function actorRegion(actor: Actor): string | undefined {
  const claim = (actor as Actor & { regionCode?: unknown }).regionCode;
  return typeof claim === "string" ? claim : undefined;
}

/**
 * What a reader may see of the aggregates, narrowed to what it asked for: the ministry every
 * municipality, a region official their region, a municipality its own; guardians, providers
 * and operators nothing (aggregates are for officials). The live stream is for the ministry and
 * regions only.
 */
export async function readerScope(db: Queryable, actor: Actor, requested: RequestedScope, use: "read" | "stream"): Promise<Pick<CellFilter, "regionCodes" | "municipalityId">> {
  const readers = use === "stream" ? ["ministry", "region"] : ["ministry", "region", "municipality"];
  if (!readers.includes(actor.role)) {
    throw actorError("AUTH.FORBIDDEN_ROLE", `Role ${actor.role} may not read ${use === "stream" ? "the live stream of aggregates" : "aggregates"}; needs ${readers.join(" or ")}`);
  }
  const requestedRegion = requested.municipalityId ? await regionOf(db, requested.municipalityId) : requested.regionCode;
  if (requested.municipalityId && requested.regionCode && requestedRegion !== requested.regionCode) {
    throw statisticsError("OTHER_REGION", "The municipality is not in the region asked for", { field: "regionCode" });
  }
  switch (actor.role) {
    case "ministry":
      return { regionCodes: requestedRegion ? [requestedRegion] : null, ...(requested.municipalityId && { municipalityId: requested.municipalityId }) };
    case "region": {
      // REVIEW: until tokens carry the official's region (issue 12), a region official reads
      // every region, as the other services let a region reach every municipality today.
      const own = actorRegion(actor);
      if (own && requestedRegion && requestedRegion !== own) {
        throw statisticsError("OTHER_REGION", "Region officials see their own region's aggregates", { field: requested.municipalityId ? "municipalityId" : "regionCode" });
      }
      const regions = own ? [own] : requestedRegion ? [requestedRegion] : null;
      return { regionCodes: regions, ...(requested.municipalityId && { municipalityId: requested.municipalityId }) };
    }
    case "municipality": {
      if (use === "stream") break;
      if (!actor.municipalityId) break;
      if (requested.municipalityId && requested.municipalityId !== actor.municipalityId) {
        throw actorError("AUTH.OTHER_MUNICIPALITY", "A municipality sees its own aggregates", { field: "municipalityId" });
      }
      if (requested.regionCode) throw statisticsError("OTHER_REGION", "A municipality sees its own aggregates, not its region's", { field: "regionCode" });
      return { regionCodes: null, municipalityId: actor.municipalityId };
    }
    case "guardian":
    case "provider":
    case "operator":
      break;
    default: {
      const never: never = actor.role;
      throw new Error(`unknown role ${String(never)}`);
    }
  }
  throw actorError("AUTH.FORBIDDEN_ROLE", `Role ${actor.role} may not read ${use === "stream" ? "the live stream of aggregates" : "aggregates"}`);
}

async function regionOf(db: Queryable, municipalityId: string): Promise<string> {
  const region = await regionOfMunicipality(db, municipalityId);
  if (!region) throw statisticsError("MUNICIPALITY_UNKNOWN", "No aggregates of this municipality: it is not known here", { field: "municipalityId" });
  return region;
}
