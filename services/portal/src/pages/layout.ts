import type { PageContext } from "./context";
import { html, type Html } from "./html";

export interface PageOptions {
  title: string;
  body: Html;
  /** Shown above the page's heading: the form's errors, a confirmation. */
  notice?: Html | undefined;
}

function settingsLink(ctx: PageContext, query: string, label: string): Html {
  return html`<a href="/settings?${query}&amp;back=${encodeURIComponent(ctx.path)}">${label}</a>`;
}

/** The whole document around a page: skip link, header with the menu and settings, main, footer. */
export function layout(ctx: PageContext, options: PageOptions): Html {
  const { t, person } = ctx;
  const role = person?.actor.role;
  const other = ctx.language === "ru" ? { code: "kk", label: "Қазақша" } : { code: "ru", label: "Русский" };
  return html`<!doctype html>
<html lang="${ctx.language}"${ctx.contrast ? html` class="contrast"` : ""}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} — ${t("brand")}</title>
<link rel="stylesheet" href="/assets/portal.css">
<script src="/assets/portal.js" defer></script>
</head>
<body>
<a class="skip" href="#main">${t("skip")}</a>
<header class="top">
  <div class="bar">
    <a class="brand" href="/">${t("brand")}<span class="tagline">${t("tagline")}</span></a>
    <nav aria-label="${t("settings.label")}" class="settings">
      <a href="/settings?lang=${other.code}&amp;back=${encodeURIComponent(ctx.path)}" lang="${other.code}" hreflang="${other.code}">${other.label}</a>
      ${ctx.contrast ? settingsLink(ctx, "contrast=off", t("settings.contrastOff")) : settingsLink(ctx, "contrast=on", t("settings.contrastOn"))}
    </nav>
  </div>
  <nav aria-label="${t("nav.label")}" class="menu">
    <ul>
      <li><a href="/">${t("nav.navigator")}</a></li>
      ${role === "guardian" ? html`<li><a href="/family">${t("nav.family")}</a></li>` : ""}
      ${role === "provider" ? html`<li><a href="/provider">${t("nav.provider")}</a></li>` : ""}
      ${role === "operator" ? html`<li><a href="/office">${t("nav.office")}</a></li>` : ""}
      ${role === "municipality" ? html`<li><a href="/municipality">${t("nav.municipality")}</a></li>` : ""}
      ${role === "region" || role === "ministry" ? html`<li><a href="/dashboard">${t("nav.dashboard")}</a></li>` : ""}
      ${
        person
          ? html`<li class="who">${t("nav.signedInAs", { name: person.displayName })}</li>
      <li><form method="post" action="/sign-out"><input type="hidden" name="_csrf" value="${ctx.csrf}"><button class="link" type="submit">${t("nav.signOut")}</button></form></li>`
          : html`<li><a href="/sign-in">${t("nav.signIn")}</a></li>`
      }
    </ul>
  </nav>
</header>
<main id="main" tabindex="-1">
${options.notice ?? ""}
${options.body}
</main>
<footer class="bottom"><p>${t("footer.text")}</p></footer>
</body>
</html>`;
}

/** The error summary at the top of a form (GOV.UK's pattern): each error links to its field. */
export function errorSummary(ctx: PageContext, errors: Record<string, string>, labels: Record<string, string>): Html {
  const entries = Object.entries(errors);
  if (entries.length === 0) return html``;
  return html`<div class="error-summary" role="alert" tabindex="-1">
  <h2>${ctx.t("form.errors")}</h2>
  <ul>${entries.map(([field, message]) => html`<li>${field ? html`<a href="#${fieldId(field)}">${labels[field] ?? field}: ${message}</a>` : message}</li>`)}</ul>
</div>`;
}

export const fieldId = (field: string) => `f-${field.replace(/[^a-zA-Z0-9_-]/g, "-")}`;

export interface FieldOptions {
  name: string;
  label: string;
  value?: string | undefined;
  error?: string | undefined;
  type?: "text" | "date" | "email" | "tel" | "number" | "time";
  required?: boolean;
  hint?: string;
  autocomplete?: string;
  inputmode?: "numeric" | "decimal";
  min?: number;
  max?: number;
  step?: string;
}

/** A labelled input with its hint and its error beside it. */
export function field(options: FieldOptions): Html {
  const id = fieldId(options.name);
  const described = [options.hint ? `${id}-hint` : "", options.error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return html`<div class="field${options.error ? " has-error" : ""}">
  <label for="${id}">${options.label}</label>
  ${options.hint ? html`<p class="hint" id="${id}-hint">${options.hint}</p>` : ""}
  ${options.error ? html`<p class="error" id="${id}-error">${options.error}</p>` : ""}
  <input id="${id}" name="${options.name}" type="${options.type ?? "text"}" value="${options.value ?? ""}"${options.required ? html` required` : ""}${
    described ? html` aria-describedby="${described}"` : ""
  }${options.error ? html` aria-invalid="true"` : ""}${options.autocomplete ? html` autocomplete="${options.autocomplete}"` : ""}${
    options.inputmode ? html` inputmode="${options.inputmode}"` : ""
  }${options.min !== undefined ? html` min="${options.min}"` : ""}${options.max !== undefined ? html` max="${options.max}"` : ""}${options.step ? html` step="${options.step}"` : ""}>
</div>`;
}

export interface SelectOptions {
  name: string;
  label: string;
  options: readonly { value: string; label: string }[];
  value?: string | undefined;
  error?: string | undefined;
  required?: boolean;
}

export function select(options: SelectOptions): Html {
  const id = fieldId(options.name);
  return html`<div class="field${options.error ? " has-error" : ""}">
  <label for="${id}">${options.label}</label>
  ${options.error ? html`<p class="error" id="${id}-error">${options.error}</p>` : ""}
  <select id="${id}" name="${options.name}"${options.required ? html` required` : ""}${options.error ? html` aria-invalid="true" aria-describedby="${id}-error"` : ""}>
    ${options.options.map((o) => html`<option value="${o.value}"${o.value === options.value ? html` selected` : ""}>${o.label}</option>`)}
  </select>
</div>`;
}

/** The hidden token every form posts (checked against the double-submit cookie). */
export const csrfInput = (ctx: PageContext) => html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`;

export function messagePage(ctx: PageContext, title: string, text: string): Html {
  return layout(ctx, { title, body: html`<h1>${title}</h1><p>${text}</p><p><a href="/">${ctx.t("error.back")}</a></p>` });
}
