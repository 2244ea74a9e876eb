// Demo data for `npm start`, through the registry's own HTTP API (so every event reaches Kafka
// through the outbox, as in production): three municipalities with this year's and next
// year's rules, providers of every kind in every state, and a few thousand children with
// guardians and certificates, some financed.
// Idempotent per item: every family, provider and document is drawn from a generator seeded by
// its municipality and number, so a second run (or one after a run stopped half-way) meets the
// same items, finds each that exists (the registry refuses a second person with the same
// document; the seed then reads the record's id from its own database) and adds only what is
// missing.
import { createHash } from "node:crypto";
import type { Actor } from "@kruzhok/actor";
import { DEV_AUTH_SECRET, signDevToken } from "@kruzhok/http";
import { createPool, withDatabase, type Pool } from "@kruzhok/postgres";
import { documentHash, type DocumentKind } from "../src/domain/documents";
import { childByDocumentHash, guardianByDocumentHash } from "../src/store/child-imports";

const base = process.env.REGISTRY_URL ?? `http://127.0.0.1:${process.env.PORT ?? "3001"}`;
const secret = process.env.AUTH_DEV_SECRET ?? DEV_AUTH_SECRET;
const childrenPerMunicipality = Number(process.env.SEED_CHILDREN ?? "1000");
const databaseUrl = withDatabase(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres", process.env.SERVICE_DATABASE ?? "registry");
const out = (line: string) => process.stdout.write(`${line}\n`);

/** A generator of its own for one item, the same on every run: `draw(n)` is in [0, n). */
function generator(seed: string): (n: number) => number {
  let state = createHash("sha256").update(seed).digest().readUInt32LE(0) || 1;
  return (n) => {
    // xorshift32: small, and enough for names and document numbers.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % n;
  };
}
type Draw = ReturnType<typeof generator>;
const between = (draw: Draw, min: number, max: number) => min + draw(max - min);

async function call<T>(actor: Actor | undefined, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const headers: Record<string, string> = {};
  if (actor) headers.authorization = `Bearer ${await signDevToken(actor, { secret })}`;
  // The basis is stated per request, not in the token: an office acting for a family says how
  // the family asked (packages/actor basis.ts).
  if (actor?.basis) {
    const { kind, reference } = actor.basis;
    headers["acting-basis"] = reference === null ? kind : `${kind}; ref=${encodeURIComponent(reference)}`;
  }
  if (body !== undefined) headers["content-type"] = "application/json";
  for (;;) {
    const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
    // A polite client: wait as long as the rate limiter asks, then try again.
    if (res.status === 429) {
      await res.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 1_000 * Number(res.headers.get("retry-after") ?? "1")));
      continue;
    }
    return { status: res.status, json: (await res.json()) as T };
  }
}

async function must<T>(actor: Actor | undefined, method: string, path: string, body?: unknown): Promise<T> {
  const res = await call<T>(actor, method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path} -> ${res.status}: ${JSON.stringify(res.json)}`);
  return res.json;
}

/** Run `work` over `items` with at most `limit` in flight. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index] as T, index);
      }
    }),
  );
}

/** The official of a municipality's region: a region token reaches its own region's municipalities only. */
const officialOf = (regionCode: string): Actor => ({ subject: `seed-region-${regionCode}`, role: "region", regionCode });
const year = new Date().getUTCFullYear();
/** Proofs of the demo categories were issued two months ago: in force today, whatever the day of the year. */
const proofIssuedOn = new Date(Date.now() - 60 * 86_400_000).toISOString().slice(0, 10);

const russianCategories = ["orphan", "disability", "large_family", "low_income", "special_needs", "serviceman_child", "police_register"];
const kazakhCategories = [
  "orphan", "disability", "large_family", "low_income", "special_needs", "serviceman_child",
  "police_register", "single_parent", "disabled_parent", "repatriate", "rural_teacher_child", "gifted",
];
const categories = (codes: string[]) =>
  codes.map((code) => ({ code, coefficient: code === "disability" || code === "special_needs" ? 2 : code === "orphan" ? 1.5 : 1.2 }));

const municipalities = [
  { code: "4101", name: "Петропавловск-Камчатский городской округ", regionCode: "41", timeZone: "Asia/Kamchatka", currency: "RUB" as const, kz: false, nominal: 2_100_000, cats: russianCategories },
  { code: "1101", name: "Городской округ Сыктывкар", regionCode: "11", timeZone: "Europe/Moscow", currency: "RUB" as const, kz: false, nominal: 1_650_000, cats: russianCategories },
  { code: "3501", name: "Город Караганда", regionCode: "35", timeZone: "Asia/Almaty", currency: "KZT" as const, kz: true, nominal: 15_000_000, cats: kazakhCategories },
];

const names = {
  ruBoys: ["Александр", "Максим", "Иван", "Артём", "Михаил", "Даниил", "Кирилл", "Егор", "Тимофей", "Матвей"],
  ruGirls: ["Анна", "Мария", "София", "Алиса", "Виктория", "Полина", "Ева", "Варвара", "Дарья", "Ксения"],
  ruLast: ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков"],
  kzBoys: ["Алихан", "Нурсултан", "Ерасыл", "Арсен", "Данияр", "Айдос", "Темирлан", "Алижан", "Ернар", "Асхат"],
  kzGirls: ["Айару", "Аружан", "Томирис", "Амина", "Айым", "Жансая", "Дильназ", "Камила", "Мадина", "Сабина"],
  kzLast: ["Абенов", "Нурланов", "Сериков", "Жумабаев", "Касымов", "Ахметов", "Искаков", "Омаров", "Тулегенов", "Байжанов"],
};
const pick = <T>(draw: Draw, list: readonly T[]): T => list[draw(list.length)] as T;
const feminine = (last: string) => (last.endsWith("ов") || last.endsWith("ев") || last.endsWith("ин") ? `${last}а` : last);

/** A valid IIN for a birth date, with the serial varied until the check digit is not 10. */
function iin(draw: Draw, birthDate: string, female: boolean): string {
  const [y, m, d] = birthDate.split("-");
  const century = Number(y) >= 2000 ? (female ? 6 : 5) : female ? 4 : 3;
  for (;;) {
    const body = `${y!.slice(2)}${m}${d}${century}${String(draw(10_000)).padStart(4, "0")}`;
    const digits = [...body].map(Number);
    const sum = (weights: number[]) => weights.reduce((acc, w, i) => acc + w * digits[i]!, 0) % 11;
    let check = sum([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    if (check === 10) check = sum([3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]);
    if (check !== 10) return `${body}${check}`;
  }
}

const romans = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"];
const cyr = "АБВГДЕЖИКЛМНОПРСТУФХ";
const birthCertificate = (draw: Draw) => `${pick(draw, romans)}-${pick(draw, [...cyr])}${pick(draw, [...cyr])} ${String(draw(1_000_000)).padStart(6, "0")}`;
const passport = (draw: Draw) => `${String(between(draw, 10, 99))} ${String(between(draw, 10, 99))} ${String(draw(1_000_000)).padStart(6, "0")}`;

function birthDateOfAge(draw: Draw, age: number): string {
  const today = new Date();
  const date = new Date(Date.UTC(today.getUTCFullYear() - age, draw(12), 1 + draw(28)));
  if (date > new Date(Date.UTC(today.getUTCFullYear() - age, today.getUTCMonth(), today.getUTCDate()))) date.setUTCFullYear(date.getUTCFullYear() - 1);
  return date.toISOString().slice(0, 10);
}

interface Municipality {
  id: string;
  code: string;
}

/** The record a document already names, when the registry refused a second one. */
async function existing(pool: Pool, table: "guardians" | "children", kind: DocumentKind, number: string): Promise<string> {
  const hash = documentHash(kind, number);
  const found = table === "guardians" ? await guardianByDocumentHash(pool, hash) : await childByDocumentHash(pool, hash);
  if (!found) throw new Error(`the registry refused a ${table === "guardians" ? "guardian" : "child"} as registered already, but none has the document`);
  return found.id;
}

/** The municipality, created if missing; its rules for this year and the next, set if missing. */
async function municipalityOf(m: (typeof municipalities)[number], known: Municipality[]): Promise<string> {
  const region = officialOf(m.regionCode);
  const id =
    known.find((k) => k.code === m.code)?.id ??
    (await must<{ id: string }>(region, "POST", "/municipalities", { code: m.code, name: m.name, regionCode: m.regionCode, timeZone: m.timeZone, currency: m.currency })).id;
  const settings = {
    nominal: m.nominal,
    budget: m.nominal * childrenPerMunicipality * 2,
    financedCap: Math.floor(childrenPerMunicipality * 0.6),
    childrenPopulation: childrenPerMunicipality * 12,
    categories: categories(m.cats),
    maxOpenApplications: 5,
    deadlines: { offerAcceptanceDays: 5, providerReviewWorkingDays: 3, monthCloseDay: 5 },
  };
  for (const y of [year, year + 1]) {
    // A saved year is a version in its history: set only when none is, so runs add no versions.
    if ((await call(region, "GET", `/municipalities/${id}/years/${y}`)).status === 404) await must(region, "PUT", `/municipalities/${id}/years/${y}`, settings);
  }
  return id;
}

const providerKinds = ["municipal", "state", "private", "entrepreneur", "private", "municipal", "private", "entrepreneur"] as const;

/** The demo's providers, each in its state: the seventh rejected, the eighth suspended, the rest approved. */
async function seedProviders(m: (typeof municipalities)[number], id: string, office: Actor): Promise<number> {
  const region = officialOf(m.regionCode);
  const providerNames = m.kz
    ? ["КГУ «Дворец школьников»", "Областной центр детского творчества", "ТОО «Робошкола»", "ИП Сериков — шахматы", "ТОО «Art Studio Qaragandy»", "Спортивная школа №3", "ТОО «English Kids»", "ИП Ахметова — домбра"]
    : ["МБУ ДО «Центр детского творчества»", "ГАУ ДО «Региональный центр «Кванториум»»", "АНО ДО «Робототехника»", "ИП Соколов — шахматная школа", "ООО «Студия рисования «Палитра»»", "МБУ ДО «Спортивная школа №2»", "ЧОУ «Лингва-Кидс»", "ИП Волкова — гончарная мастерская"];
  const present = await must<{ id: string; name: string; status: string }[]>(region, "GET", `/municipalities/${id}/providers`);
  let added = 0;
  for (const [i, kind] of providerKinds.entries()) {
    const draw = generator(`${m.code}:provider:${i}`);
    let provider = present.find((p) => p.name === providerNames[i]);
    if (!provider) {
      provider = await must<{ id: string; name: string; status: string }>(office, "POST", "/providers", {
        municipalityId: id,
        kind,
        name: providerNames[i],
        taxId: kind === "entrepreneur" ? `${m.code}${String(draw(1e8)).padStart(8, "0")}` : `${m.code}${String(draw(1e6)).padStart(6, "0")}`,
        licence: { number: `Л035-${m.code}-${i}`, issuedOn: "2024-02-01" },
      });
      added++;
    }
    // Vetting picks up where a stopped run left it: an applied provider is decided now.
    if (provider.status !== "applied") continue;
    if (i === 6) {
      await must(region, "POST", `/providers/${provider.id}/rejection`, { reasons: ["the premises have no fire safety certificate"] });
      continue;
    }
    await must(region, "PUT", `/providers/${provider.id}/checks`, { staff: "passed", premises: "passed", safety: "passed" });
    await must(region, "POST", `/providers/${provider.id}/approval`, {});
    if (i === 7) await must(region, "POST", `/providers/${provider.id}/suspension`, { reason: "complaint under review" });
  }
  return added;
}

interface ChildOutcome {
  certificate: "issued" | "present" | "none";
  financed: boolean;
}

/** The n-th family of a municipality: guardian, child, certificate, and financing for about half. */
async function seedFamily(pool: Pool, m: (typeof municipalities)[number], id: string, office: Actor, n: number): Promise<ChildOutcome> {
  const draw = generator(`${m.code}:family:${n}`);
  const female = draw(2) === 0;
  const last = m.kz ? pick(draw, names.kzLast) : pick(draw, names.ruLast);
  const birthDate = birthDateOfAge(draw, between(draw, 5, 18));
  const guardianDocument = m.kz
    ? { kind: "iin" as const, number: iin(draw, birthDateOfAge(draw, 30 + draw(15)), true) }
    : { kind: "passport" as const, number: passport(draw) };
  const guardianFirst = m.kz ? pick(draw, names.kzGirls) : pick(draw, names.ruGirls);
  const phone = `+7${String(between(draw, 1e9, 1e10))}`;
  const withCategory = draw(4) === 0;
  const cats = withCategory
    ? [{ code: pick(draw, m.cats.slice(0, 5)), proof: { kind: "справка органа соцзащиты", number: String(between(draw, 1e5, 1e6)), issuer: "Управление социальной защиты", issuedOn: proofIssuedOn } }]
    : [];
  const childFirst = female ? pick(draw, m.kz ? names.kzGirls : names.ruGirls) : pick(draw, m.kz ? names.kzBoys : names.ruBoys);
  const childDocument = m.kz ? { kind: "iin" as const, number: iin(draw, birthDate, female) } : { kind: "birth_certificate" as const, number: birthCertificate(draw) };
  const wantsFinancing = draw(2) === 0;

  const guardian = await call<{ id: string }>(office, "POST", "/guardians", {
    firstName: guardianFirst,
    lastName: feminine(last),
    phone,
    document: guardianDocument,
    municipalityId: id,
  });
  if (guardian.status !== 201 && guardian.status !== 409) throw new Error(`POST /guardians -> ${guardian.status}: ${JSON.stringify(guardian.json)}`);
  const guardianId = guardian.status === 201 ? guardian.json.id : await existing(pool, "guardians", guardianDocument.kind, guardianDocument.number);
  const child = await call<{ id: string }>(office, "POST", "/children", {
    firstName: childFirst,
    lastName: female ? feminine(last) : last,
    birthDate,
    document: childDocument,
    guardianIds: [guardianId],
    categories: cats,
  });
  // 409: this family is here already (this run's generator drew it before), or another family
  // drew the same document by chance; either way the child is registered. Another refusal (a
  // proof dated after a registry's development clock) skips the family, as a clerk would.
  if (child.status !== 201 && child.status !== 409) return { certificate: "none", financed: false };
  const childId = child.status === 201 ? child.json.id : await existing(pool, "children", childDocument.kind, childDocument.number);
  const certificate = await call<{ id: string }>(office, "POST", "/certificates", { childId });
  let certificateId: string | undefined;
  if (certificate.status === 201) certificateId = certificate.json.id;
  else {
    const held = await call<{ id: string }>(office, "GET", `/children/${childId}/certificate`);
    certificateId = held.status === 200 ? held.json.id : undefined;
  }
  if (!certificateId) return { certificate: "none", financed: false };
  const financed = wantsFinancing && (await call(office, "POST", `/certificates/${certificateId}/financing`)).status === 200;
  return { certificate: certificate.status === 201 ? "issued" : "present", financed };
}

async function main(): Promise<void> {
  const pool = createPool({ connectionString: databaseUrl, max: 2, applicationName: "registry-seed" });
  try {
    const known = await must<Municipality[]>(undefined, "GET", "/municipalities");
    for (const m of municipalities) {
      const id = await municipalityOf(m, known);
      const office: Actor = { subject: `seed-office-${m.code}`, role: "operator", municipalityId: id, basis: { kind: "in_person_visit", reference: null } };
      // The office has many clerks; each has their own rate allowance.
      const clerk = (n: number): Actor => ({ ...office, subject: `seed-clerk-${m.code}-${n % 40}` });
      const providers = await seedProviders(m, id, office);
      let issued = 0;
      let present = 0;
      let financed = 0;
      let done = 0;
      await inParallel(Array.from({ length: childrenPerMunicipality }), 12, async (_, n) => {
        const outcome = await seedFamily(pool, m, id, clerk(n), n);
        if (outcome.certificate === "issued") issued++;
        if (outcome.certificate === "present") present++;
        if (outcome.financed) financed++;
        done++;
        // Progress for `npm start`: a line every tenth of the municipality's families.
        if (done % Math.max(1, Math.round(childrenPerMunicipality / 10)) === 0) out(`registry: ${m.name}: ${done}/${childrenPerMunicipality} families`);
      });
      out(`registry: ${m.name}: ${providers} providers added (${providerKinds.length} in the demo), ${issued} certificates issued (${financed} financed), ${present} present already`);
    }
  } finally {
    await pool.end();
  }
}

await main();
