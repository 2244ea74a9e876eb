// The municipality official's year settings (issue #18): one page, one form per part, each part
// kept by the service that decides by it — the year's money and categories by the registry, the
// absence rules by attendance, the billing rules by payments, the holiday calendar and the notice
// thresholds by enrollment. Each form posts to its own route, which calls its service for the
// person; a refusal comes back beside the field the service names. Attendance and payments keep
// every version of their rules, and enrollment every version of its calendar and notice
// thresholds, with the date it takes effect: the page shows those histories.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { categoryName } from "@kruzhok/i18n";
import { fieldErrorsOf, type Answer, type Services } from "../api/client";
import type { Directory } from "../api/directory";
import type { PageContext } from "../pages/context";
import { html, type Html } from "../pages/html";
import { csrfInput, errorSummary, field, fieldId, layout, select } from "../pages/layout";
import { municipalityAttendanceRoutes } from "./municipality-settings-attendance";
import { datesOf, formFieldsOf, itemsOf, moneyOf, moneyText, optionalDateOf, pairsOf, ticked, wholeOf, yearOf, type Errors, type Form } from "./municipality-settings-forms";
import { asPerson, notice, personOf, sendPage } from "./web";

export interface OfficialPagesOptions {
  services: Services;
  directory: Directory;
  clock: () => Date;
}

interface YearSettings {
  nominal: number;
  budget: number;
  financedCap: number;
  childrenPopulation: number;
  categories: { code: string; coefficient: number }[];
  maxOpenApplications: number;
  deadlines: { offerAcceptanceDays: number; providerReviewWorkingDays: number; monthCloseDay: number };
  currency?: string;
  financedCount?: number;
  effectiveFrom?: string;
}

/** The registry's year settings: the version in force on `on`, and every version as saved. */
interface YearHistory {
  on: string;
  current: YearSettings | null;
  versions: (YearSettings & { effectiveFrom: string; setAt: string; setBy: string; inForce: boolean })[];
}

interface AttendanceRules {
  holidays: string[];
  closingWorkingDay: number;
  confirmationRequired: boolean;
  noticeDeadline: string;
  proofWindowDays: number;
  vacationDaysCap: number;
  maxGroupsPerWeek: number;
  lateEntryDays: number;
  bulkLateMarks: number;
}

interface RulesHistory {
  on: string;
  current: { effectiveFrom: string | null; rules: AttendanceRules };
  versions: { effectiveFrom: string; rules: AttendanceRules; setAt: string; setBy: string; inForce: boolean }[];
}

interface BillingRules {
  normativePerHour: number;
  coPayment: boolean;
  unexcused: "charged" | "not_charged";
  benefits: { category: string; percent: number }[];
  compensation: number[];
  exemptCategories: string[];
  prorateNominal: boolean;
}

interface BillingHistory {
  on: string;
  current: { effectiveFrom: string | null; rules: BillingRules | null };
  /** setAt null: set before payments kept versions. */
  versions: { effectiveFrom: string; rules: BillingRules; setAt: string | null; setBy: string; inForce: boolean }[];
}

interface CalendarDays {
  daysOff: string[];
  workingDays: string[];
}

/** Enrollment's calendar of a year: the version in force on `on` (effectiveFrom null: the country's fixed holidays), and every version. */
interface CalendarHistory {
  on: string;
  current: CalendarDays & { effectiveFrom: string | null };
  versions: (CalendarDays & { effectiveFrom: string; setAt: string; setBy: string; inForce: boolean })[];
}

interface NoticeSettings {
  positionThreshold: number;
  offerReminderHours: number;
}

/** Enrollment's notice thresholds: the version in force today (effectiveFrom null: the defaults), and every version. */
interface NoticeHistory {
  on: string;
  current: NoticeSettings & { effectiveFrom: string | null };
  versions: (NoticeSettings & { effectiveFrom: string; setAt: string; setBy: string; inForce: boolean })[];
}

const PARTS = ["year", "rules", "billing", "calendar", "notices"] as const;
type Part = (typeof PARTS)[number];

/** The fields of each part, as its service names them (a problem's `categories.3.code` is the form's `categories`). */
const FIELDS: Record<Part, readonly string[]> = {
  year: ["effectiveFrom", "nominal", "budget", "financedCap", "childrenPopulation", "categories", "maxOpenApplications", "deadlines.offerAcceptanceDays", "deadlines.providerReviewWorkingDays", "deadlines.monthCloseDay"],
  rules: ["effectiveFrom", "holidays", "closingWorkingDay", "confirmationRequired", "noticeDeadline", "proofWindowDays", "vacationDaysCap", "maxGroupsPerWeek", "lateEntryDays", "bulkLateMarks"],
  billing: ["effectiveFrom", "normativePerHour", "coPayment", "unexcused", "benefits", "compensation", "exemptCategories", "prorateNominal"],
  calendar: ["effectiveFrom", "daysOff", "workingDays"],
  notices: ["effectiveFrom", "positionThreshold", "offerReminderHours"],
};

/**
 * The form's names of a service's fields where two forms of the page would share one (an element's
 * id is its name): payments' `effectiveFrom` is the billing form's `billingEffectiveFrom`, and
 * enrollment's the calendar's `calendarEffectiveFrom` and the notices' `noticesEffectiveFrom`.
 */
const FORM_NAMES: Partial<Record<Part, Record<string, string>>> = {
  year: { effectiveFrom: "yearEffectiveFrom" },
  billing: { effectiveFrom: "billingEffectiveFrom" },
  calendar: { effectiveFrom: "calendarEffectiveFrom" },
  notices: { effectiveFrom: "noticesEffectiveFrom" },
};

const RULE_NUMBERS = ["closingWorkingDay", "proofWindowDays", "vacationDaysCap", "maxGroupsPerWeek", "lateEntryDays", "bulkLateMarks"] as const;

interface State {
  part?: Part;
  form?: Form;
  errors?: Errors;
  done?: string | undefined;
}

/** A labelled text area with its hint and its error beside it (lists: dates, categories). */
function textArea(options: { name: string; label: string; value: string | undefined; error?: string | undefined; hint?: string }): Html {
  const id = fieldId(options.name);
  const described = [options.hint ? `${id}-hint` : "", options.error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return html`<div class="field${options.error ? " has-error" : ""}">
  <label for="${id}">${options.label}</label>
  ${options.hint ? html`<p class="hint" id="${id}-hint">${options.hint}</p>` : ""}
  ${options.error ? html`<p class="error" id="${id}-error">${options.error}</p>` : ""}
  <textarea id="${id}" name="${options.name}" rows="4"${described ? html` aria-describedby="${described}"` : ""}${options.error ? html` aria-invalid="true"` : ""}>${options.value ?? ""}</textarea>
</div>`;
}

function checkbox(options: { name: string; label: string; checked: boolean; error?: string | undefined }): Html {
  const id = fieldId(options.name);
  return html`<div class="field${options.error ? " has-error" : ""}">
  ${options.error ? html`<p class="error" id="${id}-error">${options.error}</p>` : ""}
  <div class="check"><input type="checkbox" id="${id}" name="${options.name}" value="true"${options.checked ? html` checked` : ""}${options.error ? html` aria-invalid="true" aria-describedby="${id}-error"` : ""}><label for="${id}">${options.label}</label></div>
</div>`;
}

const lines = (values: readonly string[]) => values.join("\n");

// The forms as drawn from what the services hold.
function yearForm(s: YearSettings | undefined): Form {
  if (!s) return {};
  return {
    nominal: moneyText(s.nominal),
    budget: moneyText(s.budget),
    financedCap: String(s.financedCap),
    childrenPopulation: String(s.childrenPopulation),
    categories: lines(s.categories.map((c) => `${c.code} ${c.coefficient}`)),
    maxOpenApplications: String(s.maxOpenApplications),
    "deadlines.offerAcceptanceDays": String(s.deadlines.offerAcceptanceDays),
    "deadlines.providerReviewWorkingDays": String(s.deadlines.providerReviewWorkingDays),
    "deadlines.monthCloseDay": String(s.deadlines.monthCloseDay),
  };
}

function rulesForm(r: AttendanceRules | undefined): Form {
  if (!r) return {};
  return {
    holidays: lines(r.holidays),
    confirmationRequired: r.confirmationRequired ? "true" : undefined,
    noticeDeadline: r.noticeDeadline,
    ...Object.fromEntries(RULE_NUMBERS.map((k) => [k, String(r[k])])),
  };
}

function billingForm(b: BillingRules | null | undefined): Form {
  if (!b) return { unexcused: "not_charged" };
  return {
    normativePerHour: moneyText(b.normativePerHour),
    coPayment: b.coPayment ? "true" : undefined,
    unexcused: b.unexcused,
    benefits: lines(b.benefits.map((x) => `${x.category} ${x.percent}`)),
    compensation: b.compensation.join(", "),
    exemptCategories: b.exemptCategories.join(", "),
    prorateNominal: b.prorateNominal ? "true" : undefined,
  };
}

export function municipalitySettingsRoutes(app: FastifyInstance, options: OfficialPagesOptions): void {
  const { services, directory, clock } = options;

  /** The official's municipality with its zone and currency (the directory's), and this year there. */
  async function placeOf(municipalityId: string) {
    const m = await directory.municipality(municipalityId);
    const timeZone = m?.timeZone ?? "UTC";
    const thisYear = Number(clock().toLocaleDateString("en-CA", { timeZone }).slice(0, 4));
    return { name: m?.name ?? "", currency: m?.currency ?? "RUB", thisYear, timeZone };
  }

  async function settingsPage(request: FastifyRequest, reply: FastifyReply, year: number, state: State = {}): Promise<FastifyReply> {
    const person = personOf(request, reply, "municipality");
    if (!person) return reply;
    const ctx = request.page;
    const { t, format } = ctx;
    const municipalityId = person.actor.municipalityId ?? "";
    const place = await placeOf(municipalityId);
    const call = asPerson(ctx, person.token);
    const base = `/municipalities/${municipalityId}`;
    const [yearAnswer, rulesAnswer, billingAnswer, calendarAnswer, noticesAnswer, yearHistoryAnswer] = await Promise.all([
      services.call<YearSettings>("registry", "GET", `${base}/years/${year}`, call),
      services.call<RulesHistory>("attendance", "GET", `${base}/years/${year}/rules/versions`, call),
      services.call<BillingHistory>("payments", "GET", `${base}/years/${year}/billing-rules/versions`, call),
      services.call<CalendarHistory>("enrollment", "GET", `${base}/calendars/${year}/versions`, call),
      services.call<NoticeHistory>("enrollment", "GET", `${base}/notice-settings/versions`, call),
      services.call<YearHistory>("registry", "GET", `${base}/years/${year}/versions`, call),
    ]);
    const body = <T>(answer: Answer<T>): T | undefined => (answer.ok ? answer.body : undefined);
    const currency = body(yearAnswer)?.currency ?? place.currency;
    const errorsOf = (part: Part): Errors => (state.part === part ? (state.errors ?? {}) : {});
    const formOf = (part: Part, drawn: Form): Form => (state.part === part ? (state.form ?? {}) : drawn);
    /** A part the service could not give: said in words, and its form still there to set it. */
    const unread = (answer: Answer<unknown>): Html => (answer.ok || answer.status === 404 ? html`` : html`<p class="error">${t("msettings.unread", { detail: answer.problem.detail || answer.problem.title })}</p>`);
    const summaryOf = (part: Part, labels: Record<string, string>): Html => errorSummary(ctx, errorsOf(part), { ...labels, "": t(`msettings.${part}.title`) });
    const money = (minor: number) => format.money(minor, currency);

    // The year: nominal, budget, cap, population, categories with coefficients, the deadlines.
    const yearSettings = body(yearAnswer);
    const yearHistory = body(yearHistoryAnswer);
    const yf = formOf("year", { ...yearForm(yearSettings), yearEffectiveFrom: "" });
    const ye = errorsOf("year");
    const yearLabels = {
      yearEffectiveFrom: t("msettings.year.effectiveFrom"),
      nominal: t("msettings.year.nominal", { currency }),
      budget: t("msettings.year.budget", { currency }),
      financedCap: t("msettings.year.financedCap"),
      childrenPopulation: t("msettings.year.childrenPopulation"),
      categories: t("msettings.year.categories"),
      maxOpenApplications: t("msettings.year.maxOpenApplications"),
      "deadlines.offerAcceptanceDays": t("msettings.year.offerAcceptanceDays"),
      "deadlines.providerReviewWorkingDays": t("msettings.year.providerReviewWorkingDays"),
      "deadlines.monthCloseDay": t("msettings.year.monthCloseDay"),
    };
    const yearSection = html`<section aria-labelledby="year" class="card">
<h2 id="year">${t("msettings.year.title")}</h2>
${unread(yearAnswer)}
${yearSettings
  ? html`<dl class="summary">
  <dt>${t("msettings.year.nominalNow")}</dt><dd>${money(yearSettings.nominal)}</dd>
  <dt>${t("msettings.year.budgetNow")}</dt><dd>${money(yearSettings.budget)}</dd>
  <dt>${t("msettings.year.financed")}</dt><dd>${t("msettings.year.financedOf", { count: yearSettings.financedCount ?? 0, cap: yearSettings.financedCap })}</dd>
  <dt>${t("msettings.year.order")}</dt><dd>${yearSettings.categories.length === 0 ? "—" : html`<ol>${yearSettings.categories.map((c) => html`<li>${categoryName(c.code, ctx.language)} · ${t("msettings.year.coefficient", { value: c.coefficient })}</li>`)}</ol>`}</dd>
</dl>
${yearSettings.effectiveFrom && yearHistory ? html`<p>${t("msettings.year.inForceFrom", { date: format.date(yearSettings.effectiveFrom), on: format.date(yearHistory.on) })}</p>` : ""}`
  : html`<p>${t("msettings.year.notSet")}</p>`}
${summaryOf("year", yearLabels)}
<form method="post" action="/municipality/settings/year" novalidate>
  ${csrfInput(ctx)}<input type="hidden" name="year" value="${year}">
  ${field({ name: "yearEffectiveFrom", label: yearLabels.yearEffectiveFrom, value: yf.yearEffectiveFrom, error: ye.yearEffectiveFrom, type: "date", hint: t("msettings.year.effectiveFromHint") })}
  ${field({ name: "nominal", label: yearLabels.nominal, value: yf.nominal, error: ye.nominal, inputmode: "decimal", hint: t("msettings.moneyHint") })}
  ${field({ name: "budget", label: yearLabels.budget, value: yf.budget, error: ye.budget, inputmode: "decimal", hint: t("msettings.moneyHint") })}
  ${field({ name: "financedCap", label: yearLabels.financedCap, value: yf.financedCap, error: ye.financedCap, inputmode: "numeric" })}
  ${field({ name: "childrenPopulation", label: yearLabels.childrenPopulation, value: yf.childrenPopulation, error: ye.childrenPopulation, inputmode: "numeric" })}
  ${textArea({ name: "categories", label: yearLabels.categories, value: yf.categories, error: ye.categories, hint: t("msettings.year.categoriesHint") })}
  ${field({ name: "maxOpenApplications", label: yearLabels.maxOpenApplications, value: yf.maxOpenApplications, error: ye.maxOpenApplications, inputmode: "numeric" })}
  ${field({ name: "deadlines.offerAcceptanceDays", label: yearLabels["deadlines.offerAcceptanceDays"], value: yf["deadlines.offerAcceptanceDays"], error: ye["deadlines.offerAcceptanceDays"], inputmode: "numeric" })}
  ${field({ name: "deadlines.providerReviewWorkingDays", label: yearLabels["deadlines.providerReviewWorkingDays"], value: yf["deadlines.providerReviewWorkingDays"], error: ye["deadlines.providerReviewWorkingDays"], inputmode: "numeric" })}
  ${field({ name: "deadlines.monthCloseDay", label: yearLabels["deadlines.monthCloseDay"], value: yf["deadlines.monthCloseDay"], error: ye["deadlines.monthCloseDay"], inputmode: "numeric" })}
  <button type="submit">${t("msettings.year.save")}</button>
</form>
<h3 id="year-history">${t("msettings.year.history")}</h3>
${!yearHistory || yearHistory.versions.length === 0
  ? html`<p>${t("msettings.year.noHistory")}</p>`
  : html`<ol class="cards" aria-labelledby="year-history">${yearHistory.versions.map(
      (v) => html`<li class="card">
  <p><strong>${t("msettings.rules.from", { date: format.date(v.effectiveFrom) })}</strong>${v.inForce ? html` <span class="badge">${t("msettings.rules.inForce")}</span>` : ""}</p>
  <p class="meta">${t("msettings.rules.setAt", { at: format.instant(v.setAt, place.timeZone), by: v.setBy })}</p>
  <details><summary>${t("msettings.rules.values")}</summary><dl class="summary">
    <dt>${t("msettings.year.nominalNow")}</dt><dd>${money(v.nominal)}</dd>
    <dt>${t("msettings.year.budgetNow")}</dt><dd>${money(v.budget)}</dd>
    <dt>${yearLabels.financedCap}</dt><dd>${v.financedCap}</dd>
    <dt>${t("msettings.year.order")}</dt><dd>${v.categories.length === 0 ? "—" : html`<ol>${v.categories.map((c) => html`<li>${categoryName(c.code, ctx.language)} · ${t("msettings.year.coefficient", { value: c.coefficient })}</li>`)}</ol>`}</dd>
  </dl></details>
</li>`,
    )}</ol>`}
</section>`;

    // Attendance's rules: the version in force today, the form for a new one from a date, the history.
    const history = body(rulesAnswer);
    const rf = formOf("rules", { ...rulesForm(history?.current.rules), effectiveFrom: "" });
    const re = errorsOf("rules");
    const ruleLabels = {
      effectiveFrom: t("msettings.rules.effectiveFrom"),
      holidays: t("msettings.rules.holidays"),
      closingWorkingDay: t("msettings.rules.closingWorkingDay"),
      confirmationRequired: t("msettings.rules.confirmationRequired"),
      noticeDeadline: t("msettings.rules.noticeDeadline"),
      proofWindowDays: t("msettings.rules.proofWindowDays"),
      vacationDaysCap: t("msettings.rules.vacationDaysCap"),
      maxGroupsPerWeek: t("msettings.rules.maxGroupsPerWeek"),
      lateEntryDays: t("msettings.rules.lateEntryDays"),
      bulkLateMarks: t("msettings.rules.bulkLateMarks"),
    };
    const ruleValues = (r: AttendanceRules): Html => html`<dl class="summary">
  <dt>${ruleLabels.holidays}</dt><dd>${r.holidays.length === 0 ? "—" : r.holidays.map((d) => format.date(d)).join(", ")}</dd>
  <dt>${ruleLabels.closingWorkingDay}</dt><dd>${r.closingWorkingDay}</dd>
  <dt>${ruleLabels.confirmationRequired}</dt><dd>${r.confirmationRequired ? t("msettings.yes") : t("msettings.no")}</dd>
  <dt>${ruleLabels.noticeDeadline}</dt><dd>${r.noticeDeadline}</dd>
  <dt>${ruleLabels.proofWindowDays}</dt><dd>${r.proofWindowDays}</dd>
  <dt>${ruleLabels.vacationDaysCap}</dt><dd>${r.vacationDaysCap}</dd>
  <dt>${ruleLabels.maxGroupsPerWeek}</dt><dd>${r.maxGroupsPerWeek}</dd>
  <dt>${ruleLabels.lateEntryDays}</dt><dd>${r.lateEntryDays}</dd>
  <dt>${ruleLabels.bulkLateMarks}</dt><dd>${r.bulkLateMarks}</dd>
</dl>`;
    const rulesSection = html`<section aria-labelledby="rules" class="card">
<h2 id="rules">${t("msettings.rules.title")}</h2>
${unread(rulesAnswer)}
${history
  ? html`<p>${history.current.effectiveFrom ? t("msettings.rules.inForceFrom", { date: format.date(history.current.effectiveFrom), on: format.date(history.on) }) : t("msettings.rules.defaults", { on: format.date(history.on) })}</p>`
  : ""}
${summaryOf("rules", ruleLabels)}
<form method="post" action="/municipality/settings/rules" novalidate>
  ${csrfInput(ctx)}<input type="hidden" name="year" value="${year}">
  ${field({ name: "effectiveFrom", label: ruleLabels.effectiveFrom, value: rf.effectiveFrom, error: re.effectiveFrom, type: "date", hint: t("msettings.rules.effectiveFromHint") })}
  ${textArea({ name: "holidays", label: ruleLabels.holidays, value: rf.holidays, error: re.holidays, hint: t("msettings.datesHint") })}
  ${field({ name: "closingWorkingDay", label: ruleLabels.closingWorkingDay, value: rf.closingWorkingDay, error: re.closingWorkingDay, inputmode: "numeric", hint: t("msettings.rules.closingWorkingDayHint") })}
  ${checkbox({ name: "confirmationRequired", label: ruleLabels.confirmationRequired, checked: ticked(rf, "confirmationRequired"), error: re.confirmationRequired })}
  ${field({ name: "noticeDeadline", label: ruleLabels.noticeDeadline, value: rf.noticeDeadline, error: re.noticeDeadline, type: "time" })}
  ${field({ name: "proofWindowDays", label: ruleLabels.proofWindowDays, value: rf.proofWindowDays, error: re.proofWindowDays, inputmode: "numeric" })}
  ${field({ name: "vacationDaysCap", label: ruleLabels.vacationDaysCap, value: rf.vacationDaysCap, error: re.vacationDaysCap, inputmode: "numeric" })}
  ${field({ name: "maxGroupsPerWeek", label: ruleLabels.maxGroupsPerWeek, value: rf.maxGroupsPerWeek, error: re.maxGroupsPerWeek, inputmode: "numeric" })}
  ${field({ name: "lateEntryDays", label: ruleLabels.lateEntryDays, value: rf.lateEntryDays, error: re.lateEntryDays, inputmode: "numeric" })}
  ${field({ name: "bulkLateMarks", label: ruleLabels.bulkLateMarks, value: rf.bulkLateMarks, error: re.bulkLateMarks, inputmode: "numeric" })}
  <button type="submit">${t("msettings.rules.save")}</button>
</form>
<h3 id="rules-history">${t("msettings.rules.history")}</h3>
${!history || history.versions.length === 0
  ? html`<p>${t("msettings.rules.noHistory")}</p>`
  : html`<ol class="cards" aria-labelledby="rules-history">${history.versions.map(
      (v) => html`<li class="card">
  <p><strong>${t("msettings.rules.from", { date: format.date(v.effectiveFrom) })}</strong>${v.inForce ? html` <span class="badge">${t("msettings.rules.inForce")}</span>` : ""}</p>
  <p class="meta">${t("msettings.rules.setAt", { at: format.instant(v.setAt, place.timeZone), by: v.setBy })}</p>
  <details><summary>${t("msettings.rules.values")}</summary>${ruleValues(v.rules)}</details>
</li>`,
    )}</ol>`}
</section>`;

    // Payments' billing rules: the version in force today, the form for a new one from a date, the history.
    const billing = body(billingAnswer);
    const bf = formOf("billing", { ...billingForm(billing?.current.rules), billingEffectiveFrom: "" });
    const be = errorsOf("billing");
    const billingLabels = {
      billingEffectiveFrom: t("msettings.billing.effectiveFrom"),
      normativePerHour: t("msettings.billing.normativePerHour", { currency }),
      coPayment: t("msettings.billing.coPayment"),
      unexcused: t("msettings.billing.unexcused"),
      benefits: t("msettings.billing.benefits"),
      compensation: t("msettings.billing.compensation"),
      exemptCategories: t("msettings.billing.exemptCategories"),
      prorateNominal: t("msettings.billing.prorateNominal"),
    };
    const billingValues = (b: BillingRules): Html => html`<dl class="summary">
  <dt>${billingLabels.normativePerHour}</dt><dd>${money(b.normativePerHour)}</dd>
  <dt>${billingLabels.coPayment}</dt><dd>${b.coPayment ? t("msettings.yes") : t("msettings.no")}</dd>
  <dt>${billingLabels.unexcused}</dt><dd>${t(b.unexcused === "charged" ? "msettings.billing.charged" : "msettings.billing.notCharged")}</dd>
  <dt>${billingLabels.benefits}</dt><dd>${b.benefits.length === 0 ? "—" : b.benefits.map((x) => `${categoryName(x.category, ctx.language)} ${x.percent} %`).join(", ")}</dd>
  <dt>${billingLabels.compensation}</dt><dd>${b.compensation.length === 0 ? "—" : b.compensation.join(", ")}</dd>
  <dt>${billingLabels.exemptCategories}</dt><dd>${b.exemptCategories.length === 0 ? "—" : b.exemptCategories.map((code) => categoryName(code, ctx.language)).join(", ")}</dd>
  <dt>${billingLabels.prorateNominal}</dt><dd>${b.prorateNominal ? t("msettings.yes") : t("msettings.no")}</dd>
</dl>`;
    const billingSection = html`<section aria-labelledby="billing" class="card">
<h2 id="billing">${t("msettings.billing.title")}</h2>
${unread(billingAnswer)}
${billing
  ? html`<p>${billing.current.effectiveFrom ? t("msettings.billing.inForceFrom", { date: format.date(billing.current.effectiveFrom), on: format.date(billing.on) }) : t("msettings.billing.notSet", { on: format.date(billing.on) })}</p>`
  : ""}
${summaryOf("billing", billingLabels)}
<form method="post" action="/municipality/settings/billing" novalidate>
  ${csrfInput(ctx)}<input type="hidden" name="year" value="${year}">
  ${field({ name: "billingEffectiveFrom", label: billingLabels.billingEffectiveFrom, value: bf.billingEffectiveFrom, error: be.billingEffectiveFrom, type: "date", hint: t("msettings.billing.effectiveFromHint") })}
  ${field({ name: "normativePerHour", label: billingLabels.normativePerHour, value: bf.normativePerHour, error: be.normativePerHour, inputmode: "decimal", hint: t("msettings.moneyHint") })}
  ${checkbox({ name: "coPayment", label: billingLabels.coPayment, checked: ticked(bf, "coPayment"), error: be.coPayment })}
  ${select({ name: "unexcused", label: billingLabels.unexcused, value: bf.unexcused, error: be.unexcused, options: [{ value: "not_charged", label: t("msettings.billing.notCharged") }, { value: "charged", label: t("msettings.billing.charged") }] })}
  ${textArea({ name: "benefits", label: billingLabels.benefits, value: bf.benefits, error: be.benefits, hint: t("msettings.billing.benefitsHint") })}
  ${field({ name: "compensation", label: billingLabels.compensation, value: bf.compensation, error: be.compensation, hint: t("msettings.billing.compensationHint") })}
  ${field({ name: "exemptCategories", label: billingLabels.exemptCategories, value: bf.exemptCategories, error: be.exemptCategories, hint: t("msettings.billing.exemptHint") })}
  ${checkbox({ name: "prorateNominal", label: billingLabels.prorateNominal, checked: ticked(bf, "prorateNominal"), error: be.prorateNominal })}
  <button type="submit">${t("msettings.billing.save")}</button>
</form>
<h3 id="billing-history">${t("msettings.billing.history")}</h3>
${!billing || billing.versions.length === 0
  ? html`<p>${t("msettings.billing.noHistory")}</p>`
  : html`<ol class="cards" aria-labelledby="billing-history">${billing.versions.map(
      (v) => html`<li class="card">
  <p><strong>${t("msettings.rules.from", { date: format.date(v.effectiveFrom) })}</strong>${v.inForce ? html` <span class="badge">${t("msettings.rules.inForce")}</span>` : ""}</p>
  <p class="meta">${v.setAt ? t("msettings.rules.setAt", { at: format.instant(v.setAt, place.timeZone), by: v.setBy }) : t("msettings.billing.setBeforeHistory")}</p>
  <details><summary>${t("msettings.rules.values")}</summary>${billingValues(v.rules)}</details>
</li>`,
    )}</ol>`}
</section>`;

    // Enrollment's calendar of the year: the version in force today, the form for a new one from a date, the history.
    const calendar = body(calendarAnswer);
    const cf = formOf("calendar", { ...(calendar && { daysOff: lines(calendar.current.daysOff), workingDays: lines(calendar.current.workingDays) }), calendarEffectiveFrom: "" });
    const ce = errorsOf("calendar");
    const calendarLabels = {
      calendarEffectiveFrom: t("msettings.calendar.effectiveFrom"),
      daysOff: t("msettings.calendar.daysOff"),
      workingDays: t("msettings.calendar.workingDays"),
    };
    const datesText = (dates: readonly string[]) => (dates.length === 0 ? "—" : dates.map((d) => format.date(d)).join(", "));
    const calendarValues = (c: CalendarDays): Html => html`<dl class="summary">
  <dt>${calendarLabels.daysOff}</dt><dd>${datesText(c.daysOff)}</dd>
  <dt>${calendarLabels.workingDays}</dt><dd>${datesText(c.workingDays)}</dd>
</dl>`;
    const calendarSection = html`<section aria-labelledby="calendar" class="card">
<h2 id="calendar">${t("msettings.calendar.title")}</h2>
${unread(calendarAnswer)}
${calendar
  ? html`<p>${calendar.current.effectiveFrom ? t("msettings.calendar.inForceFrom", { date: format.date(calendar.current.effectiveFrom), on: format.date(calendar.on) }) : t("msettings.calendar.default", { on: format.date(calendar.on) })}</p>`
  : ""}
${summaryOf("calendar", calendarLabels)}
<form method="post" action="/municipality/settings/calendar" novalidate>
  ${csrfInput(ctx)}<input type="hidden" name="year" value="${year}">
  ${field({ name: "calendarEffectiveFrom", label: calendarLabels.calendarEffectiveFrom, value: cf.calendarEffectiveFrom, error: ce.calendarEffectiveFrom, type: "date", hint: t("msettings.calendar.effectiveFromHint") })}
  ${textArea({ name: "daysOff", label: calendarLabels.daysOff, value: cf.daysOff, error: ce.daysOff, hint: t("msettings.datesHint") })}
  ${textArea({ name: "workingDays", label: calendarLabels.workingDays, value: cf.workingDays, error: ce.workingDays, hint: t("msettings.calendar.workingDaysHint") })}
  <button type="submit">${t("msettings.calendar.save")}</button>
</form>
<h3 id="calendar-history">${t("msettings.calendar.history")}</h3>
${!calendar || calendar.versions.length === 0
  ? html`<p>${t("msettings.calendar.noHistory")}</p>`
  : html`<ol class="cards" aria-labelledby="calendar-history">${calendar.versions.map(
      (v) => html`<li class="card">
  <p><strong>${t("msettings.rules.from", { date: format.date(v.effectiveFrom) })}</strong>${v.inForce ? html` <span class="badge">${t("msettings.rules.inForce")}</span>` : ""}</p>
  <p class="meta">${t("msettings.rules.setAt", { at: format.instant(v.setAt, place.timeZone), by: v.setBy })}</p>
  <details><summary>${t("msettings.rules.values")}</summary>${calendarValues(v)}</details>
</li>`,
    )}</ol>`}
</section>`;

    // Enrollment's notice thresholds: the version in force today, the form for a new one from a date, the history.
    const notices = body(noticesAnswer);
    const nf = formOf("notices", {
      ...(notices && { positionThreshold: String(notices.current.positionThreshold), offerReminderHours: String(notices.current.offerReminderHours) }),
      noticesEffectiveFrom: "",
    });
    const ne = errorsOf("notices");
    const noticeLabels = {
      noticesEffectiveFrom: t("msettings.notices.effectiveFrom"),
      positionThreshold: t("msettings.notices.positionThreshold"),
      offerReminderHours: t("msettings.notices.offerReminderHours"),
    };
    const noticeValues = (n: NoticeSettings): Html => html`<dl class="summary">
  <dt>${noticeLabels.positionThreshold}</dt><dd>${n.positionThreshold}</dd>
  <dt>${noticeLabels.offerReminderHours}</dt><dd>${n.offerReminderHours}</dd>
</dl>`;
    const noticesSection = html`<section aria-labelledby="notices" class="card">
<h2 id="notices">${t("msettings.notices.title")}</h2>
${unread(noticesAnswer)}
${notices
  ? html`<p>${notices.current.effectiveFrom ? t("msettings.notices.inForceFrom", { date: format.date(notices.current.effectiveFrom), on: format.date(notices.on) }) : t("msettings.notices.default", { on: format.date(notices.on) })}</p>`
  : ""}
${summaryOf("notices", noticeLabels)}
<form method="post" action="/municipality/settings/notices" novalidate>
  ${csrfInput(ctx)}<input type="hidden" name="year" value="${year}">
  ${field({ name: "noticesEffectiveFrom", label: noticeLabels.noticesEffectiveFrom, value: nf.noticesEffectiveFrom, error: ne.noticesEffectiveFrom, type: "date", hint: t("msettings.notices.effectiveFromHint") })}
  ${field({ name: "positionThreshold", label: noticeLabels.positionThreshold, value: nf.positionThreshold, error: ne.positionThreshold, inputmode: "numeric", hint: t("msettings.notices.positionThresholdHint") })}
  ${field({ name: "offerReminderHours", label: noticeLabels.offerReminderHours, value: nf.offerReminderHours, error: ne.offerReminderHours, inputmode: "numeric" })}
  <button type="submit">${t("msettings.notices.save")}</button>
</form>
<h3 id="notices-history">${t("msettings.notices.history")}</h3>
${!notices || notices.versions.length === 0
  ? html`<p>${t("msettings.notices.noHistory")}</p>`
  : html`<ol class="cards" aria-labelledby="notices-history">${notices.versions.map(
      (v) => html`<li class="card">
  <p><strong>${t("msettings.rules.from", { date: format.date(v.effectiveFrom) })}</strong>${v.inForce ? html` <span class="badge">${t("msettings.rules.inForce")}</span>` : ""}</p>
  <p class="meta">${t("msettings.rules.setAt", { at: format.instant(v.setAt, place.timeZone), by: v.setBy })}</p>
  <details><summary>${t("msettings.rules.values")}</summary>${noticeValues(v)}</details>
</li>`,
    )}</ol>`}
</section>`;

    const title = t("msettings.title", { year });
    const page = html`<h1>${title}</h1>
<p>${t("msettings.intro", { name: place.name })}</p>
<form method="get" action="/municipality/settings" class="filters" novalidate>
  ${field({ name: "year", label: t("msettings.yearField"), value: String(year), inputmode: "numeric" })}
  <button type="submit" class="secondary">${t("msettings.show")}</button>
</form>
<nav aria-label="${t("msettings.parts")}"><ul>${PARTS.map((p) => html`<li><a href="#${p}">${t(`msettings.${p}.title`)}</a></li>`)}</ul></nav>
<p><a href="/municipality/attendance">${t("mattendance.title")}</a></p>
${yearSection}
${rulesSection}
${billingSection}
${calendarSection}
${noticesSection}`;
    const done = state.done && (PARTS as readonly string[]).includes(state.done) ? notice(t(`msettings.${state.done as Part}.done`)) : undefined;
    const failed = state.errors && Object.keys(state.errors).length > 0;
    return sendPage(reply.code(failed ? 400 : 200), layout(ctx, { title, body: page, notice: done }));
  }

  app.get<{ Querystring: { year?: string; done?: string } }>("/municipality/settings", async (request, reply) => {
    const person = personOf(request, reply, "municipality");
    if (!person) return reply;
    const { thisYear } = await placeOf(person.actor.municipalityId ?? "");
    return settingsPage(request, reply, yearOf(request.query.year, thisYear), { done: request.query.done });
  });

  /**
   * One part's form posted: the person's own checks (refused beside the field, no service called),
   * then the service's answer: done, or the service's refusal beside the fields it names.
   */
  function post(part: Part, send: (ctx: PageContext, form: Form, errors: Errors, target: { municipalityId: string; year: number; currency: string }) => { service: "registry" | "attendance" | "payments" | "enrollment"; path: string; body: unknown } | undefined) {
    app.post<{ Body: Form }>(`/municipality/settings/${part}`, async (request, reply) => {
      const person = personOf(request, reply, "municipality");
      if (!person) return reply;
      const ctx = request.page;
      const form = request.body;
      const municipalityId = person.actor.municipalityId ?? "";
      const place = await placeOf(municipalityId);
      const year = yearOf(form.year, place.thisYear);
      const errors: Errors = {};
      const request_ = send(ctx, form, errors, { municipalityId, year, currency: place.currency });
      if (!request_ || Object.keys(errors).length > 0) return settingsPage(request, reply, year, { part, form, errors });
      const answer = await services.call(request_.service, "PUT", request_.path, { ...asPerson(ctx, person.token), body: request_.body });
      if (!answer.ok) {
        const names = FORM_NAMES[part] ?? {};
        const named = Object.entries(formFieldsOf(fieldErrorsOf(answer.problem), FIELDS[part])).map(([k, v]) => [names[k] ?? k, v]);
        return settingsPage(request, reply, year, { part, form, errors: Object.fromEntries(named) as Errors });
      }
      return reply.redirect(`/municipality/settings?year=${year}&done=${part}#${part}`, 303);
    });
  }

  post("year", ({ t }, form, errors, { municipalityId, year }) => {
    const effectiveFrom = (form.yearEffectiveFrom ?? "").trim();
    if (effectiveFrom !== "" && !/^\d{4}-\d{2}-\d{2}$/.test(effectiveFrom)) errors.yearEffectiveFrom = t("msettings.date");
    const categories = pairsOf(t, form, "categories", errors).map((p) => ({ code: p.code, coefficient: p.value }));
    const body = {
      nominal: moneyOf(t, form, "nominal", errors),
      budget: moneyOf(t, form, "budget", errors),
      financedCap: wholeOf(t, form, "financedCap", errors),
      childrenPopulation: wholeOf(t, form, "childrenPopulation", errors),
      categories,
      maxOpenApplications: wholeOf(t, form, "maxOpenApplications", errors),
      deadlines: {
        offerAcceptanceDays: wholeOf(t, form, "deadlines.offerAcceptanceDays", errors),
        providerReviewWorkingDays: wholeOf(t, form, "deadlines.providerReviewWorkingDays", errors),
        monthCloseDay: wholeOf(t, form, "deadlines.monthCloseDay", errors),
      },
      ...(effectiveFrom && { effectiveFrom }),
    };
    return { service: "registry", path: `/municipalities/${municipalityId}/years/${year}`, body };
  });

  post("rules", ({ t }, form, errors, { municipalityId, year }) => {
    const effectiveFrom = (form.effectiveFrom ?? "").trim();
    if (effectiveFrom !== "" && !/^\d{4}-\d{2}-\d{2}$/.test(effectiveFrom)) errors.effectiveFrom = t("msettings.date");
    const noticeDeadline = (form.noticeDeadline ?? "").trim();
    if (!/^\d{2}:\d{2}$/.test(noticeDeadline)) errors.noticeDeadline = t("msettings.time");
    const body = {
      holidays: datesOf(t, form, "holidays", errors),
      confirmationRequired: ticked(form, "confirmationRequired"),
      noticeDeadline,
      ...Object.fromEntries(RULE_NUMBERS.map((k) => [k, wholeOf(t, form, k, errors)])),
      ...(effectiveFrom && { effectiveFrom }),
    };
    return { service: "attendance", path: `/municipalities/${municipalityId}/years/${year}/rules`, body };
  });

  post("billing", ({ t }, form, errors, { municipalityId, year }) => {
    const effectiveFrom = (form.billingEffectiveFrom ?? "").trim();
    if (effectiveFrom !== "" && !/^\d{4}-\d{2}-\d{2}$/.test(effectiveFrom)) errors.billingEffectiveFrom = t("msettings.date");
    const compensation = itemsOf(form.compensation);
    if (compensation.some((c) => !/^\d{1,4}$/.test(c))) errors.compensation = t("msettings.billing.compensationInvalid");
    const unexcused = form.unexcused === "charged" || form.unexcused === "not_charged" ? form.unexcused : undefined;
    if (!unexcused) errors.unexcused = t("msettings.choose");
    const body = {
      normativePerHour: moneyOf(t, form, "normativePerHour", errors),
      coPayment: ticked(form, "coPayment"),
      unexcused,
      benefits: pairsOf(t, form, "benefits", errors).map((p) => ({ category: p.code, percent: p.value })),
      compensation: compensation.map(Number),
      exemptCategories: itemsOf(form.exemptCategories),
      prorateNominal: ticked(form, "prorateNominal"),
      ...(effectiveFrom && { effectiveFrom }),
    };
    return { service: "payments", path: `/municipalities/${municipalityId}/years/${year}/billing-rules`, body };
  });

  post("calendar", ({ t }, form, errors, { municipalityId, year }) => {
    const effectiveFrom = optionalDateOf(t, form, "calendarEffectiveFrom", errors);
    return {
      service: "enrollment",
      path: `/municipalities/${municipalityId}/calendars/${year}`,
      body: { daysOff: datesOf(t, form, "daysOff", errors), workingDays: datesOf(t, form, "workingDays", errors), ...(effectiveFrom && { effectiveFrom }) },
    };
  });

  post("notices", ({ t }, form, errors, { municipalityId }) => {
    const effectiveFrom = optionalDateOf(t, form, "noticesEffectiveFrom", errors);
    return {
      service: "enrollment",
      path: `/municipalities/${municipalityId}/notice-settings`,
      body: { positionThreshold: wholeOf(t, form, "positionThreshold", errors), offerReminderHours: wholeOf(t, form, "offerReminderHours", errors), ...(effectiveFrom && { effectiveFrom }) },
    };
  });

  municipalityAttendanceRoutes(app, options);
}
