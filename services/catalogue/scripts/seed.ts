// Demo data for `npm start`: about 2,000 programs with groups across the three demo
// municipalities (Kamchatka and Syktyvkar in Russian, Karaganda in Kazakh and Russian), for the
// providers the registry's demo announced. Inserted with a few bulk SQL statements in one
// transaction, with their catalogue.program.published / catalogue.group.opened events in the
// outbox so that enrollment, attendance and payments learn of them as of any other program.
// Idempotent: a second run finds programs in the demo municipalities and does nothing.
// The generator is exported for test/bench/catalogue; importing this module runs nothing.
import { fileURLToPath } from "node:url";
import { v7 as uuidv7 } from "uuid";
import { z } from "zod";
import { CERTIFICATE_AGES, GroupOpened, ProgramPublished, type Direction, type FundingKind } from "@kruzhok/contracts";
import { parseConfig, serviceConfig } from "@kruzhok/config";
import { appendToOutbox, newEvent, type OutboxEntry } from "@kruzhok/messaging";
import { createPool, ensureDatabase, withDatabase, withTransaction, type Pool, type PoolClient } from "@kruzhok/postgres";
import { migrateCatalogue } from "../src/migrations";
import { openGroups } from "../src/store/announcements";
import { geoLatitude } from "../src/store/programs";

const Config = z.object({
  DATABASE_URL: serviceConfig.shape.DATABASE_URL,
  SERVICE_DATABASE: z.string().regex(/^[a-z_][a-z0-9_]*$/).default("catalogue"),
  SEED_PROGRAMS: z.coerce.number().int().min(1).max(200_000).default(2_000),
  SEED_WAIT_SECONDS: z.coerce.number().int().min(0).default(180),
});
const out = (line: string) => process.stdout.write(`catalogue: ${line}\n`);
const demoCodes = ["4101", "1101", "3501"];

export interface DemoMunicipality {
  id: string;
  code: string;
  timeZone: string;
  currency: "RUB" | "KZT";
  providers: { id: string; status: string }[];
}

async function demoMunicipalities(pool: Pool): Promise<DemoMunicipality[]> {
  const { rows } = await pool.query<DemoMunicipality>(
    `SELECT m.id, m.code, m.time_zone AS "timeZone", m.currency,
       coalesce((SELECT json_agg(json_build_object('id', p.id, 'status', p.status) ORDER BY p.id) FROM providers p
                 WHERE p.municipality_id = m.id AND p.status IN ('approved', 'suspended')), '[]') AS providers
     FROM municipalities m WHERE m.code = ANY($1) ORDER BY m.code`,
    [demoCodes],
  );
  return rows;
}

// --- a small deterministic generator, so that every machine gets the same demo ----------------
let state = 0x6b72757a; // "kruz"
function random(): number {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
}
const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;

const subjects: Record<Direction, { ru: string[]; kz: string[] }> = {
  technical: {
    ru: ["Робототехника", "Программирование на Python", "Scratch-программирование", "3D-моделирование и печать", "Авиамоделирование", "Судомоделирование", "Радиоэлектроника", "Lego-конструирование", "Основы веб-разработки", "Беспилотные летательные аппараты"],
    kz: ["Робототехника", "Python тілінде бағдарламалау", "3D модельдеу және басып шығару", "Авиамодельдеу", "Lego құрастыру", "Веб-әзірлеу негіздері", "Ұшқышсыз ұшу аппараттары"],
  },
  natural_science: {
    ru: ["Юный эколог", "Занимательная химия", "Астрономия для школьников", "Юные биологи", "Физика в экспериментах", "Геология и минералогия", "Морская биология"],
    kz: ["Жас эколог", "Қызықты химия", "Жас биолог", "Астрономия әлемі", "Физика тәжірибелерде", "Геология және минералогия"],
  },
  physical_culture_and_sports: {
    ru: ["Шахматы", "Футбол", "Плавание", "Дзюдо", "Лыжные гонки", "Спортивная гимнастика", "Волейбол", "Настольный теннис", "Самбо", "Баскетбол"],
    kz: ["Шахмат", "Футбол", "Жүзу", "Қазақ күресі", "Тоғызқұмалақ", "Асық ату", "Волейбол", "Дзюдо"],
  },
  arts: {
    ru: ["Изостудия", "Хоровое пение", "Гончарная мастерская", "Театральная студия", "Хореография", "Игра на гитаре", "Фортепиано", "Декоративно-прикладное творчество", "Мультипликация", "Фотостудия"],
    kz: ["Домбыра үйірмесі", "Қобыз сыныбы", "Бейнелеу өнері студиясы", "Қазақ биі", "Хор әні", "Театр студиясы", "Киіз басу шеберханасы", "Ою-өрнек өнері"],
  },
  tourism_and_local_history: {
    ru: ["Юные туристы", "Краеведение", "Спортивное ориентирование", "Школьный музей", "Походы выходного дня", "Альпинизм для начинающих"],
    kz: ["Жас туристер", "Өлкетану", "Спорттық бағдарлау", "Туған өлке тарихы", "Мектеп мұражайы"],
  },
  social_and_humanitarian: {
    ru: ["Английский язык", "Юный журналист", "Лидерство и волонтёрство", "Финансовая грамотность", "Дебатный клуб", "Подготовка к школе", "Риторика", "Психология общения"],
    kz: ["Ағылшын тілі", "Жас журналист", "Қаржылық сауаттылық", "Мектепке дайындық", "Дебат клубы", "Еріктілер қозғалысы", "Шешендік өнер"],
  },
};
const modifiers = {
  ru: ["", " для начинающих", ": продвинутый уровень", " для младших школьников", " — клуб", " (стартовый курс)", " для подростков"],
  kz: ["", " (бастауыш деңгей)", ": жоғары деңгей", " — бастауыш сынып оқушыларына", " клубы", " жасөспірімдерге"],
};
const descriptions = {
  ru: (s: string) => `${s}: занятия в небольших группах с опытными педагогами. Участие в конкурсах, соревнованиях и городских фестивалях; итоговый проект в конце года.`,
  kz: (s: string) => `${s}: шағын топтарда тәжірибелі педагогтармен сабақ. Байқауларға, жарыстарға және қалалық фестивальдерге қатысу; жыл соңында қорытынды жоба.`,
};
const teachers = {
  ru: ["Иванова А. С.", "Петров Д. В.", "Смирнова Е. Н.", "Кузнецов И. А.", "Соколова М. П.", "Морозов С. Г.", "Волкова Т. Ю."],
  kz: ["Абенова Ә. Қ.", "Сериков Н. Б.", "Жумабаева Г. Т.", "Касымов Е. А.", "Ахметова Д. С.", "Омаров Р. Ж."],
};
const qualifications = ["педагог дополнительного образования, высшая категория", "педагог дополнительного образования, первая категория", "тренер-преподаватель, мастер спорта", "қосымша білім беру педагогы, жоғары санат"];
/** Each city's centre, and how far (degrees of latitude, longitude) its addresses spread around it. */
const cities: Record<string, { centre: [number, number]; spread?: [number, number]; streets: string[]; city: string }> = {
  "4101": { centre: [53.0245, 158.6433], city: "Петропавловск-Камчатский", streets: ["ул. Ленинская", "пр. Победы", "ул. Академика Королёва", "ул. Пограничная", "пр. Рыбаков", "ул. Владивостокская"] },
  "1101": { centre: [61.6688, 50.8364], city: "Сыктывкар", streets: ["ул. Коммунистическая", "Октябрьский пр.", "ул. Интернациональная", "ул. Первомайская", "ул. Старовского", "ул. Морозова"] },
  "3501": { centre: [49.8047, 73.1094], city: "Караганда", streets: ["пр. Бухар-Жырау", "ул. Ерубаева", "пр. Нуркена Абдирова", "ул. Гоголя", "ул. Алиханова", "мкр. Степной-2"] },
  // The catalogue benchmark's city of Moscow's scale (issue #20), 40 km across.
  "7701": {
    centre: [55.7558, 37.6173],
    spread: [0.36, 0.6],
    city: "Москва",
    streets: ["ул. Тверская", "Ленинский пр.", "ул. Профсоюзная", "Варшавское ш.", "пр. Мира", "ул. Маросейка", "Кутузовский пр.", "ул. Бутлерова", "Щёлковское ш.", "ул. Вавилова"],
  },
};
const directions = Object.keys(subjects) as Direction[];

export interface ProgramSeed {
  id: string;
  provider_id: string;
  municipality_id: string;
  status: "draft" | "published" | "withdrawn";
  provider_approved: boolean;
  title: string;
  description: string;
  direction: Direction;
  age_min: number;
  age_max: number;
  total_hours: number;
  weekly_hours: number;
  price_per_hour: number;
  currency: "RUB" | "KZT";
  funding_kind: FundingKind;
  certification_number: string | null;
  certification_date: string | null;
  certification_expiry: string | null;
  address: string;
  latitude: number;
  longitude: number;
  teachers: { publicName: string; qualification: string }[];
}

export interface GroupSeed {
  id: string;
  program_id: string;
  capacity: number;
  time_zone: string;
  slots: { weekday: number; start: string; end: string }[];
  starts_on: string;
  ends_on: string;
}

const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;

export function generate(municipalities: DemoMunicipality[], total: number, now: Date): { programs: ProgramSeed[]; groups: GroupSeed[] } {
  const programs: ProgramSeed[] = [];
  const groups: GroupSeed[] = [];
  // The school year the demo runs in: from September of this year (or last, before summer).
  const schoolYear = now.getUTCMonth() >= 6 ? now.getUTCFullYear() : now.getUTCFullYear() - 1;
  const perMunicipality = Math.ceil(total / municipalities.length);
  for (const m of municipalities) {
    const city = cities[m.code]!;
    for (let i = 0; i < perMunicipality && programs.length < total; i++) {
      const provider = pick(m.providers);
      const direction = pick(directions);
      const language = m.code === "3501" && random() < 0.6 ? "kz" : "ru";
      const subject = pick(subjects[direction][language]);
      const fundingRoll = random();
      const fundingKind: FundingKind = fundingRoll < 0.5 ? "financed" : fundingRoll < 0.8 ? "free" : "paid";
      const ageMin = int(5, 12);
      const weekly = pick([2, 3, 4, 6]);
      const price = m.currency === "RUB" ? int(30, 120) * 500 : int(16, 60) * 5_000;
      const statusRoll = random();
      const status = statusRoll < 0.88 ? "published" : statusRoll < 0.95 ? "draft" : "withdrawn";
      const id = uuidv7({ msecs: now.getTime() });
      programs.push({
        id,
        provider_id: provider.id,
        municipality_id: m.id,
        status,
        provider_approved: provider.status === "approved",
        title: `${subject}${pick(modifiers[language])}`,
        description: descriptions[language](subject),
        direction,
        age_min: ageMin,
        age_max: Math.min(CERTIFICATE_AGES.max, ageMin + int(3, 8)),
        total_hours: weekly * 36,
        weekly_hours: weekly,
        price_per_hour: price,
        currency: m.currency,
        funding_kind: fundingKind,
        certification_number: fundingKind === "financed" ? `НОК-${m.code}-${String(programs.length + 1).padStart(5, "0")}` : null,
        certification_date: fundingKind === "financed" ? `${schoolYear}-0${int(1, 6)}-15` : null,
        certification_expiry: fundingKind === "financed" ? `${schoolYear + 2}-12-31` : null,
        address: `${city.city}, ${pick(city.streets)}, ${int(1, 120)}`,
        latitude: city.centre[0] + (random() - 0.5) * (city.spread?.[0] ?? 0.08),
        longitude: city.centre[1] + (random() - 0.5) * (city.spread?.[1] ?? 0.12),
        teachers: Array.from({ length: int(1, 2) }, () => ({ publicName: pick(teachers[language]), qualification: pick(qualifications) })),
      });
      if (status === "draft") continue;
      for (let g = int(1, 3); g > 0; g--) {
        const days = [...new Set(Array.from({ length: int(1, 3) }, () => int(1, 6)))].sort();
        const start = int(18, 38) * 30; // 09:00 to 19:00
        const length = pick([45, 60, 90]);
        groups.push({
          id: uuidv7({ msecs: now.getTime() }),
          program_id: id,
          capacity: int(8, 25),
          time_zone: m.timeZone,
          slots: days.map((weekday) => ({ weekday, start: hhmm(start), end: hhmm(start + length) })),
          starts_on: `${schoolYear}-09-${String(int(1, 15)).padStart(2, "0")}`,
          ends_on: `${schoolYear + 1}-05-31`,
        });
      }
    }
  }
  return { programs, groups };
}

async function insert(tx: PoolClient, programs: ProgramSeed[], groups: GroupSeed[], now: Date): Promise<void> {
  for (let i = 0; i < programs.length; i += 1_000) {
    await tx.query(
      `INSERT INTO programs (id, provider_id, municipality_id, status, provider_approved, title, description, direction, age_min, age_max,
         total_hours, weekly_hours, price_per_hour, currency, funding_kind, certification_number, certification_date, certification_expiry,
         address, latitude, longitude, geo, teachers, created_at, updated_at, published_at)
       SELECT r.id, r.provider_id, r.municipality_id, r.status, r.provider_approved, r.title, r.description, r.direction, r.age_min, r.age_max,
         r.total_hours, r.weekly_hours, r.price_per_hour, r.currency, r.funding_kind, r.certification_number, r.certification_date,
         r.certification_expiry, r.address, r.latitude, r.longitude, ll_to_earth(r.geo_latitude, r.longitude), r.teachers, $2, $2,
         CASE WHEN r.status = 'draft' THEN NULL ELSE $2::timestamptz END
       FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, provider_id uuid, municipality_id uuid, status text, provider_approved boolean, title text,
         description text, direction text, age_min smallint, age_max smallint, total_hours int, weekly_hours int, price_per_hour bigint,
         currency text, funding_kind text, certification_number text, certification_date date, certification_expiry date, address text,
         latitude float8, longitude float8, geo_latitude float8, teachers jsonb)`,
      [JSON.stringify(programs.slice(i, i + 1_000).map((p) => ({ ...p, geo_latitude: geoLatitude(p.id, p.latitude) }))), now],
    );
  }
  const withdrawn = new Set(programs.filter((p) => p.status === "withdrawn").map((p) => p.id));
  for (let i = 0; i < groups.length; i += 2_000) {
    const chunk = JSON.stringify(groups.slice(i, i + 2_000).map((g) => ({ ...g, status: withdrawn.has(g.program_id) ? "closed" : "open" })));
    await tx.query(
      `INSERT INTO groups (id, program_id, capacity, time_zone, slots, starts_on, ends_on, exceptions, status, created_at, updated_at)
       SELECT r.id, r.program_id, r.capacity, r.time_zone, r.slots, r.starts_on, r.ends_on, '[]', r.status, $2, $2
       FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, program_id uuid, capacity int, time_zone text, slots jsonb, starts_on date, ends_on date, status text)`,
      [chunk, now],
    );
    await tx.query(
      // With the program's columns the weekday facets count from (0009), as writeSlots copies them.
      `INSERT INTO group_slots (group_id, program_id, municipality_id, weekday, start_minute, end_minute, has_free_seat,
         direction, funding_kind, listed, age_min, age_max)
       SELECT r.id, r.program_id, p.municipality_id, (s->>'weekday')::smallint,
         (split_part(s->>'start', ':', 1)::int * 60 + split_part(s->>'start', ':', 2)::int)::smallint,
         (split_part(s->>'end', ':', 1)::int * 60 + split_part(s->>'end', ':', 2)::int)::smallint, true,
         p.direction, p.funding_kind, p.status = 'published' AND p.provider_approved, p.age_min, p.age_max
       FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, program_id uuid, slots jsonb, status text)
         JOIN programs p ON p.id = r.program_id, jsonb_array_elements(r.slots) AS s
       WHERE r.status = 'open'`,
      [chunk],
    );
  }
  await tx.query(
    `UPDATE programs p SET free_seats = seats.free
     FROM (SELECT g.program_id, sum(greatest(g.capacity - g.active_enrollments, 0))::int AS free FROM groups g
           WHERE g.status = 'open' AND g.program_id = ANY($1) GROUP BY g.program_id) seats
     WHERE p.id = seats.program_id`,
    [programs.map((p) => p.id)],
  );
}

async function announce(tx: PoolClient, programs: ProgramSeed[], municipalities: DemoMunicipality[], now: Date): Promise<number> {
  const entries: OutboxEntry[] = programs
    .filter((p) => p.status === "published")
    .map((p) => ({
      topic: ProgramPublished.topic,
      event: newEvent(ProgramPublished, { municipalityId: p.municipality_id, aggregateId: p.id }, {
        programId: p.id,
        providerId: p.provider_id,
        title: p.title,
        direction: p.direction,
        ageRange: { min: p.age_min, max: p.age_max },
        totalHours: p.total_hours,
        weeklyHours: p.weekly_hours,
        pricePerHour: p.price_per_hour,
        currency: p.currency,
        fundingKind: p.funding_kind,
        certification: p.certification_number ? { number: p.certification_number, date: p.certification_date!, expiry: p.certification_expiry! } : null,
      }, now),
    }));
  for (const m of municipalities) {
    for (const group of await openGroups(tx, { municipalityId: m.id })) {
      entries.push({ topic: GroupOpened.topic, event: newEvent(GroupOpened, { municipalityId: group.municipalityId, aggregateId: group.data.groupId }, group.data, now) });
    }
  }
  for (let i = 0; i < entries.length; i += 500) await appendToOutbox(tx, entries.slice(i, i + 500));
  return entries.length;
}


async function main(): Promise<void> {
  const config = parseConfig(Config);
  await ensureDatabase(config.DATABASE_URL, config.SERVICE_DATABASE);
  const pool = createPool({ connectionString: withDatabase(config.DATABASE_URL, config.SERVICE_DATABASE), max: 2, applicationName: "catalogue-seed" });
  try {
    await migrateCatalogue(pool);
    const deadline = Date.now() + config.SEED_WAIT_SECONDS * 1000;
    out("waiting until the registry's demo municipalities and approved providers have arrived");
    let municipalities = await demoMunicipalities(pool);
    let stableSince = Date.now();
    let lastCount = -1;
    // Ready when every demo municipality has an approved provider and no new ones arrived for 5 s.
    for (;;) {
      const ready = municipalities.length === demoCodes.length && municipalities.every((m) => m.providers.some((p) => p.status === "approved"));
      const count = municipalities.reduce((n, m) => n + m.providers.length, 0);
      if (count !== lastCount) {
        lastCount = count;
        stableSince = Date.now();
      }
      if (ready && Date.now() - stableSince >= 5_000) break;
      if (Date.now() > deadline) {
        out(`gave up after ${config.SEED_WAIT_SECONDS} s: the registry's demo municipalities ${demoCodes.join(", ")} and their providers never arrived`);
        process.exitCode = 1;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      municipalities = await demoMunicipalities(pool);
    }
    const now = new Date();
    const seeded = await withTransaction(pool, async (tx) => {
      // One seed at a time; each municipality's programs are seeded whole, in this one
      // transaction, so a municipality has all of its demo or none: a second run (or a racing
      // one) seeds only the municipalities that have none.
      await tx.query("SELECT pg_advisory_xact_lock(4242002)");
      const { rows: seeded } = await tx.query<{ id: string }>("SELECT DISTINCT municipality_id AS id FROM programs WHERE municipality_id = ANY($1)", [municipalities.map((m) => m.id)]);
      const missing = municipalities.filter((m) => !seeded.some((s) => s.id === m.id));
      if (missing.length === 0) return undefined;
      // SEED_PROGRAMS is the demo's total over its municipalities: the missing ones get their share.
      const { programs, groups } = generate(missing, Math.ceil((config.SEED_PROGRAMS * missing.length) / municipalities.length), now);
      await insert(tx, programs, groups, now);
      const events = await announce(tx, programs, missing, now);
      return { programs: programs.length, groups: groups.length, events, municipalities: missing.length };
    });
    if (!seeded) out("demo programs present in every demo municipality");
    else out(`${seeded.municipalities} municipalities seeded: ${seeded.programs} programs, ${seeded.groups} groups, ${seeded.events} events in the outbox`);
  } finally {
    await pool.end();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
