import type { Currency, Direction, FundingKind } from "@kruzhok/contracts";
import type { Queryable } from "@kruzhok/postgres";
import type { Cursor, SearchOrder } from "../domain/search";

export interface SearchFilters {
  municipalityId?: string | undefined;
  direction?: Direction | undefined;
  fundingKind?: FundingKind | undefined;
  age?: number | undefined;
  weekday?: number | undefined;
  /** Minutes since local midnight: every slot of a matching group lies within [from, to]. */
  fromMinute?: number | undefined;
  toMinute?: number | undefined;
  onlyFreeSeats?: boolean | undefined;
  near?: { latitude: number; longitude: number; radiusMetres?: number | undefined } | undefined;
  /** Russian query (stemmed) and the 'simple' prefix query built from the same words. */
  text?: { plain: string; prefix: string } | undefined;
}

export interface SearchHit {
  id: string;
  sortKey: number | null;
  title: string;
  direction: Direction;
  ageRange: { min: number; max: number };
  fundingKind: FundingKind;
  providerId: string;
  providerName: string;
  municipalityId: string;
  pricePerHour: number;
  currency: Currency;
  totalHours: number;
  weeklyHours: number;
  address: string;
  latitude: number;
  longitude: number;
  ratingAverage: number | null;
  ratingCount: number;
  freeSeats: number;
  openGroups: number;
  nominal: number | null;
  acceptingApplications: boolean;
  certification: { number: string; date: string; expiry: string } | null;
  distanceMetres: number | null;
}

export interface FacetRow {
  direction: Direction;
  fundingKind: FundingKind;
  count: number;
}

/** Builds one WHERE clause with numbered parameters; shared by the results and facets queries. */
class Sql {
  readonly params: unknown[] = [];
  param(value: unknown, cast = ""): string {
    this.params.push(value);
    return `$${this.params.length}${cast}`;
  }
}

const textQuery = (sql: Sql, text: NonNullable<SearchFilters["text"]>) =>
  `(plainto_tsquery('russian', ${sql.param(text.plain)}) || to_tsquery('simple', ${sql.param(text.prefix)}))`;

/** Every condition except direction and funding kind (the facets' own dimensions). */
function baseConditions(sql: Sql, f: SearchFilters): string[] {
  // Listed: published by an approved provider. A suspended provider's programs vanish at once.
  const where = ["p.status = 'published'", "p.provider_approved"];
  if (f.municipalityId) where.push(`p.municipality_id = ${sql.param(f.municipalityId, "::uuid")}`);
  if (f.age !== undefined) {
    const age = sql.param(f.age, "::smallint");
    where.push(`p.age_min <= ${age} AND p.age_max >= ${age}`);
  }
  if (f.text) where.push(`p.search_tsv @@ ${textQuery(sql, f.text)}`);
  if (f.near?.radiusMetres !== undefined) {
    const point = `ll_to_earth(${sql.param(f.near.latitude, "::float8")}, ${sql.param(f.near.longitude, "::float8")})`;
    const radius = sql.param(f.near.radiusMetres, "::float8");
    // The chord (cube's <->) against the radius turned into a chord: the same test as
    // earth_distance(p.geo, point) <= radius, but one C call per row instead of nested SQL
    // functions, which dominated over a dense city (BENCHMARKS.md), and answered from the GiST index.
    where.push(`earth_box(${point}, ${radius}) @> p.geo AND (p.geo <-> ${point}) <= gc_to_sec(${radius})`);
  }
  const slotFilter = f.weekday !== undefined || f.fromMinute !== undefined || f.toMinute !== undefined;
  if (slotFilter) {
    // Slots of open groups only, indexed by municipality, weekday and time; a matching slot's
    // group must itself have a free seat when asked.
    const slot = ["s.program_id = p.id"];
    if (f.municipalityId) slot.push(`s.municipality_id = ${sql.param(f.municipalityId, "::uuid")}`);
    if (f.weekday !== undefined) slot.push(`s.weekday = ${sql.param(f.weekday, "::smallint")}`);
    if (f.fromMinute !== undefined) slot.push(`s.start_minute >= ${sql.param(f.fromMinute, "::smallint")}`);
    if (f.toMinute !== undefined) slot.push(`s.end_minute <= ${sql.param(f.toMinute, "::smallint")}`);
    if (f.onlyFreeSeats) slot.push("s.has_free_seat");
    where.push(`EXISTS (SELECT 1 FROM group_slots s WHERE ${slot.join(" AND ")})`);
  } else if (f.onlyFreeSeats) {
    where.push("p.free_seats > 0");
  }
  return where;
}

/**
 * What the facet counts depend on: the inputs of `baseConditions`, nothing else (not direction
 * or funding kind, which the counts are grouped by; not the point of a search without a radius,
 * the order, the page or the date). Searches with equal keys have equal facet rows, so their
 * counts are computed once (http/search.ts). Kept beside `baseConditions`: a filter added there
 * must be added here.
 */
export function facetKey(f: SearchFilters): string {
  const near = f.near?.radiusMetres !== undefined ? [f.near.latitude, f.near.longitude, f.near.radiusMetres] : null;
  return JSON.stringify([f.municipalityId ?? null, f.age ?? null, f.text?.plain ?? null, f.text?.prefix ?? null, near, f.weekday ?? null, f.fromMinute ?? null, f.toMinute ?? null, f.onlyFreeSeats ?? false]);
}

/** A weekly slot (weekday, minutes) whose free-seat flag flipped. */
export interface SlotFlip {
  weekday: number;
  start: number;
  end: number;
}

/**
 * What a seat change altered, as the store saw it: whether the program gained its first free
 * seat or lost its last, and which of its weekly slots flipped (store/groups.ts `refreshSeats`).
 */
export interface SeatFlips {
  program: boolean;
  slots: SlotFlip[];
}

/** The weekly window a search asked slots with a free seat in (weekday and minutes, each optional). */
export interface SlotWindow {
  weekday?: number | undefined;
  fromMinute?: number | undefined;
  toMinute?: number | undefined;
}

/**
 * What "only free seats" makes an answer depend on (store/search-cache.ts): nothing when not
 * asked; with a weekday or time filter, the free-seat flags of the slots in that window (the
 * EXISTS of `baseConditions`); otherwise programs' free seats. Kept beside `baseConditions`.
 */
export function seatFilterOf(f: SearchFilters): SlotWindow | "programs" | null {
  if (!f.onlyFreeSeats) return null;
  if (f.weekday === undefined && f.fromMinute === undefined && f.toMinute === undefined) return "programs";
  return { weekday: f.weekday, fromMinute: f.fromMinute, toMinute: f.toMinute };
}

/** One query: the page of results (limit + 1 rows, so the caller knows whether there is more). */
export async function searchPrograms(
  db: Queryable,
  f: SearchFilters,
  order: SearchOrder,
  after: Cursor | undefined,
  limit: number,
  now: Date,
): Promise<SearchHit[]> {
  const sql = new Sql();
  const where = baseConditions(sql, f);
  if (f.direction) where.push(`p.direction = ${sql.param(f.direction)}`);
  if (f.fundingKind) where.push(`p.funding_kind = ${sql.param(f.fundingKind)}`);
  let key = "NULL::float8";
  let distance = "NULL::float8";
  let point: string | undefined;
  if (order === "distance" && f.near) {
    // cube's <-> is the straight-line (chord) distance through the earth: the same order as
    // the great-circle distance, and a GiST index serves it nearest first.
    point = `ll_to_earth(${sql.param(f.near.latitude, "::float8")}, ${sql.param(f.near.longitude, "::float8")})`;
    key = `(p.geo <-> ${point})`;
    distance = `earth_distance(p.geo, ${point})`;
  } else if (order === "relevance" && f.text) {
    key = `-(ts_rank(p.search_tsv, ${textQuery(sql, f.text)})::float8)`;
  }
  if (after) {
    const id = sql.param(after.id, "::uuid");
    // The cursor's row's key is computed again here rather than taken from the cursor: a page
    // computed from memory (store/search-memory.ts) writes keys whose last bits may differ
    // (V8's sine and cosine are not glibc's), and the row would otherwise come back on the next
    // page. The cursor's key stands in only for a row that is gone.
    if (order === "id") where.push(`p.id > ${id}`);
    else {
      const cursorKey = sql.param(after.key, "::float8");
      const afterKey = point ? `coalesce((SELECT c.geo <-> ${point} FROM programs c WHERE c.id = ${id}), ${cursorKey})` : cursorKey;
      where.push(`(${key}, p.id) > (${afterKey}, ${id})`);
    }
  }
  // Distance alone (never tied, see programs.geo) so that the GiST index returns nearest first.
  const orderBy = order === "id" ? "p.id" : order === "distance" ? "sort_key" : "sort_key, p.id";
  const nowParam = sql.param(now, "::timestamptz");
  const text = `WITH page AS (
       SELECT p.id, ${key} AS sort_key FROM programs p WHERE ${where.join(" AND ")} ORDER BY ${orderBy} LIMIT ${sql.param(limit + 1, "::int")}
     )
     SELECT ${rowColumns(nowParam)}, page.sort_key AS "sortKey", ${distance} AS "distanceMetres"
     FROM page
     JOIN programs p ON p.id = page.id
     ${rowJoins(nowParam)}
     ORDER BY ${order === "id" ? "p.id" : "page.sort_key, p.id"}`;
  // Named, so that each connection plans a statement once rather than on every search: planning
  // the six-way join was a third of the Postgres time of the cheapest computed search (a page
  // after a cursor: 600 -> 420 µs, BENCHMARKS.md). Not with words: their generic plan ranked
  // every match before the municipality's filter (10 -> 16 ms), so they are planned each time.
  const { rows } = await db.query<SearchHit>(f.text ? { text, values: sql.params } : { name: statementName(text), text, values: sql.params });
  return rows;
}

/**
 * The columns of a program's row as search answers it (`SearchHit` but its sort key and
 * distance), over `programs p` and `rowJoins`; `now` is the parameter of the time searched at
 * (the local date and year decide `acceptingApplications` and the nominal). Shared with the
 * index in memory (store/search-index.ts), which loads its rows through the same columns.
 */
const rowColumns = (now: string) => `p.id, p.title, p.direction, json_build_object('min', p.age_min, 'max', p.age_max) AS "ageRange",
       p.funding_kind AS "fundingKind", p.provider_id AS "providerId", pr.name AS "providerName", p.municipality_id AS "municipalityId",
       p.price_per_hour AS "pricePerHour", p.currency, p.total_hours AS "totalHours", p.weekly_hours AS "weeklyHours",
       p.address, p.latitude, p.longitude,
       CASE WHEN p.rating_count > 0 THEN round(p.rating_sum::numeric / p.rating_count, 2)::float8 END AS "ratingAverage",
       p.rating_count AS "ratingCount",
       p.free_seats AS "freeSeats", coalesce(seats.open, 0) AS "openGroups",
       my.nominal,
       (p.funding_kind <> 'financed' OR p.certification_expiry >= (${now} AT TIME ZONE m.time_zone)::date) AS "acceptingApplications",
       CASE WHEN p.certification_expiry IS NOT NULL THEN json_build_object('number', p.certification_number,
         'date', to_char(p.certification_date, 'YYYY-MM-DD'), 'expiry', to_char(p.certification_expiry, 'YYYY-MM-DD')) END AS certification`;

const rowJoins = (now: string) => `JOIN providers pr ON pr.id = p.provider_id
     JOIN municipalities m ON m.id = p.municipality_id
     LEFT JOIN municipality_years my
       ON my.municipality_id = p.municipality_id AND my.year = extract(year FROM ${now} AT TIME ZONE m.time_zone)::int
     LEFT JOIN LATERAL (
       SELECT count(*)::int AS open
       FROM groups g WHERE g.program_id = p.id AND g.status = 'open'
     ) seats ON true`;

/** A listed program's row as the index in memory holds it: search's columns and its point as Postgres stores it. */
export interface ListedRow extends Omit<SearchHit, "sortKey" | "distanceMetres"> {
  /** The `earth` cube as text, "(x, y, z)": float8's shortest exact form, so parsed back it is the very doubles Postgres holds. */
  geo: string;
}

/**
 * The listed programs of a municipality (only `ids`, when given) as search shows them at `now`,
 * in id order: what the index in memory loads and refreshes (store/search-index.ts).
 */
export async function listedRows(db: Queryable, municipalityId: string, ids: readonly string[] | undefined, now: Date): Promise<ListedRow[]> {
  const { rows } = await db.query<ListedRow>(
    `SELECT ${rowColumns("$2::timestamptz")}, p.geo::text AS geo
     FROM programs p
     ${rowJoins("$2::timestamptz")}
     WHERE p.municipality_id = $1::uuid AND p.status = 'published' AND p.provider_approved${ids ? " AND p.id = ANY($3::uuid[])" : ""}
     ORDER BY p.id`,
    ids ? [municipalityId, now, ids] : [municipalityId, now],
  );
  return rows;
}

/** A weekly slot of an open group, as the index in memory holds it. */
export interface SlotRow {
  programId: string;
  weekday: number;
  start: number;
  end: number;
  free: boolean;
}

/** The weekly slots of a municipality's open groups (of `ids` only, when given). Listing is not checked: the index keeps the slots of the programs it holds. */
export async function slotRows(db: Queryable, municipalityId: string, ids: readonly string[] | undefined): Promise<SlotRow[]> {
  const { rows } = await db.query<SlotRow>(
    `SELECT program_id AS "programId", weekday, start_minute AS start, end_minute AS "end", has_free_seat AS free
     FROM group_slots WHERE municipality_id = $1::uuid${ids ? " AND program_id = ANY($2::uuid[])" : ""}`,
    ids ? [municipalityId, ids] : [municipalityId],
  );
  return rows;
}

/** What a municipality's answers need beside its programs: its time zone and its nominal per year (`my.nominal` as the rows give it). */
export async function municipalityTerms(db: Queryable, municipalityId: string): Promise<{ timeZone: string; nominals: Map<number, SearchHit["nominal"]> } | undefined> {
  const { rows } = await db.query<{ timeZone: string }>(`SELECT time_zone AS "timeZone" FROM municipalities WHERE id = $1::uuid`, [municipalityId]);
  if (!rows[0]) return undefined;
  const years = await db.query<{ year: number; nominal: SearchHit["nominal"] }>(`SELECT year, nominal FROM municipality_years my WHERE municipality_id = $1::uuid`, [municipalityId]);
  return { timeZone: rows[0].timeZone, nominals: new Map(years.rows.map((row) => [row.year, row.nominal])) };
}

/** Every municipality's id (the index in memory loads each). */
export async function municipalityIds(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>("SELECT id FROM municipalities ORDER BY id");
  return rows.map((row) => row.id);
}

/**
 * A prepared statement's name per statement text (node-postgres prepares a name once per
 * connection and requires the same text under it). The texts are few: one per combination of
 * filters, order and cursor, whatever their values.
 */
const statementNames = new Map<string, string>();
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `catalogue_search_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * One query: counts per (direction, funding kind) under every other filter. The caller folds
 * them so each facet counts as if its own filter were lifted, which is how a family reads
 * "how many would I see if I picked arts instead".
 */
export async function searchFacets(db: Queryable, f: SearchFilters): Promise<FacetRow[]> {
  if (f.municipalityId && f.weekday !== undefined && !f.text && f.near?.radiusMetres === undefined) return slotFacets(db, { ...f, municipalityId: f.municipalityId, weekday: f.weekday });
  const sql = new Sql();
  const where = baseConditions(sql, f);
  const { rows } = await db.query<FacetRow>(
    `SELECT p.direction, p.funding_kind AS "fundingKind", count(*)::int AS count
     FROM programs p WHERE ${where.join(" AND ")} GROUP BY p.direction, p.funding_kind`,
    sql.params,
  );
  return rows;
}

/**
 * `searchFacets` of a municipality's weekday (and time window, age, free seats), counted from
 * the slots alone: each carries its program's direction, funding kind, ages and listing
 * (migration 0009), so the time index answers without reading every listed program, which
 * semi-joining them cost (20-23 ms against 8.5-9.2 ms at Moscow's scale, BENCHMARKS.md). The
 * same counts as `baseConditions` gives: the listed programs of the municipality, of that age,
 * with a slot on that weekday within the window (with a free seat, when asked). Words and a
 * radius are not on the slots: those searches count from the programs.
 */
async function slotFacets(db: Queryable, f: SearchFilters & { municipalityId: string; weekday: number }): Promise<FacetRow[]> {
  const sql = new Sql();
  const where = ["s.listed", `s.municipality_id = ${sql.param(f.municipalityId, "::uuid")}`, `s.weekday = ${sql.param(f.weekday, "::smallint")}`];
  if (f.fromMinute !== undefined) where.push(`s.start_minute >= ${sql.param(f.fromMinute, "::smallint")}`);
  if (f.toMinute !== undefined) where.push(`s.end_minute <= ${sql.param(f.toMinute, "::smallint")}`);
  if (f.onlyFreeSeats) where.push("s.has_free_seat");
  if (f.age !== undefined) {
    const age = sql.param(f.age, "::smallint");
    where.push(`s.age_min <= ${age} AND s.age_max >= ${age}`);
  }
  const { rows } = await db.query<FacetRow>(
    `SELECT s.direction, s.funding_kind AS "fundingKind", count(DISTINCT s.program_id)::int AS count
     FROM group_slots s WHERE ${where.join(" AND ")} GROUP BY s.direction, s.funding_kind`,
    sql.params,
  );
  return rows;
}
