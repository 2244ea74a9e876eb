// The region's and the ministry's dashboard (issue #18): statistics' published cells of the latest
// month, per municipality of a region (a region official's own; a ministry's chosen one) or per
// region (a ministry of every region), as tables that are the whole page without JavaScript, and
// with it as ECharts charts drawn from those tables and numbers that follow statistics' stream
// without a reload (./dashboard-script.ts, through the relay ./dashboard-stream.ts). Statistics
// decides what is shown and to whom (its suppression, its reader scope): a region official who
// names another region is refused by it, and the page never offers one. The monthly indicator
// report is ./dashboard-report.ts.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { FastifyInstance } from "fastify";
import type { PageContext } from "../pages/context";
import { html, type Html } from "../pages/html";
import { errorSummary, layout, select } from "../pages/layout";
import {
  REGION_CODE,
  cellKey,
  cellText,
  currencyOf,
  everyRegion,
  monthName,
  refusedPage,
  scopeIdOf,
  regionsOf,
  type OfficialPagesOptions,
  type StatCell,
  type ValueKind,
} from "./dashboard-cells";
import { DASHBOARD_SCRIPT } from "./dashboard-script";
import { dashboardReportRoutes } from "./dashboard-report";
import { dashboardStreamRoutes } from "./dashboard-stream";
import { asPerson, personOf, sendPage } from "./web";

export type { OfficialPagesOptions } from "./dashboard-cells";

const AGE_BANDS = ["5-6", "7-10", "11-14", "15-17"] as const;
const STATUSES = ["accounting", "financed", "suspended"] as const;
const PROVIDER_KINDS = ["municipal", "state", "private", "entrepreneur"] as const;
const SIGNAL_KINDS = ["overlapping_lessons", "outside_schedule", "too_many_groups", "all_present_month", "bulk_late_entry"] as const;

interface Row {
  scopeId: string;
  label: Html;
  currency: string;
  total: boolean;
}

interface Column {
  measure: string;
  dims: Record<string, string>;
  label: string;
  kind: ValueKind;
  /** Drawn in the table's chart. */
  series?: boolean;
}

interface Chart {
  stack?: boolean;
  percent?: boolean;
  /** A target line (a share: 0.25 is drawn at 25 %). */
  target?: { value: number; label: string };
}

function table(ctx: PageContext, id: string, title: string, rows: readonly Row[], columns: readonly Column[], cells: ReadonlyMap<string, StatCell>, extra?: { label: string; cell(row: Row): Html }): Html {
  const { t } = ctx;
  return html`<div class="scroll" role="region" aria-labelledby="${id}-caption" tabindex="0">
<table id="${id}">
<caption id="${id}-caption" class="visually-hidden">${title}</caption>
<thead><tr><th scope="col">${t("dashboard.place")}</th>${columns.map((c) => html`<th scope="col"${c.series ? html` data-series` : ""}>${c.label}</th>`)}${extra ? html`<th scope="col">${extra.label}</th>` : ""}</tr></thead>
<tbody>${rows.map(
    (row) => html`<tr${row.total ? html` data-total` : ""}><th scope="row">${row.label}</th>${columns.map((c) => {
      const key = cellKey(row.scopeId, c.measure, c.dims);
      const cell = cells.get(key);
      const value = cell && !cell.suppressed && cell.value !== null ? String(cell.value) : "";
      return html`<td data-cell="${key}" data-kind="${c.kind}"${c.kind === "money" ? html` data-currency="${row.currency}"` : ""} data-value="${value}" data-suppressed="${cell?.suppressed ? "true" : "false"}">${cellText(ctx, cell, c.kind, row.currency)}</td>`;
    })}${extra ? extra.cell(row) : ""}</tr>`,
  )}</tbody>
</table></div>`;
}

function chart(ctx: PageContext, tableId: string, title: string, options: Chart = {}): Html {
  return html`<div class="chart" hidden data-chart="${tableId}" role="img" aria-label="${ctx.t("dashboard.chart", { title })}"${options.stack ? html` data-stack` : ""}${options.percent ? html` data-percent` : ""}${
    options.target ? html` data-target="${options.target.value * 100}" data-target-label="${options.target.label}"` : ""
  }></div>`;
}

function section(id: string, title: string, hint: Html | string, body: Html): Html {
  return html`<section aria-labelledby="${id}-title"><h2 id="${id}-title">${title}</h2>${hint ? html`<p class="hint">${hint}</p>` : ""}${body}</section>`;
}

/** The dashboard's sections over `rows` (municipalities and their region, or regions). */
function sections(ctx: PageContext, rows: readonly Row[], cells: ReadonlyMap<string, StatCell>): Html {
  const { t } = ctx;
  const targetCell = (row: Row) => {
    const key = cellKey(row.scopeId, "coverage.certified.share", {});
    const cell = cells.get(key);
    const text = !cell ? t("dashboard.targetUnknown") : cell.suppressed ? t("dashboard.suppressed") : cell.value === null ? t("dashboard.targetUnknown") : cell.value >= 0.25 ? t("dashboard.targetMet") : t("dashboard.targetNotMet");
    return html`<td data-target-of="${key}">${text}</td>`;
  };
  const coverage: Column[] = [
    { measure: "coverage.certified", dims: {}, label: t("dashboard.certified"), kind: "count" },
    { measure: "coverage.certified.share", dims: {}, label: t("dashboard.certifiedShare"), kind: "share", series: true },
    { measure: "coverage.enrolled", dims: {}, label: t("dashboard.enrolled"), kind: "count" },
    { measure: "coverage.enrolled.share", dims: {}, label: t("dashboard.enrolledShare"), kind: "share", series: true },
  ];
  const ages: Column[] = AGE_BANDS.map((band) => ({ measure: "certificates", dims: { status: "*", ageBand: band }, label: t("dashboard.ageBand", { band: band.replace("-", "–") }), kind: "count", series: true }));
  const statuses: Column[] = STATUSES.map((status) => ({ measure: "certificates", dims: { status, ageBand: "*" }, label: t(`dashboard.code.${status}`), kind: "count", series: true }));
  const queues: Column[] = [
    { measure: "queue.length", dims: {}, label: t("dashboard.queueLength"), kind: "count", series: true },
    { measure: "queue.wait.median", dims: {}, label: t("dashboard.waitMedian"), kind: "days" },
    { measure: "queue.wait.p90", dims: {}, label: t("dashboard.waitP90"), kind: "days" },
  ];
  const attendance: Column[] = [{ measure: "attendance.rate", dims: {}, label: t("dashboard.attendanceRate"), kind: "share", series: true }];
  const money: Column[] = [
    { measure: "money.budget", dims: {}, label: t("dashboard.budget"), kind: "money", series: true },
    { measure: "money.committed", dims: {}, label: t("dashboard.committed"), kind: "money", series: true },
    { measure: "money.spent", dims: {}, label: t("dashboard.spent"), kind: "money", series: true },
  ];
  const providers: Column[] = PROVIDER_KINDS.map((kind) => ({ measure: "providers", dims: { kind, status: "approved" }, label: t(`dashboard.code.${kind}`), kind: "count", series: true }));
  const signals: Column[] = [
    ...SIGNAL_KINDS.map((kind): Column => ({ measure: "signals", dims: { kind }, label: t(`dashboard.code.${kind}`), kind: "count", series: true })),
    { measure: "signals.open", dims: {}, label: t("dashboard.signalsOpen"), kind: "count" },
  ];
  return html`${section(
    "coverage",
    t("dashboard.coverage"),
    t("dashboard.coverageHint"),
    html`${table(ctx, "t-coverage", t("dashboard.coverage"), rows, coverage, cells, { label: t("dashboard.target"), cell: targetCell })}
${chart(ctx, "t-coverage", t("dashboard.coverage"), { percent: true, target: { value: 0.25, label: t("dashboard.target") } })}`,
  )}
${section("ages", t("dashboard.ageBands"), "", html`${table(ctx, "t-ages", t("dashboard.ageBands"), rows, ages, cells)}${chart(ctx, "t-ages", t("dashboard.ageBands"))}`)}
${section("statuses", t("dashboard.statuses"), "", html`${table(ctx, "t-statuses", t("dashboard.statuses"), rows, statuses, cells)}${chart(ctx, "t-statuses", t("dashboard.statuses"), { stack: true })}`)}
${section("queues", t("dashboard.queues"), "", html`${table(ctx, "t-queues", t("dashboard.queues"), rows, queues, cells)}${chart(ctx, "t-queues", t("dashboard.queues"))}`)}
${section("attendance", t("dashboard.attendance"), "", html`${table(ctx, "t-attendance", t("dashboard.attendance"), rows, attendance, cells)}${chart(ctx, "t-attendance", t("dashboard.attendance"), { percent: true })}`)}
${section("money", t("dashboard.money"), "", html`${table(ctx, "t-money", t("dashboard.money"), rows, money, cells)}${chart(ctx, "t-money", t("dashboard.money"))}`)}
${section("providers", t("dashboard.providers"), "", html`${table(ctx, "t-providers", t("dashboard.providers"), rows, providers, cells)}${chart(ctx, "t-providers", t("dashboard.providers"), { stack: true })}`)}
${section("signals", t("dashboard.signals"), "", html`${table(ctx, "t-signals", t("dashboard.signals"), rows, signals, cells)}${chart(ctx, "t-signals", t("dashboard.signals"), { stack: true })}`)}`;
}

/** The first day of the month before `now`'s (UTC): the latest month is looked for from there. */
function previousMonthStart(now: Date): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 10);
}

export function dashboardRoutes(app: FastifyInstance, options: OfficialPagesOptions): void {
  const { services, directory, clock } = options;
  // ECharts as its package ships it, read once at start (a missing package stops the start, not a page).
  const require = createRequire(import.meta.url);
  const echarts = readFileSync(require.resolve("echarts/dist/echarts.min.js"), "utf8");

  app.get("/assets/echarts.js", async (_request, reply) => reply.header("cache-control", "public, max-age=86400").type("text/javascript; charset=utf-8").send(echarts));
  app.get("/assets/dashboard.js", async (_request, reply) => reply.header("cache-control", "public, max-age=3600").type("text/javascript; charset=utf-8").send(DASHBOARD_SCRIPT));

  app.get<{ Querystring: { regionCode?: string } }>("/dashboard", async (request, reply) => {
    const person = personOf(request, reply, "region", "ministry");
    if (!person) return reply;
    const ctx = request.page;
    const { t } = ctx;
    const municipalities = await directory.municipalities();
    const all = everyRegion(person);
    const asked = (request.query.regionCode ?? "").trim();
    const errors: Record<string, string> = {};
    if (asked && !REGION_CODE.test(asked)) errors.regionCode = t("dashboard.regionInvalid");
    // A ministry of every region sees every region until it picks one; everyone else their own,
    // unless they name another, which statistics refuses (the page offers none).
    const regionCode = errors.regionCode ? (all ? undefined : person.actor.regionCode) : asked || (all ? undefined : person.actor.regionCode);
    const answer = await services.call<{ cells: StatCell[] }>("statistics", "GET", "/statistics/cells", {
      ...asPerson(ctx, person.token),
      query: { regionCode, period: "month", from: previousMonthStart(clock()) },
    });
    if (!answer.ok) {
      if (answer.status === 403) return refusedPage(request, reply, answer.problem.detail);
      errors.regionCode = answer.problem.detail || answer.problem.title;
    }
    const fetched = answer.ok ? answer.body.cells : [];
    const latest = fetched.reduce((max, c) => (c.start > max ? c.start : max), "");
    const month = latest || `${clock().toISOString().slice(0, 7)}-01`;
    const shown = fetched.filter((c) => c.start === month && (regionCode !== undefined || c.scope === "region"));
    const cells = new Map(shown.map((c) => [cellKey(scopeIdOf(c), c.measure, c.dims), c]));

    let rows: Row[];
    if (regionCode === undefined) {
      const codes = [...new Set([...regionsOf(municipalities), ...shown.map((c) => c.regionCode)])].sort();
      rows = codes.map((code) => ({ scopeId: `region:${code}`, label: html`<a href="/dashboard?regionCode=${encodeURIComponent(code)}">${t("dashboard.region", { code })}</a>`, currency: currencyOf(municipalities, code), total: false }));
    } else {
      const known = municipalities.filter((m) => m.regionCode === regionCode);
      const named = new Map(known.map((m) => [m.id, m]));
      const ids = [...new Set([...known.map((m) => m.id), ...shown.flatMap((c) => (c.municipalityId ? [c.municipalityId] : []))])];
      rows = ids.map((id) => ({
        scopeId: id,
        label: html`${named.get(id)?.name ?? t("dashboard.unknownMunicipality", { id: id.slice(0, 8) })}`,
        currency: named.get(id)?.currency ?? currencyOf(municipalities, regionCode),
        total: false,
      }));
      rows.push({ scopeId: `region:${regionCode}`, label: html`${t("dashboard.regionTotal", { code: regionCode })}`, currency: currencyOf(municipalities, regionCode), total: true });
    }

    const regionChoice = all
      ? html`${errorSummary(ctx, errors, { regionCode: t("dashboard.chooseRegion") })}<form method="get" action="/dashboard" class="filters" novalidate>
  ${select({ name: "regionCode", label: t("dashboard.chooseRegion"), value: regionCode ?? "", error: errors.regionCode, options: [{ value: "", label: t("dashboard.allRegions") }, ...regionsOf(municipalities).map((code) => ({ value: code, label: t("dashboard.region", { code }) }))] })}
  <button type="submit">${t("dashboard.show")}</button>
</form>`
      : errors.regionCode
        ? html`<div class="error-summary" role="alert"><p>${errors.regionCode}</p></div>`
        : "";
    const stream = `/dashboard/stream?${new URLSearchParams({ ...(regionCode !== undefined && { regionCode }), from: month }).toString()}`;
    const reportLink = `/dashboard/report${regionCode !== undefined && all ? `?regionCode=${encodeURIComponent(regionCode)}` : ""}`;
    const body = html`<h1>${t("dashboard.title")}</h1>
<p>${t("dashboard.intro", { month: monthName(ctx, month) })} ${regionCode === undefined ? t("dashboard.introAll") : t("dashboard.introRegion", { code: regionCode })}</p>
${regionChoice}
<p><a href="${reportLink}">${t("dashboard.reportLink")}</a></p>
<p class="hint">${t("dashboard.suppressedLegend")}</p>
${shown.length === 0 ? html`<p>${t("dashboard.none")}</p>` : ""}
<div id="dashboard" data-month="${month}" data-stream="${stream}" data-suppressed="${t("dashboard.suppressed")}" data-target-met="${t("dashboard.targetMet")}" data-target-not-met="${t("dashboard.targetNotMet")}" data-target-unknown="${t("dashboard.targetUnknown")}" data-live-at="${t("dashboard.liveAt")}" data-live-lost="${t("dashboard.liveLost")}" data-new-month="${t("dashboard.newMonth")}">
<p class="live" id="dashboard-status" role="status" hidden>${t("dashboard.live")}</p>
${sections(ctx, rows, cells)}
</div>
<script src="/assets/echarts.js" defer></script>
<script src="/assets/dashboard.js" defer></script>`;
    return sendPage(reply.code(Object.keys(errors).length > 0 ? 400 : 200), layout(ctx, { title: t("dashboard.title"), body }));
  });

  dashboardStreamRoutes(app, options);
  dashboardReportRoutes(app, options);
}
