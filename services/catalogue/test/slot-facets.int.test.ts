import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { searchFacets, type FacetRow, type SearchFilters } from "../src/store/search";
import { catalogueHarness, createProgram, publish, world, type CatalogueHarness, type World } from "./fixtures/catalogue";
import { chance, directions, fundingKinds, randomGroup } from "./fixtures/random";

/**
 * What the facets of a weekday search are by definition (store/search.ts `baseConditions`): the
 * listed programs of the municipality, of that age, with a slot on the weekday within the window
 * (with a free seat, when asked), counted per direction and funding kind from the programs.
 */
async function countedFromPrograms(h: CatalogueHarness, f: SearchFilters & { municipalityId: string; weekday: number }): Promise<FacetRow[]> {
  const { rows } = await h.pool.query<FacetRow>(
    `SELECT p.direction, p.funding_kind AS "fundingKind", count(*)::int AS count FROM programs p
     WHERE p.status = 'published' AND p.provider_approved AND p.municipality_id = $1
       AND ($2::smallint IS NULL OR (p.age_min <= $2 AND p.age_max >= $2))
       AND EXISTS (SELECT 1 FROM group_slots s WHERE s.program_id = p.id AND s.weekday = $3
         AND ($4::smallint IS NULL OR s.start_minute >= $4) AND ($5::smallint IS NULL OR s.end_minute <= $5) AND (NOT $6 OR s.has_free_seat))
     GROUP BY 1, 2`,
    [f.municipalityId, f.age ?? null, f.weekday, f.fromMinute ?? null, f.toMinute ?? null, f.onlyFreeSeats ?? false],
  );
  return rows;
}

const sorted = (rows: FacetRow[]) => [...rows].sort((a, b) => `${a.direction} ${a.fundingKind}`.localeCompare(`${b.direction} ${b.fundingKind}`));

// The weekday facets are counted from the slots, which carry copies of their program's direction,
// funding kind, ages and listing (migration 0009). The copies must follow every change of the
// program: publication (groups are made while the program is a draft), a new direction, funding
// kind or ages, withdrawal, the provider's suspension and reinstatement.
describe("navigator: weekday facets counted from the slots equal those counted from the programs", () => {
  let h: CatalogueHarness;
  let w: World;
  const programs: string[] = [];
  // A failure names the seed (SEARCH_SEED=<seed> replays it).
  const c = chance();
  const { seed, random, pick, int } = c;

  beforeAll(async () => {
    h = await catalogueHarness("cat-slot-facets");
    w = await world(h);
    for (let i = 0; i < 24; i++) {
      const fundingKind = pick(fundingKinds);
      const min = int(5, 14);
      const programId = await createProgram(h, w, {
        direction: pick(directions),
        fundingKind,
        ageRange: { min, max: int(min, 17) },
        ...(fundingKind !== "financed" && { certification: null }),
      });
      // Three weekdays only, so that the windows searched hold several programs each.
      for (let g = int(1, 2); g > 0; g--) await randomGroup(h, w, c, programId, 3);
      if (random() < 0.8) await publish(h, w, programId);
      programs.push(programId);
    }
  });
  afterAll(async () => {
    await h.close();
  });

  const filters = (): (SearchFilters & { municipalityId: string; weekday: number })[] =>
    Array.from({ length: 40 }, () => {
      const from = int(16, 36) * 30;
      return {
        municipalityId: w.municipalityId,
        weekday: int(1, 3),
        ...(random() < 0.6 && { fromMinute: from }),
        ...(random() < 0.6 && { toMinute: from + int(2, 10) * 30 }),
        ...(random() < 0.5 && { age: int(5, 17) }),
        ...(random() < 0.5 && { onlyFreeSeats: true }),
      };
    });

  /** `counting`: whether any program is listed (the world has one provider; suspended, nothing is). */
  const expectSame = async (when: string, counting = true) => {
    let nonEmpty = 0;
    for (const f of filters()) {
      const expected = sorted(await countedFromPrograms(h, f));
      if (expected.length > 0) nonEmpty++;
      expect(sorted(await searchFacets(h.pool, f)), `seed ${seed}, ${when}: ${JSON.stringify(f)}`).toEqual(expected);
    }
    // The comparison must have counted something while anything is listed, or it proves nothing.
    if (counting) expect(nonEmpty, `seed ${seed}, ${when}`).toBeGreaterThan(0);
    else expect(nonEmpty, `seed ${seed}, ${when}`).toBe(0);
  };

  it("after publication, and through changes of direction, funding kind, ages, withdrawal and the provider's approval", async () => {
    await expectSame("as published");

    // Providers edit what they offer; the catalogue writes the program row (any writer: the trigger follows the row).
    for (const id of programs.slice(0, 8)) {
      const min = int(5, 12);
      await h.pool.query("UPDATE programs SET direction = $2, funding_kind = 'free', age_min = $3, age_max = $4 WHERE id = $1", [id, pick(directions), min, int(min, 17)]);
    }
    await h.pool.query("UPDATE programs SET status = 'withdrawn' WHERE id = ANY($1)", [programs.slice(8, 11)]);
    await expectSame("after edits and withdrawals");

    await h.pool.query("UPDATE programs SET provider_approved = false WHERE provider_id = (SELECT provider_id FROM programs WHERE id = $1)", [programs[0]]);
    const { rows } = await h.pool.query<{ listed: boolean }>("SELECT DISTINCT listed FROM group_slots WHERE program_id = ANY($1)", [programs]);
    expect(rows).toEqual([{ listed: false }]);
    await expectSame("with the provider suspended", false);

    await h.pool.query("UPDATE programs SET provider_approved = true WHERE provider_id = (SELECT provider_id FROM programs WHERE id = $1)", [programs[0]]);
    await expectSame("with the provider approved again");
  });
});
