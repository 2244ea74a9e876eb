// The catalogue benchmark's data: three demo municipalities, their providers, 100,000 programs
// from the demo seed's own generator (services/catalogue/scripts/seed.ts: Russian and Kazakh
// titles, directions, ages, funding, certification, addresses around the city centres) and
// ~300,000 open and closed groups with weekly slots, enrollments (some groups full) and
// ratings, written with a few bulk statements per table. Then VACUUM ANALYZE: production runs
// autovacuum, and the bench's Postgres has it off.
import { randomUUID } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import type { Pool } from "@kruzhok/postgres";
import { seededRandom } from "@kruzhok/testkit/random";
import { generate, type DemoMunicipality, type GroupSeed, type ProgramSeed } from "../../../services/catalogue/scripts/seed";
import { geoLatitude } from "../../../services/catalogue/src/store/programs";

export interface BenchMunicipality {
  id: string;
  code: string;
  name: string;
  timeZone: string;
  currency: "RUB" | "KZT";
  /** Centre of the city the seed scatters addresses around (±0.04° lat, ±0.06° lon; Moscow ±0.18°, ±0.3°). */
  centre: [number, number];
  /** How far around the centre the searches' points fall (degrees of latitude, longitude). */
  reach: [number, number];
  kazakh: boolean;
}

export const demoMunicipalities: BenchMunicipality[] = [
  { id: randomUUID(), code: "4101", name: "Петропавловск-Камчатский городской округ", timeZone: "Asia/Kamchatka", currency: "RUB", centre: [53.0245, 158.6433], reach: [0.06, 0.09], kazakh: false },
  { id: randomUUID(), code: "1101", name: "Городской округ Сыктывкар", timeZone: "Europe/Moscow", currency: "RUB", centre: [61.6688, 50.8364], reach: [0.06, 0.09], kazakh: false },
  { id: randomUUID(), code: "3501", name: "Город Караганда", timeZone: "Asia/Almaty", currency: "KZT", centre: [49.8047, 73.1094], reach: [0.06, 0.09], kazakh: true },
];

/** The municipality at Moscow's scale (`--moscow`, issue #20): its own programs and groups beside the three. */
export const moscow: BenchMunicipality = {
  id: randomUUID(),
  code: "7701",
  name: "Город Москва",
  timeZone: "Europe/Moscow",
  currency: "RUB",
  centre: [55.7558, 37.6173],
  reach: [0.3, 0.5],
  kazakh: false,
};

/** Deterministic, so that two runs search the same catalogue (the same numbers as the copy of mulberry32 this file had). */
export const random = seededRandom(0x62656e63); // "benc"
export const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
export const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;

const providerNames = {
  ru: (i: number) => pick([`МАУ ДО «Дом детского творчества № ${i}»`, `ЧУ ДО «Центр развития «Перспектива-${i}»`, `ИП Кузнецова Е. А. (студия ${i})`, `МБУ ДО «Детско-юношеская спортивная школа № ${i}»`, `АНО ДО «Технопарк ${i}»`]),
  kz: (i: number) => pick([`«№ ${i} балалар шығармашылығы үйі» КММ`, `«Дарын-${i}» қосымша білім беру орталығы`, `ЖК Ахметова Д. С. (${i} студия)`, `«№ ${i} балалар-жасөспірімдер спорт мектебі» КММ`]),
};
const providerKinds = ["municipal", "state", "private", "entrepreneur"] as const;

export interface LoadResult {
  programs: number;
  listed: number;
  groups: number;
  openGroups: number;
  slots: number;
  providers: number;
}

interface SlotRow {
  group_id: string;
  program_id: string;
  municipality_id: string;
  weekday: number;
  start_minute: number;
  end_minute: number;
  has_free_seat: boolean;
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;

/** Programs from the demo seed's generator over `demo`, and their groups up to `groupTarget`. */
function generateGroups(demo: DemoMunicipality[], programCount: number, groupTarget: number, now: Date): { programs: ProgramSeed[]; groups: (GroupSeed & { status: "open" | "closed" })[] } {
  const generated = generate(demo, programCount, now);
  const programs: ProgramSeed[] = generated.programs;
  const groups: (GroupSeed & { status: "open" | "closed" })[] = generated.groups.map((g) => ({ ...g, status: "open" }));
  const firstGroup = new Map<string, GroupSeed>();
  for (const g of generated.groups) if (!firstGroup.has(g.program_id)) firstGroup.set(g.program_id, g);
  // The seed makes 1-3 groups per program it opened; more, at other hours, up to the target.
  const withGroups = programs.filter((p) => p.status !== "draft");
  for (let i = 0; groups.length < groupTarget && withGroups.length > 0; i++) {
    const p = withGroups[(i * 7919) % withGroups.length]!;
    const template = firstGroup.get(p.id) ?? generated.groups[0]!;
    const days = [...new Set(Array.from({ length: int(1, 3) }, () => int(1, 7)))].sort();
    const start = int(16, 40) * 30; // 08:00 to 20:00
    const length = pick([45, 60, 90]);
    groups.push({
      ...template,
      id: uuidv7({ msecs: now.getTime() }),
      capacity: int(8, 25),
      slots: days.map((weekday) => ({ weekday, start: hhmm(start), end: hhmm(start + length) })),
      status: "open",
    });
  }
  return { programs, groups };
}

/** Fills an empty, migrated catalogue database; `progress` reports each step. */
export async function loadCatalogue(
  pool: Pool,
  { programs: programCount, groups: groupTarget, providersPerMunicipality = 250, big }: { programs: number; groups: number; providersPerMunicipality?: number; big?: { programs: number; groups: number; providers: number } },
  progress: (message: string) => void,
): Promise<LoadResult> {
  const now = new Date();
  const year = now.getUTCFullYear();
  // The three share `programs` and `groups`; Moscow (`big`) has its own.
  const municipalities = big ? [...demoMunicipalities, moscow] : demoMunicipalities;
  await pool.query(
    `INSERT INTO municipalities (id, code, name, time_zone, currency)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[])`,
    [municipalities.map((m) => m.id), municipalities.map((m) => m.code), municipalities.map((m) => m.name), municipalities.map((m) => m.timeZone), municipalities.map((m) => m.currency)],
  );
  await pool.query(
    `INSERT INTO municipality_years (municipality_id, year, nominal)
     SELECT m, y, n FROM unnest($1::uuid[], $2::int[], $3::bigint[]) AS t(m, y, n)`,
    [municipalities.map((m) => m.id), municipalities.map(() => year), municipalities.map((m) => (m.currency === "RUB" ? 2_500_000 : 15_000_000))],
  );

  // ~4 % of providers suspended: their programs are in the tables but not listed.
  const demo: DemoMunicipality[] = [];
  const providerRows: { id: string; municipality_id: string; name: string; kind: string; status: string }[] = [];
  for (const m of municipalities) {
    const providers = Array.from({ length: m === moscow && big ? big.providers : providersPerMunicipality }, (_, i) => ({
      id: randomUUID(),
      municipality_id: m.id,
      name: (m.kazakh && random() < 0.5 ? providerNames.kz : providerNames.ru)(i + 1),
      kind: pick(providerKinds),
      status: random() < 0.04 ? "suspended" : "approved",
    }));
    providerRows.push(...providers);
    demo.push({ id: m.id, code: m.code, timeZone: m.timeZone, currency: m.currency, providers: providers.map((p) => ({ id: p.id, status: p.status })) });
  }
  await pool.query(
    `INSERT INTO providers (id, municipality_id, name, kind, status, updated_at)
     SELECT r.id, r.municipality_id, r.name, r.kind, r.status, $2 FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, municipality_id uuid, name text, kind text, status text)`,
    [JSON.stringify(providerRows), now],
  );

  const sets = [{ demo: demo.filter((d) => d.id !== moscow.id), programs: programCount, groups: groupTarget }];
  if (big) sets.push({ demo: demo.filter((d) => d.id === moscow.id), programs: big.programs, groups: big.groups });
  const programs: ProgramSeed[] = [];
  const groups: (GroupSeed & { status: "open" | "closed" })[] = [];
  for (const set of sets) {
    progress(`generating ${set.programs.toLocaleString("en-US")} programs with the demo seed's generator (${set.demo.length} municipalities)`);
    const generated = generateGroups(set.demo, set.programs, set.groups, now);
    // One at a time: spreading 400,000 groups as arguments overflows the stack.
    for (const program of generated.programs) programs.push(program);
    for (const group of generated.groups) groups.push(group);
  }
  const programOf = new Map(programs.map((p) => [p.id, p]));
  // Withdrawn programs' groups are closed; of the rest ~8 % finished early, and enrollments
  // fill a quarter of the open groups to the last seat.
  const enrolled = new Map<string, number>();
  const freeSeats = new Map<string, number>();
  const slots: SlotRow[] = [];
  for (const g of groups) {
    const program = programOf.get(g.program_id)!;
    if (program.status === "withdrawn" || random() < 0.08) g.status = "closed";
    const active = random() < 0.25 ? g.capacity : int(0, g.capacity - 1);
    enrolled.set(g.id, active);
    if (g.status !== "open") continue;
    freeSeats.set(g.program_id, (freeSeats.get(g.program_id) ?? 0) + Math.max(0, g.capacity - active));
    for (const slot of g.slots) {
      slots.push({
        group_id: g.id,
        program_id: g.program_id,
        municipality_id: program.municipality_id,
        weekday: slot.weekday,
        start_minute: minutes(slot.start),
        end_minute: minutes(slot.end),
        has_free_seat: g.capacity > active,
      });
    }
  }

  progress(`inserting ${programs.length.toLocaleString("en-US")} programs`);
  const chunk = 2_000;
  for (let i = 0; i < programs.length; i += chunk) {
    const rows = programs.slice(i, i + chunk).map((p) => {
      const ratingCount = random() < 0.6 ? int(1, 40) : 0;
      return {
        ...p,
        geo_latitude: geoLatitude(p.id, p.latitude),
        free_seats: freeSeats.get(p.id) ?? 0,
        rating_count: ratingCount,
        rating_sum: Math.round(ratingCount * (3 + random() * 2)),
      };
    });
    await pool.query(
      `INSERT INTO programs (id, provider_id, municipality_id, status, provider_approved, title, description, direction, age_min, age_max,
         total_hours, weekly_hours, price_per_hour, currency, funding_kind, certification_number, certification_date, certification_expiry,
         address, latitude, longitude, geo, teachers, free_seats, rating_sum, rating_count, created_at, updated_at, published_at)
       SELECT r.id, r.provider_id, r.municipality_id, r.status, r.provider_approved, r.title, r.description, r.direction, r.age_min, r.age_max,
         r.total_hours, r.weekly_hours, r.price_per_hour, r.currency, r.funding_kind, r.certification_number, r.certification_date,
         r.certification_expiry, r.address, r.latitude, r.longitude, ll_to_earth(r.geo_latitude, r.longitude), r.teachers,
         r.free_seats, r.rating_sum, r.rating_count, $2, $2, CASE WHEN r.status = 'draft' THEN NULL ELSE $2::timestamptz END
       FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, provider_id uuid, municipality_id uuid, status text, provider_approved boolean, title text,
         description text, direction text, age_min smallint, age_max smallint, total_hours int, weekly_hours int, price_per_hour bigint,
         currency text, funding_kind text, certification_number text, certification_date date, certification_expiry date, address text,
         latitude float8, longitude float8, geo_latitude float8, teachers jsonb, free_seats int, rating_sum int, rating_count int)`,
      [JSON.stringify(rows), now],
    );
  }

  progress(`inserting ${groups.length.toLocaleString("en-US")} groups and ${slots.length.toLocaleString("en-US")} weekly slots`);
  for (let i = 0; i < groups.length; i += chunk * 2) {
    const rows = groups.slice(i, i + chunk * 2).map((g) => ({ ...g, active_enrollments: enrolled.get(g.id) ?? 0 }));
    await pool.query(
      `INSERT INTO groups (id, program_id, capacity, active_enrollments, time_zone, slots, starts_on, ends_on, exceptions, status, created_at, updated_at)
       SELECT r.id, r.program_id, r.capacity, r.active_enrollments, r.time_zone, r.slots, r.starts_on, r.ends_on, '[]', r.status, $2, $2
       FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, program_id uuid, capacity int, active_enrollments int, time_zone text, slots jsonb,
         starts_on date, ends_on date, status text)`,
      [JSON.stringify(rows), now],
    );
  }
  for (let i = 0; i < slots.length; i += chunk * 5) {
    const rows = slots.slice(i, i + chunk * 5);
    await pool.query(
      // With the program's columns the weekday facets count from (0009), as writeSlots copies them.
      `INSERT INTO group_slots (group_id, program_id, municipality_id, weekday, start_minute, end_minute, has_free_seat,
         direction, funding_kind, listed, age_min, age_max)
       SELECT s.*, p.direction, p.funding_kind, p.status = 'published' AND p.provider_approved, p.age_min, p.age_max
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::smallint[], $5::smallint[], $6::smallint[], $7::boolean[])
         AS s(group_id, program_id, municipality_id, weekday, start_minute, end_minute, has_free_seat)
       JOIN programs p ON p.id = s.program_id`,
      [
        rows.map((r) => r.group_id),
        rows.map((r) => r.program_id),
        rows.map((r) => r.municipality_id),
        rows.map((r) => r.weekday),
        rows.map((r) => r.start_minute),
        rows.map((r) => r.end_minute),
        rows.map((r) => r.has_free_seat),
      ],
    );
  }
  progress("VACUUM ANALYZE");
  for (const table of ["providers", "programs", "groups", "group_slots", "municipalities", "municipality_years"]) {
    await pool.query(`VACUUM (ANALYZE) ${table}`);
  }
  return {
    programs: programs.length,
    listed: programs.filter((p) => p.status === "published" && p.provider_approved).length,
    groups: groups.length,
    openGroups: groups.filter((g) => g.status === "open").length,
    slots: slots.length,
    providers: providerRows.length,
  };
}
