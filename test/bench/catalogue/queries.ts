// The navigator's query mix: what families type and tick, one kind at a time, with parameters
// varied over the three municipalities so that no single plan or cache line carries the run.
import { randomUUID } from "node:crypto";
import { encodeCursor } from "../../../services/catalogue/src/domain/search";
import { SearchQuery } from "../../../services/catalogue/src/http/schemas";
import type { SearchFilters } from "../../../services/catalogue/src/store/search";
import { searchFiltersOf } from "../../../services/catalogue/src/http/search";
import { demoMunicipalities, int, pick, random, type BenchMunicipality } from "./data";

/** Where the mix searches: the three demo municipalities, or (`--moscow`) the one at Moscow's scale. */
let searched: readonly BenchMunicipality[] = demoMunicipalities;
export function searchIn(list: readonly BenchMunicipality[]): void {
  searched = list;
}

export const kinds = ["municipality", "filters", "text-ru", "text-kz", "nearest", "schedule", "radius", "page-2"] as const;
export type Kind = (typeof kinds)[number];

export const kindDescriptions: Record<Kind, string> = {
  municipality: "municipality only (id order)",
  filters: "municipality + direction + age + funding kind",
  "text-ru": "municipality + Russian words (relevance order)",
  "text-kz": "Karaganda + Kazakh words (relevance order)",
  nearest: "municipality + a point: nearest first",
  schedule: "municipality + weekday + time window + only free seats",
  radius: "municipality + a point + radius 1-3 km",
  "page-2": "the next page of the kinds above, through their cursor",
};

const directions = ["technical", "natural_science", "physical_culture_and_sports", "arts", "tourism_and_local_history", "social_and_humanitarian"] as const;
const fundingKinds = ["financed", "free", "paid"] as const;
// Inflected on purpose: the Russian configuration stems them to the titles' words.
const russian = ["робототехника", "шахматы", "футбол", "театральная студия", "английский язык", "программирование на python", "хоровое пение", "плаванием", "юный эколог", "краеведение", "занимательная химия", "3D-моделирование", "гитаре", "танцы", "подготовка к школе", "дзюдо"];
// Prefixes the 'simple' configuration matches: «үйірме» finds «үйірмесі».
const kazakh = ["домбыра", "үйірме", "қазақ күресі", "бағдарламалау", "жас эколог", "өлкетану", "ағылшын тілі", "шахмат", "қазақ биі", "тоғызқұмалақ", "жүзу", "мектепке дайындық"];

const near = (m: BenchMunicipality) => ({ lat: (m.centre[0] + (random() - 0.5) * m.reach[0]).toFixed(5), lon: (m.centre[1] + (random() - 0.5) * m.reach[1]).toFixed(5) });
const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;

/** Query strings of one kind (not page-2, which needs a first page's cursor). */
export function queryOf(kind: Exclude<Kind, "page-2">): Record<string, string> {
  const m = pick(searched);
  switch (kind) {
    case "municipality":
      return { municipalityId: m.id };
    case "filters": {
      const query: Record<string, string> = { municipalityId: m.id, direction: pick(directions), age: String(int(6, 15)) };
      if (random() < 0.7) query.fundingKind = pick(fundingKinds);
      return query;
    }
    case "text-ru":
      return { municipalityId: m.id, q: pick(russian) };
    case "text-kz":
      return { municipalityId: demoMunicipalities.find((x) => x.kazakh)!.id, q: pick(kazakh) };
    case "nearest":
      return { municipalityId: m.id, ...near(m) };
    case "schedule": {
      const from = int(28, 36) * 30; // 14:00 to 18:00
      return { municipalityId: m.id, weekday: String(int(1, 6)), from: hhmm(from), to: hhmm(from + int(2, 4) * 60), freeSeats: "true" };
    }
    case "radius":
      return { municipalityId: m.id, ...near(m), radiusKm: String(int(1, 3)) };
  }
}

/**
 * The cheapest search the catalogue computes (`--floor`): a page of a municipality's programs
 * after a random place in id order, as a family reaches it through a cursor. Postgres reads one
 * short index range and the page's rows; the counts are the municipality's own, kept under their
 * facet key; and no two are alike, so none is answered from memory. Every computed search does
 * at least this much, so its rate bounds theirs on this machine.
 */
export function floorQuery(): Record<string, string> {
  return { municipalityId: pick(searched).id, cursor: encodeCursor({ order: "id", key: null, id: randomUUID() }) };
}

export const pathOf = (query: Record<string, string>): string => `/search?${new URLSearchParams(query).toString()}`;

/** The filters GET /search builds from a query string, for EXPLAIN. */
export function filtersOf(path: string): SearchFilters {
  const query = SearchQuery.parse(Object.fromEntries(new URL(path, "http://x").searchParams));
  return searchFiltersOf(query);
}
