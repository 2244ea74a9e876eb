// Demo data for `npm start`, through the registry's own HTTP API (so every event reaches Kafka
// through the outbox, as in production): three municipalities with this year's and next
// year's rules, providers of every kind in every state, and a few thousand children with
// guardians and certificates, some financed. Idempotent: a second run finds the municipalities
// and stops.
import { randomInt } from "node:crypto";
import type { Actor } from "@kruzhok/actor";
import { DEV_AUTH_SECRET, signDevToken } from "@kruzhok/http";

const base = process.env.REGISTRY_URL ?? `http://127.0.0.1:${process.env.PORT ?? "3001"}`;
const secret = process.env.AUTH_DEV_SECRET ?? DEV_AUTH_SECRET;
const childrenPerMunicipality = Number(process.env.SEED_CHILDREN ?? "1000");
const out = (line: string) => process.stdout.write(`${line}\n`);

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
const pick = <T>(list: readonly T[]): T => list[randomInt(list.length)] as T;
const feminine = (last: string) => (last.endsWith("ов") || last.endsWith("ев") || last.endsWith("ин") ? `${last}а` : last);

/** A valid IIN for a birth date, with the serial varied until the check digit is not 10. */
function iin(birthDate: string, female: boolean): string {
  const [y, m, d] = birthDate.split("-");
  const century = Number(y) >= 2000 ? (female ? 6 : 5) : female ? 4 : 3;
  for (;;) {
    const body = `${y!.slice(2)}${m}${d}${century}${String(randomInt(10_000)).padStart(4, "0")}`;
    const digits = [...body].map(Number);
    const sum = (weights: number[]) => weights.reduce((acc, w, i) => acc + w * digits[i]!, 0) % 11;
    let check = sum([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    if (check === 10) check = sum([3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]);
    if (check !== 10) return `${body}${check}`;
  }
}

const romans = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"];
const cyr = "АБВГДЕЖИКЛМНОПРСТУФХ";
const birthCertificate = () => `${pick(romans)}-${pick([...cyr])}${pick([...cyr])} ${String(randomInt(1_000_000)).padStart(6, "0")}`;
const passport = () => `${String(randomInt(10, 99))} ${String(randomInt(10, 99))} ${String(randomInt(1_000_000)).padStart(6, "0")}`;

function birthDateOfAge(age: number): string {
  const today = new Date();
  const date = new Date(Date.UTC(today.getUTCFullYear() - age, randomInt(12), 1 + randomInt(28)));
  if (date > new Date(Date.UTC(today.getUTCFullYear() - age, today.getUTCMonth(), today.getUTCDate()))) date.setUTCFullYear(date.getUTCFullYear() - 1);
  return date.toISOString().slice(0, 10);
}

async function main(): Promise<void> {
  const existing = new Set((await must<{ code: string }[]>(undefined, "GET", "/municipalities")).map((m) => m.code));
  if (municipalities.every((m) => existing.has(m.code))) {
    out("registry: demo data already present");
    return;
  }
  for (const m of municipalities) {
    if (existing.has(m.code)) continue;
    const region = officialOf(m.regionCode);
    const { id } = await must<{ id: string }>(region, "POST", "/municipalities", {
      code: m.code, name: m.name, regionCode: m.regionCode, timeZone: m.timeZone, currency: m.currency,
    });
    const settings = {
      nominal: m.nominal,
      budget: m.nominal * childrenPerMunicipality * 2,
      financedCap: Math.floor(childrenPerMunicipality * 0.6),
      childrenPopulation: childrenPerMunicipality * 12,
      categories: categories(m.cats),
      maxOpenApplications: 5,
      deadlines: { offerAcceptanceDays: 5, providerReviewWorkingDays: 3, monthCloseDay: 5 },
    };
    await must(region, "PUT", `/municipalities/${id}/years/${year}`, settings);
    await must(region, "PUT", `/municipalities/${id}/years/${year + 1}`, settings);
    const office: Actor = { subject: `seed-office-${m.code}`, role: "operator", municipalityId: id, basis: { kind: "in_person_visit", reference: null } };
    // The office has many clerks; each has their own rate allowance.
    const clerk = (n: number): Actor => ({ ...office, subject: `seed-clerk-${m.code}-${n % 40}` });

    const providerKinds = ["municipal", "state", "private", "entrepreneur", "private", "municipal", "private", "entrepreneur"] as const;
    const providerNames = m.kz
      ? ["КГУ «Дворец школьников»", "Областной центр детского творчества", "ТОО «Робошкола»", "ИП Сериков — шахматы", "ТОО «Art Studio Qaragandy»", "Спортивная школа №3", "ТОО «English Kids»", "ИП Ахметова — домбра"]
      : ["МБУ ДО «Центр детского творчества»", "ГАУ ДО «Региональный центр «Кванториум»»", "АНО ДО «Робототехника»", "ИП Соколов — шахматная школа", "ООО «Студия рисования «Палитра»»", "МБУ ДО «Спортивная школа №2»", "ЧОУ «Лингва-Кидс»", "ИП Волкова — гончарная мастерская"];
    for (const [i, kind] of providerKinds.entries()) {
      const provider = await must<{ id: string }>(office, "POST", "/providers", {
        municipalityId: id,
        kind,
        name: providerNames[i],
        taxId: kind === "entrepreneur" ? `${m.code}${String(randomInt(1e8)).padStart(8, "0")}` : `${m.code}${String(randomInt(1e6)).padStart(6, "0")}`,
        licence: { number: `Л035-${m.code}-${i}`, issuedOn: "2024-02-01" },
      });
      if (i === 6) {
        await must(region, "POST", `/providers/${provider.id}/rejection`, { reasons: ["the premises have no fire safety certificate"] });
        continue;
      }
      await must(region, "PUT", `/providers/${provider.id}/checks`, { staff: "passed", premises: "passed", safety: "passed" });
      await must(region, "POST", `/providers/${provider.id}/approval`, {});
      if (i === 7) await must(region, "POST", `/providers/${provider.id}/suspension`, { reason: "complaint under review" });
    }

    let issued = 0;
    let financed = 0;
    await inParallel(Array.from({ length: childrenPerMunicipality }), 12, async (_, n) => {
      const office = clerk(n);
      const female = randomInt(2) === 0;
      const last = m.kz ? pick(names.kzLast) : pick(names.ruLast);
      const birthDate = birthDateOfAge(randomInt(5, 18));
      const guardian = await must<{ id: string }>(office, "POST", "/guardians", {
        firstName: m.kz ? pick(names.kzGirls) : pick(names.ruGirls),
        lastName: feminine(last),
        phone: `+7${String(randomInt(1e9, 1e10))}`,
        document: m.kz ? { kind: "iin", number: iin(birthDateOfAge(30 + randomInt(15)), true) } : { kind: "passport", number: passport() },
        municipalityId: id,
      });
      const cats = randomInt(4) === 0 ? [{ code: pick(m.cats.slice(0, 5)), proof: { kind: "справка органа соцзащиты", number: String(randomInt(1e5, 1e6)), issuer: "Управление социальной защиты", issuedOn: proofIssuedOn } }] : [];
      const child = await call<{ id: string }>(office, "POST", "/children", {
        firstName: female ? pick(m.kz ? names.kzGirls : names.ruGirls) : pick(m.kz ? names.kzBoys : names.ruBoys),
        lastName: female ? feminine(last) : last,
        birthDate,
        document: m.kz ? { kind: "iin", number: iin(birthDate, female) } : { kind: "birth_certificate", number: birthCertificate() },
        guardianIds: [guardian.id],
        categories: cats,
      });
      if (child.status !== 201) return; // a random document that collided: skip this child
      const certificate = await call<{ id: string }>(office, "POST", "/certificates", { childId: child.json.id });
      if (certificate.status !== 201) return;
      issued++;
      if (randomInt(2) === 0 && (await call(office, "POST", `/certificates/${certificate.json.id}/financing`)).status === 200) financed++;
    });
    out(`registry: ${m.name}: ${providerKinds.length} providers, ${issued} certificates (${financed} financed)`);
  }
}

await main();
