// How the settings page's forms become the services' requests and back: a person types money in
// roubles or tenge, lists in lines, dates as dates; the services take minor units, arrays and
// booleans. Each parser checks its own fields first and names the field it refuses (the page
// shows the error beside it), so a service is called only with what could be a request.
import type { Translate } from "../pages/texts";

export type Form = Record<string, string | undefined>;
export type Errors = Record<string, string>;

/** The fields of a service's problem as the form names them: `categories.3.code` is the form's `categories` (one text area). */
export function formFieldsOf(errors: Errors, known: readonly string[]): Errors {
  const folded: Errors = {};
  for (const [name, reason] of Object.entries(errors)) {
    const field = known.find((k) => name === k || name.startsWith(`${k}.`)) ?? name;
    folded[field] ??= reason;
  }
  return folded;
}

const text = (form: Form, name: string) => (form[name] ?? "").trim();

/** A whole number, or the error beside its field. */
export function wholeOf(t: Translate, form: Form, name: string, errors: Errors): number {
  const value = text(form, name);
  if (!/^\d{1,12}$/.test(value)) {
    errors[name] = t("msettings.wholeNumber");
    return 0;
  }
  return Number(value);
}

/** An amount typed in roubles or tenge (`250000`, `1 500,50`) as integer minor units, or the error beside its field. */
export function moneyOf(t: Translate, form: Form, name: string, errors: Errors): number {
  const value = text(form, name).replace(/[\s\u00a0]/g, "");
  const match = /^(\d{1,13})(?:[.,](\d{1,2}))?$/.exec(value);
  if (!match) {
    errors[name] = t("msettings.money");
    return 0;
  }
  return Number(match[1]) * 100 + Number((match[2] ?? "0").padEnd(2, "0"));
}

/** Minor units as the form shows them (250000.00 → "250000,00"): what the person typed back. */
export const moneyText = (minor: number): string => `${Math.floor(minor / 100)},${String(minor % 100).padStart(2, "0")}`;

/** The words of a list typed one per line or separated by commas. */
export const itemsOf = (value: string | undefined): string[] => (value ?? "").split(/[\s,;]+/).filter(Boolean);

/** Dates typed one per line or by commas (YYYY-MM-DD), or the error beside their field. */
export function datesOf(t: Translate, form: Form, name: string, errors: Errors): string[] {
  const dates = itemsOf(form[name]);
  if (dates.some((d) => !/^\d{4}-\d{2}-\d{2}$/.test(d))) errors[name] = t("msettings.dates");
  return dates;
}

/** Lines of "word number" (a category and its coefficient or percent), or the error beside their field. */
export function pairsOf(t: Translate, form: Form, name: string, errors: Errors): { code: string; value: number }[] {
  const lines = (form[name] ?? "").split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const pairs: { code: string; value: number }[] = [];
  for (const line of lines) {
    const match = /^([a-z][a-z0-9_]{1,39})[\s:=]+(\d{1,3}(?:[.,]\d{1,3})?)$/.exec(line);
    if (!match) {
      errors[name] = t("msettings.pairs", { line });
      return [];
    }
    pairs.push({ code: match[1]!, value: Number(match[2]!.replace(",", ".")) });
  }
  return pairs;
}

/** A checkbox posts its value only when ticked. */
export const ticked = (form: Form, name: string): boolean => form[name] === "true";

/** An optional date (YYYY-MM-DD, as a date field posts it): undefined when left empty, or the error beside its field. */
export function optionalDateOf(t: Translate, form: Form, name: string, errors: Errors): string | undefined {
  const value = text(form, name);
  if (value === "") return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) errors[name] = t("msettings.date");
  return value;
}

/** A year in the address, or this one. */
export function yearOf(value: unknown, fallback: number): number {
  const year = typeof value === "string" && /^\d{4}$/.test(value) ? Number(value) : NaN;
  return year >= 2000 && year <= 2100 ? year : fallback;
}
