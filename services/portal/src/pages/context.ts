// What every page is drawn with: the person's language, their session (if signed in), the
// form token, the display mode, and formatters in the language.
import type { Actor } from "@kruzhok/actor";
import type { FamilyLanguage } from "@kruzhok/i18n";
import { translator, type Translate } from "./texts";

export interface PageContext {
  language: FamilyLanguage;
  t: Translate;
  /** The signed-in person, if any. */
  person: { actor: Actor; displayName: string; token: string } | undefined;
  /** The value every form carries in `_csrf` (the double-submit cookie's). */
  csrf: string;
  /** High contrast and large text (a version for the visually impaired). */
  contrast: boolean;
  /** The page's path and query, for links back to it (language, contrast). */
  path: string;
  requestId: string;
  format: Formatters;
}

const LOCALES: Record<FamilyLanguage, string> = { ru: "ru-RU", kk: "kk-KZ" };

export interface Formatters {
  /** Integer minor units of `currency` as a person reads them (1 500,00 ₽). */
  money(amountMinor: number, currency: string): string;
  /** A calendar date (YYYY-MM-DD) as words: 5 сентября 2026 г. */
  date(isoDate: string): string;
  /** An instant in a municipality's zone: 5 сентября, 18:00. */
  instant(iso: string, timeZone: string): string;
  /** Weekday 1 (Monday) to 7 as a short word. */
  weekday(day: number): string;
}

export function formatters(language: FamilyLanguage): Formatters {
  const locale = LOCALES[language];
  const dateFormat = new Intl.DateTimeFormat(locale, { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
  const weekdayFormat = new Intl.DateTimeFormat(locale, { weekday: "short", timeZone: "UTC" });
  const moneyFormats = new Map<string, Intl.NumberFormat>();
  // One formatter per zone (a handful of municipalities' zones): building one costs more than formatting.
  const instantFormats = new Map<string, Intl.DateTimeFormat>();
  return {
    money(amountMinor, currency) {
      let format = moneyFormats.get(currency);
      if (!format) {
        format = new Intl.NumberFormat(locale, { style: "currency", currency, minimumFractionDigits: 2 });
        moneyFormats.set(currency, format);
      }
      // Minor units are integers; dividing by 100 is exact enough for display of both currencies' 2 digits.
      return format.format(amountMinor / 100);
    },
    date: (isoDate) => dateFormat.format(new Date(`${isoDate.slice(0, 10)}T00:00:00Z`)),
    instant(iso, timeZone) {
      let format = instantFormats.get(timeZone);
      if (!format) {
        format = new Intl.DateTimeFormat(locale, { day: "numeric", month: "long", hour: "2-digit", minute: "2-digit", timeZone });
        instantFormats.set(timeZone, format);
      }
      return format.format(new Date(iso));
    },
    // 2024-01-01 was a Monday.
    weekday: (day) => weekdayFormat.format(new Date(Date.UTC(2024, 0, day))),
  };
}

const cache = new Map<FamilyLanguage, { t: Translate; format: Formatters }>();

export function languageTools(language: FamilyLanguage): { t: Translate; format: Formatters } {
  let tools = cache.get(language);
  if (!tools) {
    tools = { t: translator(language), format: formatters(language) };
    cache.set(language, tools);
  }
  return tools;
}
