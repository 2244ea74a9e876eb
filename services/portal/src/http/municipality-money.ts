// The municipality's money (issue #18): the providers' payment registers (approve, record paid
// with the payment order's reference, download CSV and XLSX), the advances set against their
// months' registers, and the year's budget against what is committed, reserved and spent with the
// financing waiting list by category. Payments decides and keeps the money; the pages carry the
// forms and show its answers, refusals beside their fields.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { categoryName } from "@kruzhok/i18n";
import { fieldErrorsOf, type Services } from "../api/client";
import type { Directory } from "../api/directory";
import type { PageContext } from "../pages/context";
import { html, type Html } from "../pages/html";
import { csrfInput, errorSummary, field, layout } from "../pages/layout";
import { codeText } from "../pages/texts";
import { downloadFromPayments } from "./municipality-money-export";
import { asPerson, notFoundPage as notFound, notice, personAndId, personOf, sendPage } from "./web";

export interface OfficialPagesOptions {
  services: Services;
  directory: Directory;
  clock: () => Date;
}

interface Register {
  id: string;
  providerId: string;
  month: string;
  number: number;
  currency: string;
  status: "formed" | "approved" | "paid";
  formedAt: string;
  approvedAt: string | null;
  paidAt: string | null;
  paymentOrder: string | null;
  advance: number;
  lines: number;
  lessons: number;
  certificateTotal: number;
  familyTotal: number;
}

interface RegisterWithLines extends Register {
  lineItems: { enrollmentId: string; certificateId: string | null; lessons: number; certificateAmount: number; familyAmount: number }[];
}

interface Reconciliation {
  registerId: string;
  advance: number;
  billed: number;
  rest: number;
  excess: number;
  reconciledAt: string;
}

interface Budget {
  year: number;
  currency: string;
  budget: number;
  financedCap: number;
  committed: number;
  financedCertificates: number;
  available: number;
  reserved: number;
  spent: number;
  waiting: { category: string | null; children: number; amount: number }[];
}

type Form = Record<string, string | undefined>;
type Person = NonNullable<PageContext["person"]>;

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const totalOf = (r: Register) => r.certificateTotal + r.familyTotal;
/** An instant's calendar date in the municipality's zone (YYYY-MM-DD), for format.date. */
const localDate = (iso: string, zone: string) => new Date(iso).toLocaleDateString("en-CA", { timeZone: zone });
/** A line's name on the page: the enrollment's id shortened, a pseudonym that names no child. */
const pseudonym = (id: string) => `№ ${id.slice(0, 8)}`;

/** The area's own links, on each of its pages. */
function moneyNav(ctx: PageContext): Html {
  const { t } = ctx;
  return html`<nav aria-label="${t("money.nav")}" class="subnav"><p><a href="/municipality/registers">${t("money.registers.title")}</a> · <a href="/municipality/advances">${t("money.advances.title")}</a> · <a href="/municipality/budget">${t("money.budget.title")}</a></p></nav>`;
}

export function municipalityMoneyRoutes(app: FastifyInstance, options: OfficialPagesOptions): void {
  const { services, directory, clock } = options;

  /** The municipality's providers by id, for their names (the registry's whole record, as its office sees it). */
  async function providerNames(ctx: PageContext, person: Person): Promise<Map<string, string>> {
    const answer = await services.call<{ id: string; name: string }[]>("registry", "GET", `/municipalities/${person.actor.municipalityId ?? ""}/providers`, asPerson(ctx, person.token));
    return new Map((answer.ok ? answer.body : []).map((p) => [p.id, p.name]));
  }

  /** The municipality's time zone: its dates are the days its people live in. */
  async function zoneOf(person: Person): Promise<string> {
    return (await directory.municipality(person.actor.municipalityId ?? ""))?.timeZone ?? "UTC";
  }

  async function registersOf(ctx: PageContext, person: Person, month?: string): Promise<Register[]> {
    const answer = await services.call<Register[]>("payments", "GET", "/registers", { ...asPerson(ctx, person.token), query: { municipalityId: person.actor.municipalityId, month } });
    return answer.ok ? answer.body : [];
  }

  app.get<{ Querystring: Form }>("/municipality/registers", async (request, reply) => {
    const person = personOf(request, reply, "municipality");
    if (!person) return reply;
    const ctx = request.page;
    const { t, format } = ctx;
    const month = (request.query.month ?? "").trim();
    const errors: Record<string, string> = month && !MONTH.test(month) ? { month: t("money.registers.monthInvalid") } : {};
    const [list, names] = await Promise.all([errors.month ? Promise.resolve([]) : registersOf(ctx, person, month || undefined), providerNames(ctx, person)]);
    const sorted = [...list].sort((a, b) => b.month.localeCompare(a.month) || (names.get(a.providerId) ?? "").localeCompare(names.get(b.providerId) ?? "", "ru") || a.number - b.number);
    const body = html`<h1>${t("money.registers.title")}</h1>
${moneyNav(ctx)}
<p>${t("money.registers.intro")}</p>
${errorSummary(ctx, errors, { month: t("registers.month") })}
<form method="get" action="/municipality/registers" novalidate>
  ${field({ name: "month", label: t("registers.month"), hint: t("money.registers.monthHint"), value: month, error: errors.month })}
  <button type="submit">${t("money.registers.filter")}</button>
</form>
${sorted.length === 0
  ? html`<p>${t("money.registers.none")}</p>`
  : html`<ul class="cards">${sorted.map(
      (r) => html`<li class="card"><h2><a href="/municipality/registers/${r.id}">${names.get(r.providerId) ?? r.providerId}: ${r.month}, № ${r.number}</a></h2>
  <dl class="summary">
    <dt>${t("registers.status")}</dt><dd>${codeText(t, "registers.status", r.status)}</dd>
    <dt>${t("money.registers.lines")}</dt><dd>${r.lines}</dd>
    <dt>${t("registers.lessons")}</dt><dd>${r.lessons}</dd>
    <dt>${t("money.registers.total")}</dt><dd>${format.money(totalOf(r), r.currency)}</dd>
    ${r.advance > 0 ? html`<dt>${t("registers.advance")}</dt><dd>${format.money(r.advance, r.currency)}</dd>` : ""}
  </dl></li>`,
    )}</ul>`}`;
    return sendPage(reply.code(errors.month ? 400 : 200), layout(ctx, { title: t("money.registers.title"), body }));
  });

  /** One register: its figures, its lines, the downloads, and the next step its status allows. */
  async function registerPage(request: FastifyRequest, reply: FastifyReply, state: { form?: Form; errors?: Record<string, string>; done?: string } = {}): Promise<FastifyReply> {
    const found = personAndId(request, reply, "municipality");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const { t, format } = ctx;
    const [answer, names] = await Promise.all([services.call<RegisterWithLines>("payments", "GET", `/registers/${id}`, asPerson(ctx, person.token)), providerNames(ctx, person)]);
    if (!answer.ok) return notFound(request, reply);
    const r = answer.body;
    const zone = await zoneOf(person);
    const errors = state.errors ?? {};
    const form = state.form ?? {};
    const money = (amount: number) => format.money(amount, r.currency);
    const title = t("money.register.title", { number: r.number, month: r.month });
    const lessons = r.lineItems.reduce((sum, l) => sum + l.lessons, 0);
    const body = html`<h1>${title}</h1>
${moneyNav(ctx)}
<p><a href="/municipality/registers">${t("money.register.back")}</a></p>
${errorSummary(ctx, errors, { paymentOrder: t("money.register.paymentOrder"), "": t("money.register.summary") })}
<section aria-labelledby="summary"><h2 id="summary">${t("money.register.summary")}</h2>
<dl class="summary">
  <dt>${t("money.registers.provider")}</dt><dd>${names.get(r.providerId) ?? r.providerId}</dd>
  <dt>${t("registers.status")}</dt><dd>${codeText(t, "registers.status", r.status)}</dd>
  <dt>${t("money.register.formedAt")}</dt><dd>${format.date(localDate(r.formedAt, zone))}</dd>
  ${r.approvedAt ? html`<dt>${t("money.register.approvedAt")}</dt><dd>${format.date(localDate(r.approvedAt, zone))}</dd>` : ""}
  ${r.paidAt ? html`<dt>${t("money.register.paidAt")}</dt><dd>${format.date(localDate(r.paidAt, zone))}</dd>` : ""}
  ${r.paymentOrder ? html`<dt>${t("money.register.paymentOrder")}</dt><dd>${r.paymentOrder}</dd>` : ""}
  <dt>${t("registers.certificate")}</dt><dd>${money(r.certificateTotal)}</dd>
  <dt>${t("registers.family")}</dt><dd>${money(r.familyTotal)}</dd>
  <dt>${t("registers.advance")}</dt><dd>${money(r.advance)}</dd>
  <dt>${t("money.register.toPay")}</dt><dd>${money(Math.max(0, totalOf(r) - r.advance))}</dd>
</dl></section>
<section aria-labelledby="lines"><h2 id="lines">${t("money.register.lineItems")}</h2>
${r.lineItems.length === 0
  ? html`<p>${t("money.register.noLines")}</p>`
  : html`<div class="scroll" role="region" aria-labelledby="lines" tabindex="0"><table>
  <thead><tr><th scope="col">${t("money.register.child")}</th><th scope="col">${t("registers.month")}</th><th scope="col">${t("registers.lessons")}</th><th scope="col">${t("registers.certificate")}</th><th scope="col">${t("registers.family")}</th></tr></thead>
  <tbody>${r.lineItems.map((l) => html`<tr><th scope="row">${pseudonym(l.enrollmentId)}</th><td>${r.month}</td><td>${l.lessons}</td><td>${money(l.certificateAmount)}</td><td>${money(l.familyAmount)}</td></tr>`)}</tbody>
  <tfoot><tr><th scope="row">${t("money.register.totals")}</th><td></td><td>${lessons}</td><td>${money(r.certificateTotal)}</td><td>${money(r.familyTotal)}</td></tr></tfoot>
</table></div>`}
</section>
<section aria-labelledby="downloads"><h2 id="downloads">${t("money.register.downloads")}</h2>
<ul><li><a href="/municipality/registers/${r.id}/export?format=csv" download>${t("money.register.csv")}</a></li><li><a href="/municipality/registers/${r.id}/export?format=xlsx" download>${t("money.register.xlsx")}</a></li></ul>
</section>
${r.status === "formed"
  ? html`<section aria-labelledby="approve"><h2 id="approve">${t("money.register.approveTitle")}</h2>
<p>${t("money.register.approveHint")}</p>
<form method="post" action="/municipality/registers/${r.id}/approval" novalidate>
  ${csrfInput(ctx)}
  <button type="submit">${t("money.register.approve")}</button>
</form></section>`
  : ""}
${r.status === "paid"
  ? html`<p>${t("money.register.paidWith", { order: r.paymentOrder ?? "" })}</p>`
  : html`<section aria-labelledby="pay"><h2 id="pay">${t("money.register.payTitle")}</h2>
<form method="post" action="/municipality/registers/${r.id}/payment" novalidate>
  ${csrfInput(ctx)}
  ${field({ name: "paymentOrder", label: t("money.register.paymentOrder"), hint: t("money.register.payHint"), value: form.paymentOrder, error: errors.paymentOrder, required: true })}
  <button type="submit">${t("money.register.pay")}</button>
</form></section>`}`;
    const done = state.done === "approved" ? notice(t("money.register.approved")) : state.done === "paid" ? notice(t("money.register.paid")) : undefined;
    return sendPage(reply.code(Object.keys(errors).length > 0 ? 400 : 200), layout(ctx, { title, body, notice: done }));
  }

  app.get<{ Querystring: { done?: string } }>("/municipality/registers/:id", (request, reply) => registerPage(request, reply, { done: request.query.done }));

  app.post<{ Body: Form }>("/municipality/registers/:id/approval", async (request, reply) => {
    const found = personAndId(request, reply, "municipality");
    if (!found) return reply;
    const { person, id } = found;
    const answer = await services.call<Register>("payments", "POST", `/registers/${id}/approval`, asPerson(request.page, person.token));
    if (!answer.ok) {
      if (answer.status === 403 || answer.status === 404) return notFound(request, reply);
      return registerPage(request, reply, { errors: fieldErrorsOf(answer.problem) });
    }
    return reply.redirect(`/municipality/registers/${id}?done=approved`, 303);
  });

  app.post<{ Body: Form }>("/municipality/registers/:id/payment", async (request, reply) => {
    const found = personAndId(request, reply, "municipality");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const form = request.body;
    const paymentOrder = (form.paymentOrder ?? "").trim();
    // Payments' own rule (1 to 100 characters), told beside the field before it is asked.
    if (!paymentOrder) return registerPage(request, reply, { form, errors: { paymentOrder: ctx.t("money.register.paymentOrderRequired") } });
    if (paymentOrder.length > 100) return registerPage(request, reply, { form, errors: { paymentOrder: ctx.t("money.register.paymentOrderTooLong") } });
    const answer = await services.call<Register>("payments", "POST", `/registers/${id}/payment`, { ...asPerson(ctx, person.token), body: { paymentOrder } });
    if (!answer.ok) {
      if (answer.status === 403 || answer.status === 404) return notFound(request, reply);
      return registerPage(request, reply, { form, errors: fieldErrorsOf(answer.problem) });
    }
    return reply.redirect(`/municipality/registers/${id}?done=paid`, 303);
  });

  // The register's file as payments made it (its name and type too): the bytes pass through.
  app.get<{ Querystring: Form }>("/municipality/registers/:id/export", async (request, reply) => {
    const found = personAndId(request, reply, "municipality");
    if (!found) return reply;
    const { person, id } = found;
    const kind = request.query.format;
    if (kind !== "csv" && kind !== "xlsx") return notFound(request, reply);
    const ctx = request.page;
    const file = await downloadFromPayments(services, `/registers/${id}/export`, { format: kind }, { token: person.token, language: ctx.language, requestId: ctx.requestId });
    if (!file) return notFound(request, reply);
    return reply
      .header("cache-control", "no-store")
      .header("content-disposition", file.contentDisposition ?? `attachment; filename="register-${id}.${kind}"`)
      .type(file.contentType)
      .send(file.bytes);
  });

  /**
   * The advances paid on the municipality's months, each beside its month's bill, and the
   * reconciliation payments records once the month's register is approved.
   */
  async function advancesPage(request: FastifyRequest, reply: FastifyReply, state: { errors?: Record<string, string>; registerId?: string; done?: string } = {}): Promise<FastifyReply> {
    const person = personOf(request, reply, "municipality");
    if (!person) return reply;
    const ctx = request.page;
    const { t, format } = ctx;
    const [list, names, reconciled] = await Promise.all([
      registersOf(ctx, person),
      providerNames(ctx, person),
      services.call<Reconciliation[]>("payments", "GET", "/advance-reconciliations", { ...asPerson(ctx, person.token), query: { municipalityId: person.actor.municipalityId } }),
    ]);
    const zone = await zoneOf(person);
    const byRegister = new Map((reconciled.ok ? reconciled.body : []).map((r) => [r.registerId, r]));
    const advanced = list.filter((r) => r.advance > 0).sort((a, b) => b.month.localeCompare(a.month));
    const errors = state.errors ?? {};
    const body = html`<h1>${t("money.advances.title")}</h1>
${moneyNav(ctx)}
<p>${t("money.advances.intro")}</p>
${advanced.length === 0
  ? html`<p>${t("money.advances.none")}</p>`
  : html`<ul class="cards">${advanced.map((r) => {
      const done = byRegister.get(r.id);
      const money = (amount: number) => format.money(amount, r.currency);
      // Until payments reconciles it, what the register would pay and owe is drawn from its figures.
      const rest = done?.rest ?? Math.max(0, totalOf(r) - r.advance);
      const excess = done?.excess ?? Math.max(0, r.advance - totalOf(r));
      const own = state.registerId === r.id ? errors : {};
      return html`<li class="card" aria-labelledby="advance-${r.id}"><h2 id="advance-${r.id}">${names.get(r.providerId) ?? r.providerId}: ${r.month}</h2>
  <dl class="summary">
    <dt>${t("registers.advance")}</dt><dd>${money(r.advance)}</dd>
    <dt>${t("money.advances.billed")}</dt><dd>${money(done?.billed ?? totalOf(r))}</dd>
    <dt>${t("money.advances.rest")}</dt><dd>${money(rest)}</dd>
    <dt>${t("money.advances.overpaid")}</dt><dd>${money(excess)}</dd>
    <dt>${t("money.advances.state")}</dt><dd>${done ? t("money.advances.state.reconciled", { date: format.date(localDate(done.reconciledAt, zone)) }) : r.status === "formed" ? t("money.advances.state.formed") : t("money.advances.state.ready")}</dd>
  </dl>
  <p><a href="/municipality/registers/${r.id}">${t("money.advances.register")}: № ${r.number}</a></p>
  ${state.registerId === r.id ? errorSummary(ctx, own, { "": t("money.advances.reconcile") }) : ""}
  ${!done && r.status !== "formed"
    ? html`<form method="post" action="/municipality/advances/${r.id}/reconciliation" novalidate>
    ${csrfInput(ctx)}
    <p class="hint">${t("money.advances.reconcileHint")}</p>
    <button type="submit">${t("money.advances.reconcile")}</button>
  </form>`
    : ""}
</li>`;
    })}</ul>`}`;
    const done = state.done === "reconciled" ? notice(t("money.advances.reconciled")) : undefined;
    return sendPage(reply.code(Object.keys(errors).length > 0 ? 400 : 200), layout(ctx, { title: t("money.advances.title"), body, notice: done }));
  }

  app.get<{ Querystring: { done?: string } }>("/municipality/advances", (request, reply) => advancesPage(request, reply, { done: request.query.done }));

  app.post("/municipality/advances/:id/reconciliation", async (request, reply) => {
    const found = personAndId(request, reply, "municipality");
    if (!found) return reply;
    const { person, id } = found;
    const answer = await services.call<Reconciliation>("payments", "POST", `/registers/${id}/advance-reconciliation`, asPerson(request.page, person.token));
    if (!answer.ok) {
      if (answer.status === 403 || answer.status === 404) return notFound(request, reply);
      return advancesPage(request, reply, { errors: fieldErrorsOf(answer.problem), registerId: id });
    }
    return reply.redirect("/municipality/advances?done=reconciled", 303);
  });

  app.get<{ Querystring: Form }>("/municipality/budget", async (request, reply) => {
    const person = personOf(request, reply, "municipality");
    if (!person) return reply;
    const ctx = request.page;
    const { t, format } = ctx;
    const municipalityId = person.actor.municipalityId ?? "";
    const zone = await zoneOf(person);
    const typed = (request.query.year ?? "").trim();
    const year = typed || clock().toLocaleDateString("en-CA", { timeZone: zone }).slice(0, 4);
    let errors: Record<string, string> = /^\d{4}$/.test(year) ? {} : { year: t("money.budget.yearInvalid") };
    let figures: Budget | undefined;
    if (!errors.year) {
      const answer = await services.call<Budget>("payments", "GET", `/municipalities/${municipalityId}/budget`, { ...asPerson(ctx, person.token), query: { year } });
      if (answer.ok) figures = answer.body;
      else errors = fieldErrorsOf(answer.problem);
    }
    const percent = new Intl.NumberFormat(ctx.language === "kk" ? "kk-KZ" : "ru-RU", { maximumFractionDigits: 1 });
    // A share too small to show in tenths is "< 0,1 %", never a 0 % beside money that was spent.
    const share = (part: number, whole: number) => (part * 1000 < whole ? `< ${percent.format(0.1)} %` : `${percent.format((part * 100) / whole)} %`);
    // Each figure with its share of the budget: a list rather than a table, so a phone shows it whole.
    const row = (label: string, amount: number, b: Budget) => html`<dt>${label}</dt><dd>${format.money(amount, b.currency)}${amount === b.budget || amount === 0 || b.budget === 0 ? "" : html` <span class="meta">(${t("money.budget.share", { share: share(amount, b.budget) })})</span>`}</dd>`;
    const body = html`<h1>${t("money.budget.title")}</h1>
${moneyNav(ctx)}
<p>${t("money.budget.intro")}</p>
${errorSummary(ctx, errors, { year: t("money.budget.year"), "": t("money.budget.year") })}
<form method="get" action="/municipality/budget" novalidate>
  ${field({ name: "year", label: t("money.budget.year"), value: year, error: errors.year ?? errors[""], inputmode: "numeric" })}
  <button type="submit">${t("money.budget.show")}</button>
</form>
${figures
  ? html`<section aria-labelledby="figures"><h2 id="figures">${t("money.budget.figures")}</h2>
<dl class="summary">
  ${row(t("money.budget.budget"), figures.budget, figures)}
  ${row(t("money.budget.committed"), figures.committed, figures)}
  ${row(t("money.budget.available"), figures.available, figures)}
  ${row(t("money.budget.reserved"), figures.reserved, figures)}
  ${row(t("money.budget.spent"), figures.spent, figures)}
</dl>
<p>${t("money.budget.certificates", { count: figures.financedCertificates, cap: figures.financedCap })}</p>
</section>
<section aria-labelledby="waiting"><h2 id="waiting">${t("money.budget.waiting")}</h2>
<p>${t("money.budget.waitingHint")}</p>
${figures.waiting.length === 0
  ? html`<p>${t("money.budget.noWaiting")}</p>`
  : html`<div class="scroll" role="region" aria-labelledby="waiting" tabindex="0"><table>
  <thead><tr><th scope="col">${t("money.budget.category")}</th><th scope="col">${t("money.budget.children")}</th><th scope="col">${t("money.budget.amount")}</th></tr></thead>
  <tbody>${figures.waiting.map((w) => html`<tr><th scope="row">${w.category ? categoryName(w.category, ctx.language) : t("money.budget.noCategory")}</th><td>${w.children}</td><td>${format.money(w.amount, figures.currency)}</td></tr>`)}</tbody>
</table></div>`}
</section>`
  : ""}`;
    return sendPage(reply.code(Object.keys(errors).length > 0 ? 400 : 200), layout(ctx, { title: t("money.budget.title"), body }));
  });
}
