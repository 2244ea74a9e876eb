// Templates as typed functions over one tagged template: every interpolated value is escaped
// unless it is already `Html` (the output of another template), so a name a family typed can
// never become markup.

const HTML_BRAND = Symbol("html");

export interface Html {
  readonly [HTML_BRAND]: true;
  readonly text: string;
}

type Part = Html | string | number | null | undefined | false | readonly Part[];

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function isHtml(value: unknown): value is Html {
  return typeof value === "object" && value !== null && HTML_BRAND in value;
}

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return "";
  if (isHtml(part)) return part.text;
  if (typeof part === "string") return escapeHtml(part);
  if (typeof part === "number") return String(part);
  return part.map(render).join("");
}

/** Markup whose every `${value}` is escaped (arrays joined, null/undefined/false nothing). */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let text = strings[0] ?? "";
  values.forEach((value, i) => {
    text += render(value) + (strings[i + 1] ?? "");
  });
  return { [HTML_BRAND]: true, text };
}

/** Markup from a trusted constant (never from input). */
export function trusted(text: string): Html {
  return { [HTML_BRAND]: true, text };
}
