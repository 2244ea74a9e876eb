import type { Queryable } from "@kruzhok/postgres";

// Which of some groups, children or campaigns belong to a region's municipalities (the region
// each municipality belongs to, as the registry announced it): a region official's sweep works
// on its own region only.

export type RegionScoped = "groups" | "children" | "campaigns";

const statements: Record<RegionScoped, string> = {
  groups: `SELECT g.id FROM groups g JOIN municipalities m ON m.id = g.municipality_id
            WHERE g.id = ANY($1::uuid[]) AND m.region_code = $2`,
  children: `SELECT DISTINCT c.child_id AS id FROM certificates c JOIN municipalities m ON m.id = c.municipality_id
              WHERE c.child_id = ANY($1::uuid[]) AND m.region_code = $2`,
  campaigns: `SELECT k.id FROM campaigns k JOIN municipalities m ON m.id = k.municipality_id
               WHERE k.id = ANY($1::uuid[]) AND m.region_code = $2`,
};

/** Of `ids` (groups, children or campaigns), those of a municipality in `regionCode`, in the order given. */
export async function ofRegion(db: Queryable, kind: RegionScoped, ids: readonly string[], regionCode: string): Promise<string[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<{ id: string }>(statements[kind], [ids, regionCode]);
  const kept = new Set(rows.map((row) => row.id));
  return ids.filter((id) => kept.has(id));
}
