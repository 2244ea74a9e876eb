import type { FastifyPluginAsync } from "fastify";
import type { Pool } from "@kruzhok/postgres";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { z } from "zod";
import { Direction, FundingKind } from "@kruzhok/contracts";
import { certificateCoverage } from "../domain/coverage";
import { decodeCursor, encodeCursor, prefixQuery, type Cursor, type SearchOrder } from "../domain/search";
import { minutesOf } from "../domain/schedule";
import { facetKey, searchFacets, searchPrograms, seatFilterOf, type FacetRow, type SearchFilters, type SearchHit } from "../store/search";
import type { SearchCache } from "../store/search-cache";
import type { SearchIndex } from "../store/search-index";
import type { CatalogueDeps } from "../deps";
import { SearchQuery, SearchResult } from "./schemas";

/** The filters a validated navigator query asks for (also what the benchmark EXPLAINs). */
export function searchFiltersOf(query: z.infer<typeof SearchQuery>): SearchFilters {
  const prefix = query.q ? prefixQuery(query.q) : null;
  return {
    municipalityId: query.municipalityId,
    direction: query.direction,
    fundingKind: query.fundingKind,
    age: query.age,
    weekday: query.weekday,
    fromMinute: query.from === undefined ? undefined : minutesOf(query.from),
    toMinute: query.to === undefined ? undefined : minutesOf(query.to),
    onlyFreeSeats: query.freeSeats,
    near:
      query.lat !== undefined && query.lon !== undefined
        ? { latitude: query.lat, longitude: query.lon, radiusMetres: query.radiusKm === undefined ? undefined : query.radiusKm * 1000 }
        : undefined,
    text: query.q && prefix ? { plain: query.q, prefix } : undefined,
  };
}

export const searchRoutes: FastifyPluginAsync<CatalogueDeps> = async (plain, { pool, clock, searchCache, searchIndex }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const seenKey = (url: string, now: Date) => `${quarterOf(now)} ${url}`;

  // A request seen before (the same URL in the same quarter hour) is answered before its query
  // is parsed and validated again, when its answer is still fresh. A hook of this plugin at
  // preValidation runs after every onRequest hook, the route's rate limit among them.
  app.addHook("preValidation", async (request, reply) => {
    const body = searchCache.answerSeen(seenKey(request.url, clock()));
    // Returning the reply ends the request here (Fastify's way for an async hook that answered).
    return body ? reply.type(JSON_TYPE).send(body) : undefined;
  });

  app.get(
    "/search",
    {
      schema: {
        tags: ["navigator"],
        operationId: "searchPrograms", summary: "The families' navigator: listed programs by filters, with facets and a cursor (no login)",
        querystring: SearchQuery,
        response: { 200: SearchResult },
      },
      config: { public: true, fieldsIn: { cursor: "query" } },
    },
    async (request, reply) => {
      const query = request.query;
      const filters = searchFiltersOf(query);
      const order: SearchOrder = filters.near ? "distance" : filters.text ? "relevance" : "id";
      const after = query.cursor ? decodeCursor(query.cursor, order) : undefined;
      const now = clock();
      // The validated query (zod returns its keys in the schema's order, so equal queries give
      // equal keys) and the quarter hour of `now`: the answer depends on the local date
      // (certifications in force, the year's nominal), and every zone's midnight falls on a
      // quarter hour of UTC. Everything else it depends on is in the database, and the cache
      // hears of every change there (see store/search-cache.ts for the freshness rule).
      const key = `${quarterOf(now)} ${JSON.stringify(query)}`;
      const body = await searchCache.answer(query.municipalityId, key, async () => {
        const answer = await search(pool, searchCache, searchIndex, filters, order, after, query.limit, now);
        // Seats it shows: its items' free seats, and with "only free seats" which programs match.
        const seats = { programs: answer.items.map((item) => item.id), filter: seatFilterOf(filters) };
        // Written as built, not passed through `SearchResult.encode`: `search` builds every field
        // from typed rows, and checking 20 items against the schema was 8 % of the catalogue's CPU
        // on Moscow's fresh searches (BENCHMARKS.md, issue #20). search-random.int.test.ts holds
        // hundreds of answers from either side to the schema, unknown keys included.
        return { body: Buffer.from(JSON.stringify(answer)), seats };
      });
      searchCache.seenAs(seenKey(request.url, now), query.municipalityId, key);
      // Bytes go out as they are: a cached answer is neither serialized nor encoded again.
      return reply.type(JSON_TYPE).send(body as unknown as SearchAnswer);
    },
  );
};

type SearchAnswer = z.output<typeof SearchResult>;

const JSON_TYPE = "application/json; charset=utf-8";
const QUARTER_HOUR_MS = 15 * 60 * 1000;
const quarterOf = (now: Date) => Math.floor(now.getTime() / QUARTER_HOUR_MS);

/**
 * The answer from the index in memory when it can give it (store/search-index.ts), otherwise
 * from Postgres: one page of results and the facet counts, in parallel. The counts
 * are kept apart too, under their own key (`facetKey`): at Moscow's scale counting was most of a
 * computed search (every match of a broad search, 6-60 ms; BENCHMARKS.md), and many searches
 * share them: the nearest-first search and the next page count what their plain filters count,
 * a new direction or funding kind regroups counts already made.
 */
async function search(
  pool: Pool,
  searchCache: SearchCache,
  searchIndex: SearchIndex | undefined,
  filters: SearchFilters,
  order: SearchOrder,
  after: Cursor | undefined,
  limit: number,
  now: Date,
): Promise<SearchAnswer> {
  const memory = searchIndex?.search(filters, order, after, limit, now);
  const [hits, facetRows] = memory ? [memory.hits, memory.facets] : await fromPostgres(pool, searchCache, filters, order, after, limit, now);

  const page = hits.slice(0, limit);
  const last = page.at(-1);
  const nextCursor = hits.length > limit && last ? encodeCursor({ order, key: order === "id" ? null : last.sortKey, id: last.id }) : null;

  // Each facet counts as if its own filter were lifted; the total honours both.
  const direction = Object.fromEntries(Direction.options.map((d) => [d, 0])) as Record<Direction, number>;
  const fundingKind = Object.fromEntries(FundingKind.options.map((k) => [k, 0])) as Record<FundingKind, number>;
  let total = 0;
  for (const row of facetRows) {
    const directionMatches = !filters.direction || row.direction === filters.direction;
    const fundingMatches = !filters.fundingKind || row.fundingKind === filters.fundingKind;
    if (fundingMatches) direction[row.direction] += row.count;
    if (directionMatches) fundingKind[row.fundingKind] += row.count;
    if (directionMatches && fundingMatches) total += row.count;
  }

  return {
    items: page.map((hit) => ({
      id: hit.id,
      title: hit.title,
      direction: hit.direction,
      ageRange: hit.ageRange,
      fundingKind: hit.fundingKind,
      provider: { id: hit.providerId, name: hit.providerName },
      municipalityId: hit.municipalityId,
      price: { amount: hit.pricePerHour, currency: hit.currency },
      certificateCoverage: certificateCoverage(hit.fundingKind, hit.pricePerHour, hit.totalHours, hit.nominal, hit.currency),
      certification: hit.certification,
      rating: { average: hit.ratingAverage, count: hit.ratingCount },
      freeSeats: hit.freeSeats,
      openGroups: hit.openGroups,
      acceptingApplications: hit.acceptingApplications,
      address: { text: hit.address, latitude: hit.latitude, longitude: hit.longitude },
      distanceMetres: hit.distanceMetres === null ? null : Math.round(hit.distanceMetres),
    })),
    nextCursor,
    total,
    facets: { direction, fundingKind },
  };
}

/** The page and the facet rows from Postgres; the counts through the cache under their own key (see `search`). */
async function fromPostgres(pool: Pool, searchCache: SearchCache, filters: SearchFilters, order: SearchOrder, after: Cursor | undefined, limit: number, now: Date): Promise<[SearchHit[], FacetRow[]]> {
  // Counts show no program's seats; with "only free seats" which programs they count depends on all.
  const facets = searchCache.answer(
    filters.municipalityId,
    `facets ${facetKey(filters)}`,
    async () => ({ body: Buffer.from(JSON.stringify(await searchFacets(pool, filters))), seats: { programs: [], filter: seatFilterOf(filters) } }),
    { counted: false },
  );
  const [hits, facetBytes] = await Promise.all([searchPrograms(pool, filters, order, after, limit, now), facets]);
  return [hits, JSON.parse(facetBytes.toString("utf8")) as FacetRow[]];
}
