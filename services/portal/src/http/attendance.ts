// Attendance from the pages: the provider's month sheet of a group and the form that marks one
// lesson (one lesson a page: a few taps on a phone, and it works without JavaScript); a family's
// marks of the month and its notice of an absence, told plainly whether it came in time.
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { fieldErrorsOf, type Services } from "../api/client";
import type { Directory } from "../api/directory";
import type { Child } from "../api/types";
import type { PageContext } from "../pages/context";
import { html, type Html } from "../pages/html";
import { csrfInput, errorSummary, field, fieldId, layout, messagePage, select } from "../pages/layout";
import type { TextKey } from "../pages/texts";
import { asPerson, notFoundPage as notFound, notice, personAndId, personOf, sendPage } from "./web";

export interface AttendanceOptions {
  services: Services;
  directory: Directory;
  clock: () => Date;
}

interface Mark {
  lessonId: string;
  childId: string;
  date: string;
  start: string;
  status: "present" | "absent";
  review: string;
}

interface Sheet {
  month: string;
  closed: boolean;
  lessons: { date: string; start: string; end: string; roster: string[] }[];
  marks: Mark[];
}

interface Signal {
  id: string;
  kind: string;
  childId: string | null;
  groupIds: string[];
  otherProviders: number;
  raisedAt: string;
  resolution: "confirmed" | "dismissed" | null;
}

const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/);
const LessonParams = z.object({ id: z.uuid(), lesson: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/) });
const REASONS = ["illness", "vacation", "quarantine", "repairs", "rehabilitation", "other"] as const;

/** The month of `now` in `timeZone`, YYYY-MM. */
const monthIn = (now: Date, timeZone: string) => now.toLocaleDateString("en-CA", { timeZone }).slice(0, 7);
const shiftMonth = (month: string, by: number) => {
  const [y, m] = month.split("-").map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 1 + by, 1));
  return d.toISOString().slice(0, 7);
};

function monthName(ctx: PageContext, month: string): string {
  return new Intl.DateTimeFormat(ctx.language === "kk" ? "kk-KZ" : "ru-RU", { month: "long", year: "numeric", timeZone: "UTC" }).format(new Date(`${month}-01T00:00:00Z`));
}

const markWord = (ctx: PageContext, mark: Mark | undefined) =>
  mark === undefined ? ctx.t("attendance.unmarked") : mark.status === "present" ? ctx.t("attendance.present") : ctx.t("attendance.absent");

export function attendanceRoutes(app: FastifyInstance, options: AttendanceOptions): void {
  const { services, directory, clock } = options;

  /** The provider's children by id (names for the sheet), from the registry's view of its applicants and pupils. */
  async function namesOf(ctx: PageContext, token: string, providerId: string): Promise<Map<string, string>> {
    const answer = await services.call<{ items: { childId: string; firstName: string; lastName: string }[] }>("registry", "GET", `/providers/${providerId}/children`, {
      language: ctx.language,
      requestId: ctx.requestId,
      token,
      query: { limit: 200 },
    });
    return new Map((answer.ok ? answer.body.items : []).map((c) => [c.childId, `${c.lastName} ${c.firstName}`]));
  }

  app.get<{ Querystring: { month?: string; done?: string } }>("/provider/groups/:id/lessons", async (request, reply) => {
    const found = personAndId(request, reply, "provider");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const { t, format } = ctx;
    const zone = (await directory.municipality(person.actor.municipalityId ?? ""))?.timeZone ?? "UTC";
    const month = Month.safeParse(request.query.month).data ?? monthIn(clock(), zone);
    const call = asPerson(ctx, person.token);
    const [sheet, names] = await Promise.all([
      services.call<Sheet>("attendance", "GET", `/groups/${id}/lessons`, { ...call, query: { month } }),
      namesOf(ctx, person.token, person.actor.providerId ?? ""),
    ]);
    if (!sheet.ok) return notFound(request, reply);
    const { lessons, marks } = sheet.body;
    const children = [...new Set(lessons.flatMap((l) => l.roster))];
    const markOf = (childId: string, date: string, start: string) => marks.find((m) => m.childId === childId && m.date === date && m.start === start);
    const today = clock().toLocaleDateString("en-CA", { timeZone: zone });
    const todays = lessons.find((l) => l.date === today);
    const base = `/provider/groups/${id}/lessons`;
    const body = html`<h1>${t("attendance.month", { month: monthName(ctx, month) })}</h1>
${todays ? html`<p><a class="button" href="${base}/${todays.date}T${todays.start}">${t("attendance.today")}</a></p>` : ""}
<p class="actions"><a href="${base}?month=${shiftMonth(month, -1)}">${t("attendance.prevMonth")}</a> <a href="${base}?month=${shiftMonth(month, 1)}">${t("attendance.nextMonth")}</a></p>
${lessons.length === 0
  ? html`<p>${t("attendance.noLessons")}</p>`
  : html`<div class="scroll" role="region" aria-label="${t("attendance.month", { month: monthName(ctx, month) })}" tabindex="0"><table>
  <thead><tr><th scope="col">${t("attendance.child")}</th>${lessons.map((l) => html`<th scope="col">${l.date.slice(8, 10)}.${l.date.slice(5, 7)} ${l.start}</th>`)}</tr></thead>
  <tbody>${children.map((childId) => html`<tr><th scope="row">${names.get(childId) ?? childId}</th>${lessons.map((l) => html`<td>${l.roster.includes(childId) ? markWord(ctx, markOf(childId, l.date, l.start)) : "—"}</td>`)}</tr>`)}</tbody>
</table></div>
<h2>${t("attendance.mark")}</h2>
<ul class="lessons">${lessons.map((l) => html`<li><a href="${base}/${l.date}T${l.start}">${t("attendance.lesson", { date: format.date(l.date), start: l.start, end: l.end })}</a></li>`)}</ul>`}`;
    const done = request.query.done === "saved" ? notice(t("attendance.saved")) : undefined;
    return sendPage(reply, layout(ctx, { title: t("attendance.month", { month: monthName(ctx, month) }), body, notice: done }));
  });

  async function lessonPage(request: FastifyRequest, reply: FastifyReply, error?: string): Promise<FastifyReply> {
    const person = personOf(request, reply, "provider");
    if (!person) return reply;
    const params = LessonParams.safeParse(request.params);
    if (!params.success) return notFound(request, reply);
    const ctx = request.page;
    const { t, format } = ctx;
    const [date, start] = params.data.lesson.split("T") as [string, string];
    const call = asPerson(ctx, person.token);
    const [sheet, names] = await Promise.all([
      services.call<Sheet>("attendance", "GET", `/groups/${params.data.id}/lessons`, { ...call, query: { month: date.slice(0, 7) } }),
      namesOf(ctx, person.token, person.actor.providerId ?? ""),
    ]);
    const lesson = sheet.ok ? sheet.body.lessons.find((l) => l.date === date && l.start === start) : undefined;
    if (!sheet.ok || !lesson) return notFound(request, reply);
    const title = t("attendance.lesson", { date: format.date(date), start, end: lesson.end });
    const body = html`<h1>${title}</h1>
${error ? html`<div class="error-summary" role="alert"><h2>${t("form.errors")}</h2><p>${error}</p></div>` : ""}
${lesson.roster.length === 0
  ? html`<p>${t("attendance.emptyRoster")}</p>`
  : html`<form method="post" action="/provider/groups/${params.data.id}/lessons/${params.data.lesson}">
  ${csrfInput(ctx)}
  ${lesson.roster.map((childId) => {
    const mark = sheet.body.marks.find((m) => m.childId === childId && m.date === date && m.start === start);
    const status = mark?.status ?? "present";
    const name = names.get(childId) ?? childId;
    return html`<fieldset class="mark"><legend>${name}</legend>
    <div class="check"><input type="radio" id="${fieldId(`${childId}-present`)}" name="${childId}" value="present"${status === "present" ? html` checked` : ""}><label for="${fieldId(`${childId}-present`)}">${t("attendance.present")}</label></div>
    <div class="check"><input type="radio" id="${fieldId(`${childId}-absent`)}" name="${childId}" value="absent"${status === "absent" ? html` checked` : ""}><label for="${fieldId(`${childId}-absent`)}">${t("attendance.absent")}</label></div>
  </fieldset>`;
  })}
  <button type="submit">${t("attendance.save")}</button>
</form>`}`;
    return sendPage(reply.code(error ? 409 : 200), layout(ctx, { title, body }));
  }

  app.get("/provider/groups/:id/lessons/:lesson", (request, reply) => lessonPage(request, reply));

  app.post<{ Body: Record<string, string | undefined> }>("/provider/groups/:id/lessons/:lesson", async (request, reply) => {
    const person = personOf(request, reply, "provider");
    if (!person) return reply;
    const params = LessonParams.safeParse(request.params);
    if (!params.success) return notFound(request, reply);
    const ctx = request.page;
    const marks = Object.entries(request.body)
      .filter(([key, value]) => z.uuid().safeParse(key).success && (value === "present" || value === "absent"))
      .map(([childId, status]) => ({ childId, status }));
    if (marks.length === 0) return lessonPage(request, reply, ctx.t("attendance.emptyRoster"));
    const answer = await services.call("attendance", "PUT", `/groups/${params.data.id}/lessons/${params.data.lesson}`, {
      language: ctx.language,
      requestId: ctx.requestId,
      token: person.token,
      body: { marks },
    });
    if (!answer.ok) return lessonPage(request, reply, answer.problem.detail || answer.problem.title);
    return reply.redirect(`/provider/groups/${params.data.id}/lessons?month=${params.data.lesson.slice(0, 7)}&done=saved`, 303);
  });

  // The fraud signals raised about the provider's own groups (its own lessons only; the
  // municipality decides them): so the office can check its marks before the month is closed.
  app.get("/provider/signals", async (request, reply) => {
    const person = personOf(request, reply, "provider");
    if (!person) return reply;
    const ctx = request.page;
    const { t, format } = ctx;
    const providerId = person.actor.providerId ?? "";
    const [signals, names, zone] = await Promise.all([
      services.call<Signal[]>("attendance", "GET", `/providers/${providerId}/signals`, asPerson(ctx, person.token)),
      namesOf(ctx, person.token, providerId),
      directory.municipality(person.actor.municipalityId ?? "").then((m) => m?.timeZone ?? "UTC"),
    ]);
    const list = signals.ok ? signals.body : [];
    const body = html`<h1>${t("signals.title")}</h1>
<p>${t("signals.intro")}</p>
${list.length === 0
  ? html`<p>${t("signals.none")}</p>`
  : html`<ul class="cards">${list.map(
      (s) => html`<li class="card">
  <h2>${t(`signals.kind.${s.kind}` as TextKey)}</h2>
  <p class="meta">${t("signals.raised", { at: format.instant(s.raisedAt, zone) })} · <strong>${t(s.resolution === null ? "signals.open" : s.resolution === "confirmed" ? "signals.confirmed" : "signals.dismissed")}</strong></p>
  ${s.childId ? html`<p>${t("attendance.child")}: ${names.get(s.childId) ?? s.childId}</p>` : ""}
  ${s.otherProviders > 0 ? html`<p>${t("signals.others", { count: s.otherProviders })}</p>` : ""}
  ${s.groupIds.map((g) => html`<p><a href="/provider/groups/${g}/lessons?month=${monthIn(new Date(s.raisedAt), zone)}">${t("signals.sheet")}</a></p>`)}
</li>`,
    )}</ul>`}`;
    return sendPage(reply, layout(ctx, { title: t("signals.title"), body }));
  });

  // --- the family ---------------------------------------------------------------------------


  function absenceForm(ctx: PageContext, childId: string, form: Record<string, string | undefined>, errors: Record<string, string>): Html {
    const { t } = ctx;
    const labels = { reason: t("absence.reason"), from: t("absence.from"), to: t("absence.to") };
    return layout(ctx, {
      title: t("absence.title"),
      body: html`<h1>${t("absence.title")}</h1>
<p>${t("absence.intro")}</p>
${errorSummary(ctx, errors, labels)}
<form method="post" action="/family/children/${childId}/absence" novalidate>
  ${csrfInput(ctx)}
  <input type="hidden" name="idempotencyKey" value="${randomUUID()}">
  ${select({ name: "reason", label: t("absence.reason"), value: form.reason, error: errors.reason, options: REASONS.map((r) => ({ value: r, label: t(`reason.${r}` as TextKey) })) })}
  ${field({ name: "from", label: t("absence.from"), value: form.from, error: errors.from, type: "date", required: true })}
  ${field({ name: "to", label: t("absence.to"), value: form.to, error: errors.to, type: "date", required: true })}
  <button type="submit">${t("absence.send")}</button>
</form>`,
    });
  }

  app.get("/family/children/:id/absence", async (request, reply) => {
    const found = personAndId(request, reply, "guardian");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    // The child must be the family's (the registry says): another family's id is "not found".
    const child = await services.call<Child>("registry", "GET", `/children/${id}`, asPerson(ctx, person.token));
    if (!child.ok) return notFound(request, reply);
    const today = clock().toISOString().slice(0, 10);
    return sendPage(reply, absenceForm(ctx, id, { reason: "illness", from: today, to: today }, {}));
  });

  app.post<{ Body: Record<string, string | undefined> }>("/family/children/:id/absence", async (request, reply) => {
    const found = personAndId(request, reply, "guardian");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const form = request.body;
    const answer = await services.call<{ onTime: boolean; proofDueOn: string | null }>("attendance", "POST", "/absence-notices", {
      language: ctx.language,
      requestId: ctx.requestId,
      token: person.token,
      ...(form.idempotencyKey && { idempotencyKey: form.idempotencyKey }),
      body: { childId: id, reason: form.reason ?? "", from: form.from ?? "", to: form.to ?? "" },
    });
    if (!answer.ok) {
      if (answer.status === 403 || answer.status === 404) return notFound(request, reply);
      return sendPage(reply.code(400), absenceForm(ctx, id, form, fieldErrorsOf(answer.problem)));
    }
    const { t, format } = ctx;
    const told = html`<h1>${t("absence.title")}</h1>
<p class="notice" role="status">${answer.body.onTime ? t("absence.onTime") : t("absence.late")}</p>
${answer.body.onTime && answer.body.proofDueOn ? html`<p>${t("absence.proof", { date: format.date(answer.body.proofDueOn) })}</p>` : ""}
<p><a href="/family/children/${id}">${t("error.back")}</a></p>`;
    return sendPage(reply.code(201), layout(ctx, { title: t("absence.title"), body: told }));
  });

  // The family's answer about the month's marks: each lesson chosen in the form confirmed or
  // disputed (with the one note, which the operator reads when resolving the dispute).
  app.post<{ Body: Record<string, string | undefined> }>("/family/children/:id/marks", async (request, reply) => {
    const found = personAndId(request, reply, "guardian");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const note = request.body.note?.trim();
    const marks = Object.entries(request.body)
      .filter(([key, value]) => z.uuid().safeParse(key).success && (value === "confirm" || value === "dispute"))
      .map(([lessonId, decision]) => ({ lessonId, decision, ...(decision === "dispute" && note && { note }) }));
    if (marks.length === 0) return reply.redirect(`/family/children/${id}#marks`, 303);
    const answer = await services.call("attendance", "POST", `/children/${id}/mark-reviews`, { ...asPerson(ctx, person.token), body: { marks } });
    if (!answer.ok) {
      if (answer.status === 403 || answer.status === 404) return notFound(request, reply);
      return sendPage(reply.code(answer.status === 400 ? 400 : 409), messagePage(ctx, ctx.t("markReview.title"), answer.problem.detail || answer.problem.title));
    }
    const month = Month.safeParse(request.body.month).data;
    return reply.redirect(`/family/children/${id}?done=reviewed${month ? `&month=${month}` : ""}#marks`, 303);
  });
}

/** The child's marks of this month, each to confirm or dispute, and the link to notify an absence: a block of the child's page. */
export async function childMarks(services: Services, clock: () => Date, ctx: PageContext, token: string, childId: string, zone: string, asked?: string): Promise<Html> {
  const { t, format } = ctx;
  const month = Month.safeParse(asked).data ?? monthIn(clock(), zone);
  const base = `/family/children/${childId}`;
  const answer = await services.call<Mark[]>("attendance", "GET", `/children/${childId}/marks`, { ...asPerson(ctx, token), query: { month } });
  const marks = answer.ok ? answer.body : [];
  // A mark an operator has resolved is final; the others the family may confirm or dispute (again).
  const open = marks.filter((m) => m.review !== "resolved");
  const reviewCell = (m: Mark) => {
    if (m.review === "resolved") return t("markReview.resolved");
    const id = fieldId(`review-${m.lessonId}`);
    return html`<label class="visually-hidden" for="${id}">${t("markReview.of", { date: format.date(m.date), start: m.start })}</label>
<select id="${id}" name="${m.lessonId}"><option value="">${t(`markReview.${m.review === "none" ? "none" : m.review}` as TextKey)}</option>${m.review !== "confirmed" ? html`<option value="confirm">${t("markReview.confirm")}</option>` : ""}${m.review !== "disputed" ? html`<option value="dispute">${t("markReview.dispute")}</option>` : ""}</select>`;
  };
  const table = html`<div class="scroll" role="region" aria-label="${t("attendance.marks", { month: monthName(ctx, month) })}" tabindex="0"><table>
<thead><tr><th scope="col">${t("markReview.lesson")}</th><th scope="col">${t("markReview.mark")}</th><th scope="col">${t("markReview.yours")}</th></tr></thead>
<tbody>${marks.map((m) => html`<tr><td>${format.date(m.date)} ${m.start}</td><td>${markWord(ctx, m)}</td><td>${reviewCell(m)}</td></tr>`)}</tbody></table></div>`;
  return html`<h2 id="marks">${t("attendance.marks", { month: monthName(ctx, month) })}</h2>
<p class="actions"><a href="${base}?month=${shiftMonth(month, -1)}#marks">${t("attendance.prevMonth")}</a> <a href="${base}?month=${shiftMonth(month, 1)}#marks">${t("attendance.nextMonth")}</a></p>
${marks.length === 0
  ? html`<p>${t("attendance.noMarks")}</p>`
  : open.length === 0
    ? table
    : html`<p>${t("markReview.intro")}</p>
<form method="post" action="${base}/marks">
  ${csrfInput(ctx)}
  <input type="hidden" name="month" value="${month}">
  ${table}
  ${field({ name: "note", label: t("markReview.note"), value: "" })}
  <button type="submit">${t("markReview.send")}</button>
</form>`}
<p><a href="${base}/absence">${t("absence.title")}</a></p>`;
}
