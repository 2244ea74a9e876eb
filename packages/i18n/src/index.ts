/**
 * The languages families and staff read Kruzhok in, and the words every service shares: the
 * human names of social categories, counts with their grammatical forms, weekdays. Russian and
 * Kazakh; English only where a developer reads (problem documents when asked for it).
 */

export const FamilyLanguages = ["ru", "kk"] as const;
export type FamilyLanguage = (typeof FamilyLanguages)[number];

/** Text in each family language. */
export type Localized = Record<FamilyLanguage, string>;

/**
 * The best of `supported` for an Accept-Language header (RFC 9110 §12.5.4: q-values, a range's
 * primary tag matching `kk-KZ`, `*` for any); `fallback` when the header names none of them.
 */
export function negotiateLanguage<L extends string>(header: string | readonly string[] | undefined, supported: readonly L[], fallback: L): L {
  if (typeof header !== "string") return header && header.length > 0 ? negotiateLanguage(header.join(","), supported, fallback) : fallback;
  if (!header) return fallback;
  let best: { language: L; q: number; order: number } | undefined;
  header.split(",").forEach((part, order) => {
    const [range = "", ...params] = part.trim().split(";");
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!(q > 0) || q > 1) return;
    const tag = range.trim().toLowerCase();
    const language = tag === "*" ? fallback : supported.find((s) => s === tag || tag.startsWith(`${s}-`));
    if (language === undefined) return;
    if (!best || q > best.q || (q === best.q && order < best.order)) best = { language, q, order };
  });
  return best?.language ?? fallback;
}

/** What a family reads (explanations, movements), from an Accept-Language header: Russian or Kazakh, Russian when it names neither. */
export function familyLanguage(header: string | readonly string[] | undefined): FamilyLanguage {
  return negotiateLanguage(header, FamilyLanguages, "ru");
}

/** Human names of the categories municipalities commonly list; any other code is shown as it is listed. */
const categoryNames: Record<string, Localized> = {
  low_income: { ru: "малоимущая семья", kk: "аз қамтылған отбасы" },
  large_family: { ru: "многодетная семья", kk: "көп балалы отбасы" },
  disability: { ru: "ребёнок с инвалидностью", kk: "мүгедектігі бар бала" },
  disabled: { ru: "ребёнок с инвалидностью", kk: "мүгедектігі бар бала" },
  special_needs: { ru: "ребёнок с ОВЗ", kk: "ерекше білім беру қажеттілігі бар бала" },
  orphan: { ru: "ребёнок-сирота или оставшийся без попечения родителей", kk: "жетім бала немесе ата-анасының қамқорлығынсыз қалған бала" },
  foster: { ru: "приёмная семья", kk: "қабылдаушы отбасы" },
};

export function categoryName(code: string, language: FamilyLanguage): string {
  return categoryNames[code]?.[language] ?? code;
}

/** Russian's three forms of a noun after a number (1 ребёнок, 2 ребёнка, 5 детей). */
export function russianForm(n: number, one: string, few: string, many: string): string {
  const tens = n % 100;
  const units = n % 10;
  if (tens >= 11 && tens <= 14) return many;
  if (units === 1) return one;
  if (units >= 2 && units <= 4) return few;
  return many;
}

/** "3 ребёнка" / "3 бала": a count of children (a Kazakh noun after a number keeps its one form). */
export function children(n: number, language: FamilyLanguage): string {
  return language === "ru" ? `${n} ${russianForm(n, "ребёнок", "ребёнка", "детей")}` : `${n} бала`;
}

const weekdays: Record<FamilyLanguage, readonly string[]> = {
  ru: ["пн", "вт", "ср", "чт", "пт", "сб", "вс"],
  kk: ["дс", "сс", "ср", "бс", "жм", "сб", "жс"],
};

/** The short name of an ISO weekday (1 Monday … 7 Sunday). */
export function weekdayShort(isoWeekday: number, language: FamilyLanguage): string {
  return weekdays[language][isoWeekday - 1] ?? String(isoWeekday);
}

/**
 * A group as a family names it: its program's title and its lesson times, «Робототехника»,
 * вт 15:00–16:30, чт 15:00–16:30.
 */
export function groupName(programTitle: string | null, slots: readonly { weekday: number; start: string; end: string }[], language: FamilyLanguage): string {
  const title = programTitle ? `«${programTitle}»` : language === "ru" ? "группа" : "топ";
  const times = slots.map((s) => `${weekdayShort(s.weekday, language)} ${s.start}–${s.end}`).join(", ");
  return times ? `${title}, ${times}` : title;
}
