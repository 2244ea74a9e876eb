import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { Direction, FundingKind } from "@kruzhok/contracts";
import { certificateCoverage } from "../domain/coverage";
import { decodeCursor, encodeCursor, prefixQuery, type SearchOrder } from "../domain/search";
import { minutesOf } from "../domain/schedule";
import { searchFacets, searchPrograms, type SearchFilters } from "../store/search";
import type { CatalogueDeps } from "../deps";
import { SearchQuery, SearchResult } from "./schemas";

export const searchRoutes: FastifyPluginAsync<CatalogueDeps> = async (plain, { pool, clock }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();

  app.get(
    "/search",
    {
      schema: {
        tags: ["navigator"],
        summary: "The families' navigator: listed programs by filters, with facets and a cursor (no login)",
        querystring: SearchQuery,
        response: { 200: SearchResult },
      },
      config: { public: true },
    },
    async (request) => {
      const query = request.query;
      const prefix = query.q ? prefixQuery(query.q) : null;
      const near = query.lat !== undefined && query.lon !== undefined
        ? { latitude: query.lat, longitude: query.lon, radiusMetres: query.radiusKm === undefined ? undefined : query.radiusKm * 1000 }
        : undefined;
      const filters: SearchFilters = {
        municipalityId: query.municipalityId,
        direction: query.direction,
        fundingKind: query.fundingKind,
        age: query.age,
        weekday: query.weekday,
        fromMinute: query.from === undefined ? undefined : minutesOf(query.from),
        toMinute: query.to === undefined ? undefined : minutesOf(query.to),
        onlyFreeSeats: query.freeSeats,
        near,
        text: query.q && prefix ? { plain: query.q, prefix } : undefined,
      };
      const order: SearchOrder = filters.near ? "distance" : filters.text ? "relevance" : "id";
      const after = query.cursor ? decodeCursor(query.cursor, order) : undefined;
      const now = clock();
      const [hits, facetRows] = await Promise.all([searchPrograms(pool, filters, order, after, query.limit, now), searchFacets(pool, filters)]);

      const page = hits.slice(0, query.limit);
      const last = page.at(-1);
      const nextCursor = hits.length > query.limit && last ? encodeCursor({ order, key: order === "id" ? null : last.sortKey, id: last.id }) : null;

      // Each facet counts as if its own filter were lifted; the total honours both.
      const direction = Object.fromEntries(Direction.options.map((d) => [d, 0])) as Record<Direction, number>;
      const fundingKind = Object.fromEntries(FundingKind.options.map((k) => [k, 0])) as Record<FundingKind, number>;
      let total = 0;
      for (const row of facetRows) {
        const directionMatches = !query.direction || row.direction === query.direction;
        const fundingMatches = !query.fundingKind || row.fundingKind === query.fundingKind;
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
          certificateCoverage: certificateCoverage(hit.fundingKind, hit.pricePerHour, hit.totalHours, hit.nominal),
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
    },
  );
};
