// The monthly indicator report as of any date (issue #18): a GET form (the date; a ministry of
// every region also the region; a municipality of the person's region, or the whole region),
// the report as a table, and its CSV and XLSX as statistics makes them (/statistics/report.csv,
// .xlsx), passed through byte for byte. Statistics decides the reach and the suppression; a
// refusal of a field shows beside it.
import type { FastifyInstance } from "fastify";
import { fieldErrorsOf } from "../api/client";
import type { PageContext } from "../pages/context";
import { html, type Html } from "../pages/html";
import { errorSummary, field, layout, select } from "../pages/layout";
import { isTextKey } from "../pages/texts";
import { REGION_CODE, cellText, currencyOf, everyRegion, monthName, refusedPage, regionsOf, type OfficialPagesOptions, type StatCell, type ValueKind } from "./dashboard-cells";
import { fetchFile } from "./dashboard-upstream";
import { asPerson, personOf, sendPage } from "./web";

interface Report {
  asOf: string;
  month: string;
  scope: "municipality" | "region";
  regionCode: string;
  municipalityId: string | null;
  indicators: StatCell[];
}

type Query = Record<"asOf" | "regionCode" | "municipalityId" | "format", string | undefined>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FILE_TIMEOUT_MS = 30_000;
const MONEY = new Set(["money.committed", "money.reserved", "money.spent", "money.family", "money.benefits", "money.budget"]);

/** The report's order, as regions file it: coverage first, then the queue, attendance, money, providers, signals. */
const ORDER = [
  "coverage.certified",
  "coverage.certified.share",
  "coverage.enrolled",
  "coverage.enrolled.share",
  "certificates",
  "enrollments",
  "queue.length",
  "queue.wait.median",
  "queue.wait.p90",
  "offers",
  "attendance.rate",
  "attendance.marks",
  "attendance.lessons",
  "money.budget",
  "money.committed",
  "money.committed.count",
  "financing.queued",
  "money.reserved",
  "money.reserved.count",
  "money.spent",
  "money.family",
  "money.benefits",
  "bills",
  "providers",
  "signals",
  "signals.open",
  "signals.resolved",
];
const rank = (measure: string) => (ORDER.includes(measure) ? ORDER.indexOf(measure) : ORDER.length);

function kindOf(measure: string): ValueKind {
  if (measure.endsWith(".share") || measure === "attendance.rate") return "share";
  if (MONEY.has(measure)) return "money";
  if (measure.startsWith("queue.wait.")) return "days";
  return "count";
}

/** Today in the region's zone (its first municipality's; UTC when none is known): a region's day begins there. */
function todayIn(timeZone: string | undefined, now: Date): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: timeZone ?? "UTC", year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
}

/** A real calendar day, YYYY-MM-DD (30 February is none). */
function isDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const day = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === text;
}

function measureText(ctx: PageContext, measure: string): string {
  const key = `dashboard.measure.${measure}`;
  return isTextKey(key) ? ctx.t(key) : measure;
}

/** A breakdown in words: "статус: учётный, возраст: 7–10 лет". */
function breakdownText(ctx: PageContext, dims: Record<string, string>): string {
  const { t } = ctx;
  return Object.keys(dims)
    .sort()
    .map((dim) => {
      const value = dims[dim]!;
      const dimKey = `dashboard.dim.${dim}`;
      const label = isTextKey(dimKey) ? t(dimKey) : dim;
      const own = dim === "direction" ? `direction.${value}` : dim === "fundingKind" ? `funding.${value}` : `dashboard.code.${value}`;
      const general = `dashboard.code.${value}`;
      const text = dim === "ageBand" && value !== "*" && value !== "unknown" ? t("dashboard.ageBand", { band: value.replace("-", "–") }) : isTextKey(own) ? t(own) : isTextKey(general) ? t(general) : value;
      return `${label}: ${text}`;
    })
    .join(", ");
}

export function dashboardReportRoutes(app: FastifyInstance, options: OfficialPagesOptions): void {
  const { services, directory, clock } = options;

  app.get<{ Querystring: Query }>("/dashboard/report", async (request, reply) => {
    const person = personOf(request, reply, "region", "ministry");
    if (!person) return reply;
    const ctx = request.page;
    const { t, format } = ctx;
    const query = request.query;
    const all = everyRegion(person);
    const municipalities = await directory.municipalities();
    const asked = query.asOf !== undefined;
    const regionAsked = all ? (query.regionCode ?? "").trim() : "";
    const form = {
      asOf: (query.asOf ?? todayIn(municipalities.find((m) => m.regionCode === (regionAsked || person.actor.regionCode))?.timeZone, clock())).trim(),
      regionCode: regionAsked,
      municipalityId: (query.municipalityId ?? "").trim(),
    };
    const labels = { asOf: t("dashboard.report.asOf"), regionCode: t("dashboard.report.region"), municipalityId: t("dashboard.report.municipality"), "": t("dashboard.report.title") };
    let errors: Record<string, string> = {};
    if (!isDate(form.asOf)) errors.asOf = t("dashboard.report.asOfInvalid");
    if (form.regionCode && !REGION_CODE.test(form.regionCode)) errors.regionCode = t("dashboard.regionInvalid");
    if (form.municipalityId && !UUID.test(form.municipalityId)) errors.municipalityId = t("error.notFoundText");
    // A ministry of every region names the region (or a municipality); the others have theirs.
    if (all && !form.regionCode && !form.municipalityId && asked) errors.regionCode = t("dashboard.report.regionRequired");
    const ready = Object.keys(errors).length === 0 && (!all || form.regionCode !== "" || form.municipalityId !== "");
    const scope = { asOf: form.asOf, regionCode: form.regionCode || undefined, municipalityId: form.municipalityId || undefined };

    if (ready && (query.format === "csv" || query.format === "xlsx")) {
      const file = await fetchFile(services, "statistics", `/statistics/report.${query.format}`, { token: person.token, language: ctx.language, requestId: request.id, query: scope }, FILE_TIMEOUT_MS);
      if (file.ok) {
        return reply
          .header("cache-control", "no-store")
          .header("content-disposition", file.disposition ?? `attachment; filename="indicators.${query.format}"`)
          .type(file.type)
          .send(file.bytes);
      }
      if (file.problem.status === 403) return refusedPage(request, reply, file.problem.detail);
      errors = fieldErrorsOf(file.problem);
    }

    let report: Report | undefined;
    if (ready && Object.keys(errors).length === 0) {
      const answer = await services.call<Report>("statistics", "GET", "/statistics/report", { ...asPerson(ctx, person.token), query: scope });
      if (answer.ok) report = answer.body;
      else if (answer.status === 403) return refusedPage(request, reply, answer.problem.detail);
      else errors = fieldErrorsOf(answer.problem);
    }

    // Only what the person may choose: a region official or a regional ministry their region's
    // municipalities; a ministry of every region the regions, and the chosen one's municipalities.
    const ownRegion = all ? form.regionCode : (person.actor.regionCode ?? "");
    const choosable = municipalities.filter((m) => (ownRegion ? m.regionCode === ownRegion : all));
    const formHtml = html`${errorSummary(ctx, errors, labels)}
<form method="get" action="/dashboard/report" class="filters" novalidate>
  ${field({ name: "asOf", label: labels.asOf, type: "date", value: form.asOf, error: errors.asOf })}
  ${all ? select({ name: "regionCode", label: labels.regionCode, value: form.regionCode, error: errors.regionCode, options: [{ value: "", label: t("dashboard.report.regionRequired") }, ...regionsOf(municipalities).map((code) => ({ value: code, label: t("dashboard.region", { code }) }))] }) : ""}
  ${select({ name: "municipalityId", label: labels.municipalityId, value: form.municipalityId, error: errors.municipalityId, options: [{ value: "", label: t("dashboard.report.wholeRegion") }, ...choosable.map((m) => ({ value: m.id, label: all && !ownRegion ? `${m.name} (${m.regionCode})` : m.name }))] })}
  <button type="submit">${t("dashboard.report.build")}</button>
</form>`;

    let result: Html = html``;
    if (report) {
      const place = report.municipalityId ? ((await directory.municipality(report.municipalityId))?.name ?? report.municipalityId) : t("dashboard.region", { code: report.regionCode });
      const currency = report.municipalityId ? ((await directory.municipality(report.municipalityId))?.currency ?? currencyOf(municipalities, report.regionCode)) : currencyOf(municipalities, report.regionCode);
      const caption = t("dashboard.report.of", { month: monthName(ctx, report.month), date: format.date(report.asOf), place });
      const fileQuery = (kind: string) => `/dashboard/report?${new URLSearchParams({ asOf: report.asOf, ...(scope.regionCode && { regionCode: scope.regionCode }), ...(scope.municipalityId && { municipalityId: scope.municipalityId }), format: kind }).toString()}`;
      result = html`<section aria-labelledby="report-title">
<h2 id="report-title">${caption}</h2>
<p>${t("dashboard.report.download")}: <a href="${fileQuery("csv")}" download>${t("dashboard.report.csv")}</a> · <a href="${fileQuery("xlsx")}" download>${t("dashboard.report.xlsx")}</a></p>
<p class="hint">${t("dashboard.suppressedLegend")}</p>
${
  report.indicators.length === 0
    ? html`<p>${t("dashboard.report.empty")}</p>`
    : html`<div class="scroll" role="region" aria-labelledby="report-caption" tabindex="0"><table>
<caption id="report-caption" class="visually-hidden">${caption}</caption>
<thead><tr><th scope="col">${t("dashboard.report.measure")}</th><th scope="col">${t("dashboard.report.breakdown")}</th><th scope="col">${t("dashboard.report.value")}</th></tr></thead>
<tbody>${[...report.indicators].sort((a, b) => rank(a.measure) - rank(b.measure)).map(
        (cell) => html`<tr><th scope="row">${measureText(ctx, cell.measure)}</th><td>${breakdownText(ctx, cell.dims) || "—"}</td><td>${cellText(ctx, cell, kindOf(cell.measure), currency)}</td></tr>`,
      )}</tbody>
</table></div>`
}
</section>`;
    }
    const body = html`<h1>${t("dashboard.report.title")}</h1>
<p>${t("dashboard.report.intro")}</p>
<p><a href="/dashboard${all && form.regionCode ? `?regionCode=${encodeURIComponent(form.regionCode)}` : ""}">${t("dashboard.report.back")}</a></p>
${formHtml}
${result}`;
    return sendPage(reply.code(Object.keys(errors).length > 0 ? 400 : 200), layout(ctx, { title: t("dashboard.report.title"), body }));
  });
}
