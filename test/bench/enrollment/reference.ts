import { randomUUID } from "node:crypto";
import type { Pool } from "@kruzhok/postgres";

/** What the enrollment benchmarks write into the service's read models before they measure. */
export interface ReferenceData {
  municipalityId: string;
  timeZone: string;
  year: number;
  groupIds: string[];
  childIds: string[];
  guardianIds: string[];
}

/**
 * Reference data, as enrollment's consumers would have written it from the registry's and the
 * catalogue's events (their delivery is not what the benchmarks measure): one municipality
 * (Sverdlovsk's zone) with the year's rules (categories orphan, large_family), one accounting
 * certificate per child, `groups` groups of free programs (no financing round trip to the
 * registry), each child's guardian. `largeFamily(n)` says which children (0-based) are in the
 * large_family category.
 */
export async function writeReferenceData(pool: Pool, options: { groups: number; children: number; largeFamily: (child: number) => boolean }): Promise<ReferenceData> {
  const timeZone = "Asia/Yekaterinburg";
  const year = Number(new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric" }).format(new Date()));
  const municipalityId = randomUUID();
  await pool.query("INSERT INTO municipalities (id, region_code, time_zone, updated_at) VALUES ($1, '66', $2, now())", [municipalityId, timeZone]);
  await pool.query(
    `INSERT INTO municipality_years (municipality_id, year, categories, max_open_applications, offer_acceptance_days, provider_review_working_days)
     VALUES ($1, $2, ARRAY['orphan', 'large_family'], 5, 5, 3)`,
    [municipalityId, year],
  );
  const groupIds = Array.from({ length: options.groups }, () => randomUUID());
  await pool.query(
    `INSERT INTO groups (id, municipality_id, program_id, provider_id, capacity, time_zone, slots, starts_on, ends_on, age_min, age_max,
                         funding_kind, accepting, status, updated_at)
     SELECT g, $2, gen_random_uuid(), gen_random_uuid(), 30, $3, '[{"weekday":2,"start":"15:00","end":"16:30"}]'::jsonb,
            make_date($4 + 1, 1, 12), make_date($4 + 1, 5, 31), 6, 14, 'free', true, 'open', now()
       FROM unnest($1::uuid[]) AS g`,
    [groupIds, municipalityId, timeZone, year],
  );
  const childIds = Array.from({ length: options.children }, () => randomUUID());
  const guardianIds = Array.from({ length: options.children }, () => randomUUID());
  for (let from = 0; from < options.children; from += 10_000) {
    const c = childIds.slice(from, from + 10_000);
    const large = c.map((_, i) => options.largeFamily(from + i));
    await pool.query(
      `WITH input AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $6::boolean[]) WITH ORDINALITY AS t(child, guardian, large, n)),
       cert AS (
         INSERT INTO certificates (id, municipality_id, child_id, number, birth_year, status, funding, updated_at)
         SELECT gen_random_uuid(), $3, child, 'BENCH-' || ($5 + n), $4 - 9, 'active', 'accounting', now() FROM input
       ), kid AS (
         INSERT INTO children (id, updated_at) SELECT child, now() FROM input
       ), cat AS (
         INSERT INTO child_categories (child_id, code) SELECT child, 'large_family' FROM input WHERE large
       )
       INSERT INTO child_guardians (child_id, guardian_id) SELECT child, guardian FROM input`,
      [c, guardianIds.slice(from, from + 10_000), municipalityId, year, from, large],
    );
  }
  await pool.query("ANALYZE");
  return { municipalityId, timeZone, year, groupIds, childIds, guardianIds };
}
