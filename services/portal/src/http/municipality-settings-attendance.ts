// The municipality official's attendance month (issue #18): the month's state as attendance holds
// it (open, closed with its summaries, reopened and why), closing it and reopening it with a
// reason, and the fraud signals with their evidence, each resolved with a reason. Attendance
// decides all of it (a month not yet ended does not close; a resolved signal stays resolved);
// the page carries the forms and shows the refusals beside their fields.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { fieldErrorsOf, type Services } from "../api/client";
import type { Directory } from "../api/directory";
import type { PageContext } from "../pages/context";
import { html, type Html } from "../pages/html";
import { csrfInput, errorSummary, field, fieldId, layout } from "../pages/layout";
import type { TextKey } from "../pages/texts";
import { ru as ownTexts } from "../pages/texts-municipality-settings";
import { formFieldsOf, type Errors, type Form } from "./municipality-settings-forms";
import { asPerson, notFoundPage, notice, personAndId, personAndParams, personOf, sendPage } from "./web";

interface MonthState {
  month: string;
  status: "closed" | "reopened" | null;
  version: number;
  closedAt?: string | null;
  reopenedAt?: string | null;
  reopenReason?: string | null;
  items: Record<string, unknown>[];
}

interface Dispute {
  lessonId: string;
  childId: string;
  date: string;
  start: string;
  status: "present" | "absent";
  disputedAt: string | null;
  note: string | null;
}

const DisputeParams = z.object({ id: z.uuid(), childId: z.uuid() });
const STATUSES = ["present", "absent"] as const;

interface Signal {
  id: string;
  kind: string;
  childId: string | null;
  groupIds: string[];
  providerIds: string[];
  lessonIds: string[];
  evidence: Record<string, unknown>;
  raisedAt: string;
  resolution: "confirmed" | "dismissed" | null;
  resolutionReason: string | null;
  resolvedAt: string | null;
}

/** The counts of a month's summaries the official reads at a glance, summed over its enrollments. */
const TOTALS = ["scheduled", "present", "unexcused", "unmarked", "disputed", "unconfirmed", "billable"] as const;

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** Evidence read in the order a person checks it: when, then what (jsonb keeps its keys in its own order). */
const EVIDENCE_ORDER = ["date", "month", "weekOf", "startsAt", "endsAt", "lessons", "marks", "groups", "allowed", "oldestLessonEndedAt", "enteredAt", "lateAfterDays"];
const evidenceRank = (key: string) => (EVIDENCE_ORDER.includes(key) ? EVIDENCE_ORDER.indexOf(key) : EVIDENCE_ORDER.length);
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

interface PageState {
  month?: string;
  /** Which form the errors are of: "month" (close, reopen) or a signal's id. */
  about?: string;
  form?: Form;
  errors?: Errors;
  done?: string | undefined;
}

export function municipalityAttendanceRoutes(app: FastifyInstance, options: { services: Services; directory: Directory; clock: () => Date }): void {
  const { services, directory, clock } = options;

  async function zoneOf(municipalityId: string): Promise<string> {
    return (await directory.municipality(municipalityId))?.timeZone ?? "UTC";
  }

  /** The month to show: the one asked for, else the one before today's (the one to close) in the municipality's zone. */
  function monthOf(asked: unknown, timeZone: string): string {
    if (typeof asked === "string" && MONTH.test(asked)) return asked;
    const [year, month] = clock().toLocaleDateString("en-CA", { timeZone }).slice(0, 7).split("-").map(Number) as [number, number];
    return month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, "0")}`;
  }

  /** A piece of evidence in words: instants in the municipality's zone, dates as dates, lists one per line. */
  function evidenceValue(ctx: PageContext, value: unknown, timeZone: string): Html {
    if (typeof value === "string") return html`${INSTANT.test(value) ? ctx.format.instant(value, timeZone) : DATE.test(value) ? ctx.format.date(value) : value}`;
    if (typeof value === "number" || typeof value === "boolean") return html`${String(value)}`;
    if (Array.isArray(value)) return html`<ul>${value.map((item) => html`<li>${evidenceValue(ctx, item, timeZone)}</li>`)}</ul>`;
    if (value && typeof value === "object") {
      const entries = Object.entries(value as Record<string, unknown>).filter(([key]) => !key.endsWith("Id"));
      return html`${entries.map(([key, v], i) => html`${i > 0 ? "; " : ""}${evidenceLabel(ctx, key)}: ${evidenceValue(ctx, v, timeZone)}`)}`;
    }
    return html`—`;
  }

  function evidenceLabel(ctx: PageContext, key: string): string {
    const textKey = `mattendance.evidence.${key}`;
    return textKey in ownTexts ? ctx.t(textKey as TextKey) : key;
  }

  async function attendancePage(request: FastifyRequest, reply: FastifyReply, state: PageState): Promise<FastifyReply> {
    const person = personOf(request, reply, "municipality");
    if (!person) return reply;
    const ctx = request.page;
    const { t, format } = ctx;
    const municipalityId = person.actor.municipalityId ?? "";
    const timeZone = await zoneOf(municipalityId);
    const month = state.month ?? monthOf(undefined, timeZone);
    const call = asPerson(ctx, person.token);
    const [monthAnswer, signalsAnswer, disputesAnswer] = await Promise.all([
      services.call<MonthState>("attendance", "GET", `/municipalities/${municipalityId}/months/${month}/summaries`, call),
      services.call<Signal[]>("attendance", "GET", `/municipalities/${municipalityId}/signals`, { ...call, query: { limit: 100 } }),
      services.call<Dispute[]>("attendance", "GET", `/municipalities/${municipalityId}/disputes`, { ...call, query: { month } }),
    ]);
    const errors = state.errors ?? {};
    // The month's refusal (not ended, not closed) is about the close form, not the filter's month field above.
    const monthErrors = Object.fromEntries(Object.entries(state.about === "month" ? errors : {}).map(([k, v]) => [k === "month" ? "close" : k, v]));
    const form = state.about === "month" ? (state.form ?? {}) : {};
    const monthState = monthAnswer.ok ? monthAnswer.body : undefined;
    const totals = Object.fromEntries(TOTALS.map((k) => [k, (monthState?.items ?? []).reduce((sum, item) => sum + (typeof item[k] === "number" ? item[k] : 0), 0)]));
    const status = monthState?.status ?? null;
    const monthLabels = { close: t("mattendance.month"), reason: t("mattendance.reopenReason"), "": t("mattendance.monthTitle") };

    const monthSection = html`<section aria-labelledby="month-state" class="card">
<h2 id="month-state">${t("mattendance.monthTitle")}</h2>
${monthAnswer.ok ? "" : html`<p class="error">${monthAnswer.problem.detail || monthAnswer.problem.title}</p>`}
<dl class="summary">
  <dt>${t("mattendance.state")}</dt><dd><strong>${t(status === "closed" ? "mattendance.closed" : status === "reopened" ? "mattendance.reopened" : "mattendance.open")}</strong></dd>
  ${monthState?.closedAt ? html`<dt>${t("mattendance.closedAt")}</dt><dd>${format.instant(monthState.closedAt, timeZone)}</dd>` : ""}
  ${status === "reopened" && monthState?.reopenedAt ? html`<dt>${t("mattendance.reopenedAt")}</dt><dd>${format.instant(monthState.reopenedAt, timeZone)}</dd>` : ""}
  ${status === "reopened" ? html`<dt>${t("mattendance.reopenReason")}</dt><dd>${monthState?.reopenReason ?? "—"}</dd>` : ""}
  ${monthState && monthState.version > 0
    ? html`<dt>${t("mattendance.version")}</dt><dd>${monthState.version}</dd>
  <dt>${t("mattendance.enrollments")}</dt><dd>${monthState.items.length}</dd>
  ${TOTALS.map((k) => html`<dt>${t(`mattendance.total.${k}`)}</dt><dd>${totals[k] ?? 0}</dd>`)}`
    : ""}
</dl>
${monthState?.version === 0 ? html`<p>${t("mattendance.noSummaries")}</p>` : ""}
${errorSummary(ctx, monthErrors, monthLabels)}
${status === "closed"
  ? html`<form method="post" action="/municipality/attendance/reopen" novalidate>
  ${csrfInput(ctx)}<input type="hidden" name="month" value="${month}">
  ${field({ name: "reason", label: monthLabels.reason, value: form.reason, error: monthErrors.reason, hint: t("mattendance.reopenHint") })}
  <button type="submit" class="warning">${t("mattendance.reopen")}</button>
</form>`
  : html`<form method="post" action="/municipality/attendance/close" novalidate>
  ${csrfInput(ctx)}<input type="hidden" name="month" value="${month}">
  ${monthErrors.close ? html`<p class="error" id="${fieldId("close")}" tabindex="-1">${monthErrors.close}</p>` : ""}
  <p class="hint">${t("mattendance.closeHint")}</p>
  <button type="submit">${t("mattendance.close")}</button>
</form>`}
</section>`;

    // The marks families dispute in this month's lessons: each resolved by saying what the mark is.
    const disputes = disputesAnswer.ok ? disputesAnswer.body : [];
    const disputesSection = html`<section aria-labelledby="disputes" class="card">
<h2 id="disputes">${t("mattendance.disputes")}</h2>
<p>${t(status === "closed" ? "mattendance.disputesClosed" : "mattendance.disputesIntro")}</p>
${disputesAnswer.ok ? "" : html`<p class="error">${disputesAnswer.problem.detail || disputesAnswer.problem.title}</p>`}
${disputes.length === 0 ? html`<p>${t("mattendance.noDisputes")}</p>` : ""}
<ul class="cards">${disputes.map((d) => {
  const key = `${d.lessonId}:${d.childId}`;
  const own = state.about === key ? errors : {};
  const dform = state.about === key ? (state.form ?? {}) : {};
  const base = `dispute-${d.lessonId}-${d.childId}`;
  const ids = { status: `${base}-present`, note: `${base}-note` };
  const summary = Object.fromEntries(Object.entries(own).map(([k, v]) => [k === "status" ? ids.status : k === "note" ? ids.note : k, v]));
  const heading = t("mattendance.disputeLesson", { date: format.date(d.date), start: d.start, child: d.childId.slice(0, 8) });
  return html`<li class="card" aria-labelledby="${base}">
  <h3 id="${base}">${heading}</h3>
  <dl class="summary">
    <dt>${t("mattendance.markNow")}</dt><dd>${t(d.status === "present" ? "attendance.present" : "attendance.absent")}</dd>
    ${d.disputedAt ? html`<dt>${t("mattendance.disputedAt")}</dt><dd>${format.instant(d.disputedAt, timeZone)}</dd>` : ""}
    <dt>${t("mattendance.familyNote")}</dt><dd>${d.note ?? "—"}</dd>
  </dl>
  ${errorSummary(ctx, summary, { [ids.status]: t("mattendance.markIs"), [ids.note]: t("mattendance.resolutionNote"), "": heading })}
  <form method="post" action="/municipality/lessons/${d.lessonId}/children/${d.childId}/resolution" novalidate>
    ${csrfInput(ctx)}<input type="hidden" name="month" value="${month}">
    <fieldset><legend>${t("mattendance.markIs")}</legend>
      ${own.status ? html`<p class="error" id="${fieldId(ids.status)}-error">${own.status}</p>` : ""}
      ${STATUSES.map(
        (o) => html`<div class="check"><input type="radio" id="${fieldId(`${base}-${o}`)}" name="status" value="${o}"${dform.status === o ? html` checked` : ""}${own.status ? html` aria-invalid="true" aria-describedby="${fieldId(ids.status)}-error"` : ""}><label for="${fieldId(`${base}-${o}`)}">${t(o === "present" ? "attendance.present" : "attendance.absent")}</label></div>`,
      )}
    </fieldset>
    <div class="field${own.note ? " has-error" : ""}">
      <label for="${fieldId(ids.note)}">${t("mattendance.resolutionNote")}</label>
      ${own.note ? html`<p class="error" id="${fieldId(ids.note)}-error">${own.note}</p>` : ""}
      <input id="${fieldId(ids.note)}" name="note" type="text" value="${dform.note ?? ""}"${own.note ? html` aria-invalid="true" aria-describedby="${fieldId(ids.note)}-error"` : ""}>
    </div>
    <button type="submit">${t("mattendance.resolveDispute")}</button>
  </form>
</li>`;
})}</ul>
</section>`;

    const signals = signalsAnswer.ok ? [...signalsAnswer.body].sort((a, b) => Number(a.resolution !== null) - Number(b.resolution !== null)) : [];
    const signalsSection = html`<section aria-labelledby="signals" class="card">
<h2 id="signals">${t("mattendance.signals")}</h2>
<p>${t("mattendance.signalsIntro")}</p>
${signalsAnswer.ok ? "" : html`<p class="error">${signalsAnswer.problem.detail || signalsAnswer.problem.title}</p>`}
${signals.length === 0 ? html`<p>${t("mattendance.noSignals")}</p>` : ""}
<ul class="cards">${signals.map((s) => {
  const own = state.about === s.id ? errors : {};
  const sform = state.about === s.id ? (state.form ?? {}) : {};
  // Each signal's fields are named by the signal: several forms on one page, one id each.
  const ids = { outcome: `outcome-${s.id}-confirmed`, reason: `reason-${s.id}` };
  const summary = Object.fromEntries(Object.entries(own).map(([k, v]) => [k === "outcome" ? ids.outcome : k === "reason" ? ids.reason : k, v]));
  const labels = { [ids.outcome]: t("mattendance.outcome"), [ids.reason]: t("mattendance.signalReason"), "": t(`signals.kind.${s.kind}` as TextKey) };
  return html`<li class="card" aria-labelledby="signal-${s.id}">
  <h3 id="signal-${s.id}">${t(`signals.kind.${s.kind}` as TextKey)}</h3>
  <p class="meta">${t("signals.raised", { at: format.instant(s.raisedAt, timeZone) })} · <strong>${t(s.resolution === null ? "mattendance.signalOpen" : s.resolution === "confirmed" ? "signals.confirmed" : "signals.dismissed")}</strong></p>
  <dl class="summary">
    ${Object.entries(s.evidence).sort(([a], [b]) => evidenceRank(a) - evidenceRank(b)).map(([key, value]) => html`<dt>${evidenceLabel(ctx, key)}</dt><dd>${evidenceValue(ctx, value, timeZone)}</dd>`)}
    <dt>${t("mattendance.providers")}</dt><dd>${s.providerIds.length}</dd>
    ${s.resolutionReason ? html`<dt>${t("mattendance.signalReason")}</dt><dd>${s.resolutionReason}</dd>` : ""}
  </dl>
  ${s.resolution === null
    ? html`${errorSummary(ctx, summary, labels)}
  <form method="post" action="/municipality/signals/${s.id}/resolution" novalidate>
    ${csrfInput(ctx)}<input type="hidden" name="month" value="${month}">
    <fieldset><legend>${t("mattendance.outcome")}</legend>
      ${own.outcome ? html`<p class="error" id="${fieldId(ids.outcome)}-error">${own.outcome}</p>` : ""}
      ${(["confirmed", "dismissed"] as const).map(
        (o) => html`<div class="check"><input type="radio" id="${fieldId(`outcome-${s.id}-${o}`)}" name="outcome" value="${o}"${sform.outcome === o ? html` checked` : ""}${own.outcome ? html` aria-invalid="true" aria-describedby="${fieldId(ids.outcome)}-error"` : ""}><label for="${fieldId(`outcome-${s.id}-${o}`)}">${t(`mattendance.outcome.${o}`)}</label></div>`,
      )}
    </fieldset>
    <div class="field${own.reason ? " has-error" : ""}">
      <label for="${fieldId(ids.reason)}">${t("mattendance.signalReason")}</label>
      <p class="hint" id="${fieldId(ids.reason)}-hint">${t("mattendance.signalReasonHint")}</p>
      ${own.reason ? html`<p class="error" id="${fieldId(ids.reason)}-error">${own.reason}</p>` : ""}
      <input id="${fieldId(ids.reason)}" name="reason" type="text" value="${sform.reason ?? ""}" aria-describedby="${fieldId(ids.reason)}-hint${own.reason ? ` ${fieldId(ids.reason)}-error` : ""}"${own.reason ? html` aria-invalid="true"` : ""}>
    </div>
    <button type="submit">${t("mattendance.resolve")}</button>
  </form>`
    : ""}
</li>`;
})}</ul>
</section>`;

    const title = t("mattendance.title");
    const body = html`<h1>${title}</h1>
<form method="get" action="/municipality/attendance" class="filters" novalidate>
  ${field({ name: "month", label: t("mattendance.month"), value: month, hint: t("mattendance.monthHint") })}
  <button type="submit" class="secondary">${t("msettings.show")}</button>
</form>
<p><a href="/municipality/settings">${t("msettings.link")}</a></p>
${monthSection}
${disputesSection}
${signalsSection}`;
    const done = state.done && ["closed", "reopened", "resolved", "disputeResolved"].includes(state.done) ? notice(t(`mattendance.done.${state.done as "closed" | "reopened" | "resolved" | "disputeResolved"}`)) : undefined;
    return sendPage(reply.code(Object.keys(errors).length > 0 ? 400 : 200), layout(ctx, { title, body, notice: done }));
  }

  app.get<{ Querystring: { month?: string; done?: string } }>("/municipality/attendance", async (request, reply) => {
    const person = personOf(request, reply, "municipality");
    if (!person) return reply;
    const timeZone = await zoneOf(person.actor.municipalityId ?? "");
    return attendancePage(request, reply, { month: monthOf(request.query.month, timeZone), done: request.query.done });
  });

  app.post<{ Body: Form }>("/municipality/attendance/close", async (request, reply) => {
    const person = personOf(request, reply, "municipality");
    if (!person) return reply;
    const ctx = request.page;
    const form = request.body;
    const month = form.month ?? "";
    if (!MONTH.test(month)) return attendancePage(request, reply, { about: "month", form, errors: { month: ctx.t("mattendance.monthInvalid") } });
    const answer = await services.call("attendance", "POST", `/municipalities/${person.actor.municipalityId ?? ""}/months/${month}/close`, asPerson(ctx, person.token));
    if (!answer.ok) return attendancePage(request, reply, { month, about: "month", form, errors: fieldErrorsOf(answer.problem) });
    return reply.redirect(`/municipality/attendance?month=${month}&done=closed`, 303);
  });

  app.post<{ Body: Form }>("/municipality/attendance/reopen", async (request, reply) => {
    const person = personOf(request, reply, "municipality");
    if (!person) return reply;
    const ctx = request.page;
    const form = request.body;
    const month = form.month ?? "";
    if (!MONTH.test(month)) return attendancePage(request, reply, { about: "month", form, errors: { month: ctx.t("mattendance.monthInvalid") } });
    const reason = (form.reason ?? "").trim();
    // Attendance keeps the reason (3 to 2000 characters); said here before it is asked.
    if (reason.length < 3 || reason.length > 2000) return attendancePage(request, reply, { month, about: "month", form, errors: { reason: ctx.t("mattendance.reasonRequired") } });
    const answer = await services.call("attendance", "POST", `/municipalities/${person.actor.municipalityId ?? ""}/months/${month}/reopen`, { ...asPerson(ctx, person.token), body: { reason } });
    if (!answer.ok) return attendancePage(request, reply, { month, about: "month", form, errors: fieldErrorsOf(answer.problem) });
    return reply.redirect(`/municipality/attendance?month=${month}&done=reopened`, 303);
  });

  app.post<{ Body: Form }>("/municipality/signals/:id/resolution", async (request, reply) => {
    const found = personAndId(request, reply, "municipality");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const form = request.body;
    const month = form.month && MONTH.test(form.month) ? form.month : undefined;
    const errors: Errors = {};
    const outcome = form.outcome === "confirmed" || form.outcome === "dismissed" ? form.outcome : undefined;
    if (!outcome) errors.outcome = ctx.t("mattendance.outcomeRequired");
    const reason = (form.reason ?? "").trim();
    if (reason.length < 3 || reason.length > 2000) errors.reason = ctx.t("mattendance.reasonRequired");
    if (!outcome || Object.keys(errors).length > 0) return attendancePage(request, reply, { month, about: id, form, errors });
    const answer = await services.call("attendance", "POST", `/municipalities/${person.actor.municipalityId ?? ""}/signals/${id}/resolution`, { ...asPerson(ctx, person.token), body: { outcome, reason } });
    if (!answer.ok) {
      if (answer.status === 403 || answer.status === 404) return notFoundPage(request, reply);
      return attendancePage(request, reply, { month, about: id, form, errors: fieldErrorsOf(answer.problem) });
    }
    return reply.redirect(`/municipality/attendance?${month ? `month=${month}&` : ""}done=resolved#signals`, 303);
  });

  app.post<{ Body: Form }>("/municipality/lessons/:id/children/:childId/resolution", async (request, reply) => {
    const found = personAndParams(request, reply, DisputeParams, "municipality");
    if (!found) return reply;
    const { person, params } = found;
    const ctx = request.page;
    const form = request.body;
    const month = form.month && MONTH.test(form.month) ? form.month : undefined;
    const about = `${params.id}:${params.childId}`;
    const status = STATUSES.find((s) => s === form.status);
    const note = (form.note ?? "").trim();
    const errors: Errors = {};
    if (!status) errors.status = ctx.t("mattendance.markRequired");
    // Attendance keeps a note of up to 500 characters with the change.
    if (note.length > 500) errors.note = ctx.t("mattendance.noteTooLong");
    if (!status || Object.keys(errors).length > 0) return attendancePage(request, reply, { month, about, form, errors });
    const answer = await services.call("attendance", "POST", `/children/${params.childId}/mark-reviews`, {
      ...asPerson(ctx, person.token),
      body: { marks: [{ lessonId: params.id, decision: "resolve", status, ...(note && { note }) }] },
    });
    if (!answer.ok) {
      if (answer.status === 403 || answer.status === 404) return notFoundPage(request, reply);
      // `marks.0.status` is the form's `status`; a refusal about the lesson (the month closed) is the form's own.
      const named = formFieldsOf(fieldErrorsOf(answer.problem), ["marks.0.status", "marks.0.note", "marks.0.lessonId", "marks.0.decision"]);
      const mapped = Object.fromEntries(Object.entries(named).map(([k, v]) => [k === "marks.0.status" ? "status" : k === "marks.0.note" ? "note" : "", v]));
      return attendancePage(request, reply, { month, about, form, errors: mapped });
    }
    return reply.redirect(`/municipality/attendance?${month ? `month=${month}&` : ""}done=disputeResolved#disputes`, 303);
  });
}
