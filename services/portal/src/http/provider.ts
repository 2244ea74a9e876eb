// A provider's office: its programs (drafts too) and the applications to its groups with the
// applicant's details the review needs, confirmed or rejected from the page.
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { fieldErrorsOf, type Services } from "../api/client";
import type { Directory } from "../api/directory";
import type { Application, Group, Program } from "../api/types";
import { html } from "../pages/html";
import { csrfInput, errorSummary, field, layout, messagePage } from "../pages/layout";
import { codeText } from "../pages/texts";
import { asPerson, notFoundPage as notFound, notice, personAndId, personOf, sendPage } from "./web";

export interface ProviderOptions {
  services: Services;
  directory: Directory;
}

interface Applicant {
  childId: string;
  firstName: string;
  lastName: string;
  age: number;
  guardians: { firstName: string; lastName: string; phone: string | null; email: string | null }[];
}

const IdParams = z.object({ id: z.uuid() });
const Review = z.object({ decision: z.enum(["confirmed", "rejected"]), comment: z.string().max(1_000).optional() });


export function providerRoutes(app: FastifyInstance, options: ProviderOptions): void {
  const { services, directory } = options;

  app.get<{ Querystring: { done?: string } }>("/provider", async (request, reply) => {
    const person = personOf(request, reply, "provider");
    if (!person) return reply;
    const ctx = request.page;
    const { t, format } = ctx;
    const providerId = person.actor.providerId ?? "";
    const call = asPerson(ctx, person.token);
    const [programs, applications, applicants] = await Promise.all([
      services.call<{ items: Program[] }>("catalogue", "GET", `/providers/${providerId}/programs`, call),
      services.call<{ items: Application[] }>("enrollment", "GET", `/providers/${providerId}/applications`, call),
      services.call<{ items: Applicant[] }>("registry", "GET", `/providers/${providerId}/children`, { ...call, query: { limit: 200 } }),
    ]);
    const programList = programs.ok ? programs.body.items : [];
    const groups = await Promise.all(
      programList.map(async (p) => {
        const answer = await services.call<Group[]>("catalogue", "GET", `/programs/${p.id}/groups`, call);
        return answer.ok ? answer.body : [];
      }),
    );
    const timeZone = (await directory.municipality(person.actor.municipalityId ?? ""))?.timeZone ?? "UTC";
    const byChild = new Map((applicants.ok ? applicants.body.items : []).map((a) => [a.childId, a]));
    const titles = new Map((programs.ok ? programs.body.items : []).map((p) => [p.id, p.title]));
    const pending = (applications.ok ? applications.body.items : []).filter((a) => a.review === "pending");
    const body = html`<h1>${t("provider.title")}</h1>
<p><a href="/provider/registers">${t("registers.title")}</a> · <a href="/provider/signals">${t("signals.title")}</a></p>
<h2>${t("provider.applications")}</h2>
${pending.length === 0 ? html`<p>${t("provider.noApplications")}</p>` : ""}
<ul class="cards">${pending.map((a) => {
  const child = byChild.get(a.childId);
  return html`<li class="card">
  <h3>${child ? `${child.lastName} ${child.firstName}, ${child.age}` : a.childId}</h3>
  <p class="meta">${titles.get(a.programId) ?? ""} · ${codeText(ctx.t, "application.status", a.status)} · ${t("provider.reviewDue", { date: format.instant(a.reviewDueAt, timeZone) })}</p>
  ${child ? html`<p class="meta">${child.guardians.map((g) => `${g.firstName} ${g.lastName}${g.phone ? `, ${g.phone}` : ""}${g.email ? `, ${g.email}` : ""}`).join("; ")}</p>` : ""}
  <div class="actions">
    <form method="post" action="/provider/applications/${a.id}/review">${csrfInput(ctx)}<input type="hidden" name="decision" value="confirmed"><button type="submit">${t("provider.confirm")}</button></form>
  </div>
  <details><summary>${t("provider.reject")}</summary>
    <form method="post" action="/provider/applications/${a.id}/review">${csrfInput(ctx)}<input type="hidden" name="decision" value="rejected">
      ${field({ name: "comment", label: t("provider.rejectReason") })}
      <button type="submit" class="warning">${t("provider.reject")}</button></form>
  </details>
</li>`;
})}</ul>
<h2>${t("provider.programs")}</h2>
<p><a class="button" href="/provider/programs/new">${t("edit.newProgram")}</a></p>
${programs.ok && programs.body.items.length > 0
  ? html`<ul class="cards">${programList.map(
      (p, i) => html`<li class="card"><h3><a href="/provider/programs/${p.id}">${p.title}</a></h3><p class="meta">${codeText(ctx.t, "program.status", p.status)}</p>
  ${(groups[i] ?? []).map((g, n) => html`<p><a href="/provider/groups/${g.id}/lessons">${t("attendance.open")}: ${t("program.group", { n: n + 1 })}</a> · <a href="/provider/groups/${g.id}/roster">${t("roster.title")}</a> · ${g.schedule.slots.map((s) => `${format.weekday(s.weekday)} ${s.start}`).join(", ")}</p>`)}</li>`,
    )}</ul>`
  : html`<p>${t("provider.noPrograms")}</p>`}`;
    const done = request.query.done === "confirmed" ? notice(t("review.confirmed")) : request.query.done === "rejected" ? notice(t("review.rejected")) : undefined;
    return sendPage(reply, layout(ctx, { title: t("provider.title"), body, notice: done }));
  });

  app.post("/provider/applications/:id/review", async (request, reply) => {
    const person = personOf(request, reply, "provider");
    if (!person) return reply;
    const ctx = request.page;
    const params = IdParams.safeParse(request.params);
    const review = Review.safeParse(request.body);
    if (!params.success || !review.success) return notFound(request, reply);
    const comment = review.data.comment?.trim();
    const answer = await services.call("enrollment", "POST", `/applications/${params.data.id}/review`, {
      language: ctx.language,
      requestId: ctx.requestId,
      token: person.token,
      body: { decision: review.data.decision, comment: comment === undefined || comment === "" ? null : comment },
    });
    if (!answer.ok) return sendPage(reply.code(answer.status === 404 ? 404 : 409), messagePage(ctx, ctx.t("provider.applications"), answer.problem.detail || answer.problem.title));
    return reply.redirect(`/provider?done=${review.data.decision}`, 303);
  });
}

interface Register {
  id: string;
  month: string;
  number: number;
  currency: string;
  status: "formed" | "approved" | "paid";
  advance: number;
  lessons: number;
  certificateTotal: number;
  familyTotal: number;
}

interface Roster {
  enrollments: { id: string; childId: string; status: string; startedAt: string }[];
}

/**
 * The provider's money and people: its payment registers (and the advance it may ask for), a
 * group's roster with the guardians' contacts, and a family that walks in enrolled by the
 * certificate's number.
 */
export function providerDeskRoutes(app: FastifyInstance, options: ProviderOptions & { clock: () => Date }): void {
  const { services, directory, clock } = options;

  async function registersPage(request: FastifyRequest, reply: FastifyReply, form: Record<string, string | undefined>, errors: Record<string, string>, done?: string): Promise<FastifyReply> {
    const person = personOf(request, reply, "provider");
    if (!person) return reply;
    const ctx = request.page;
    const { t, format } = ctx;
    const registers = await services.call<Register[]>("payments", "GET", "/registers", { ...asPerson(ctx, person.token), query: { municipalityId: person.actor.municipalityId, providerId: person.actor.providerId } });
    const list = registers.ok ? registers.body : [];
    const body = html`<h1>${t("registers.title")}</h1>
${list.length === 0
  ? html`<p>${t("registers.none")}</p>`
  : html`<div class="scroll" role="region" aria-label="${t("registers.title")}" tabindex="0"><table>
  <thead><tr><th scope="col">${t("registers.month")}</th><th scope="col">${t("registers.number")}</th><th scope="col">${t("registers.status")}</th><th scope="col">${t("registers.lessons")}</th><th scope="col">${t("registers.certificate")}</th><th scope="col">${t("registers.family")}</th><th scope="col">${t("registers.advance")}</th><th scope="col"></th></tr></thead>
  <tbody>${list.map((r) => html`<tr><td>${r.month}</td><td>${r.number}</td><td>${codeText(ctx.t, "registers.status", r.status)}</td><td>${r.lessons}</td><td>${format.money(r.certificateTotal, r.currency)}</td><td>${format.money(r.familyTotal, r.currency)}</td><td>${format.money(r.advance, r.currency)}</td><td><a href="/provider/registers/${r.id}.csv">${t("registers.download")}</a></td></tr>`)}</tbody>
</table></div>`}
<h2>${t("advance.title")}</h2>
${errorSummary(ctx, errors, { amount: t("advance.amount"), month: t("registers.month") })}
<form method="post" action="/provider/advances" novalidate>
  ${csrfInput(ctx)}
  <input type="hidden" name="idempotencyKey" value="${randomUUID()}">
  ${field({ name: "amount", label: t("advance.amount"), hint: t("advance.amountHint"), value: form.amount, error: errors.amount ?? errors.month, inputmode: "decimal" })}
  <button type="submit">${t("advance.send")}</button>
</form>`;
    return sendPage(reply.code(Object.keys(errors).length > 0 ? 400 : 200), layout(ctx, { title: t("registers.title"), body, notice: done ? notice(done) : undefined }));
  }

  app.get<{ Querystring: { done?: string } }>("/provider/registers", (request, reply) =>
    registersPage(request, reply, {}, {}, request.query.done === "advance" ? request.page.t("advance.sent") : undefined),
  );

  app.get("/provider/registers/:file", async (request, reply) => {
    const person = personOf(request, reply, "provider");
    if (!person) return reply;
    const match = /^([0-9a-f-]{36})\.csv$/.exec((request.params as { file: string }).file);
    if (!match) return notFound(request, reply);
    const ctx = request.page;
    const csv = await services.callText("payments", `/registers/${match[1]}/export`, { ...asPerson(ctx, person.token), query: { format: "csv" } });
    if (csv === undefined) return notFound(request, reply);
    return reply.header("content-disposition", `attachment; filename="register-${match[1]}.csv"`).type("text/csv; charset=utf-8").send(csv);
  });

  app.post<{ Body: Record<string, string | undefined> }>("/provider/advances", async (request, reply) => {
    const person = personOf(request, reply, "provider");
    if (!person) return reply;
    const ctx = request.page;
    const form = request.body;
    // Major units as typed ("1500,50"), to minor units exactly: no floating point on money.
    const typed = (form.amount ?? "").trim().replace(/\s/g, "").replace(",", ".");
    const parsed = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(typed);
    if (!parsed) return registersPage(request, reply, form, { amount: ctx.t("form.required") });
    const amount = Number(parsed[1]) * 100 + Number((parsed[2] ?? "").padEnd(2, "0"));
    const zone = (await directory.municipality(person.actor.municipalityId ?? ""))?.timeZone ?? "UTC";
    const month = clock().toLocaleDateString("en-CA", { timeZone: zone }).slice(0, 7);
    const answer = await services.call("payments", "POST", "/advances", {
      language: ctx.language,
      requestId: ctx.requestId,
      token: person.token,
      ...(form.idempotencyKey && { idempotencyKey: form.idempotencyKey }),
      body: { month, amount },
    });
    if (!answer.ok) return registersPage(request, reply, form, fieldErrorsOf(answer.problem));
    return reply.redirect("/provider/registers?done=advance", 303);
  });

  async function rosterPage(request: FastifyRequest, reply: FastifyReply, form: Record<string, string | undefined>, errors: Record<string, string>, done?: string): Promise<FastifyReply> {
    const found = personAndId(request, reply, "provider");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const { t, format } = ctx;
    const call = asPerson(ctx, person.token);
    const [roster, children] = await Promise.all([
      services.call<Roster>("enrollment", "GET", `/groups/${id}/roster`, call),
      services.call<{ items: Applicant[] }>("registry", "GET", `/providers/${person.actor.providerId ?? ""}/children`, { ...call, query: { limit: 200 } }),
    ]);
    if (!roster.ok) return notFound(request, reply);
    const byChild = new Map((children.ok ? children.body.items : []).map((c) => [c.childId, c]));
    const active = roster.body.enrollments.filter((e) => e.status === "active");
    const body = html`<h1>${t("roster.title")}</h1>
${active.length === 0
  ? html`<p>${t("roster.none")}</p>`
  : html`<ul class="cards">${active.map((e) => {
      const child = byChild.get(e.childId);
      return html`<li class="card"><h3>${child ? `${child.lastName} ${child.firstName}, ${child.age}` : e.childId}</h3>
  <p class="meta">${t("roster.since", { date: format.date(e.startedAt) })}</p>
  ${child ? html`<p class="meta">${child.guardians.map((g) => `${g.firstName} ${g.lastName}${g.phone ? `, ${g.phone}` : ""}${g.email ? `, ${g.email}` : ""}`).join("; ")}</p>` : ""}</li>`;
    })}</ul>`}
<p><a href="/provider/groups/${id}/lessons">${t("attendance.open")}</a></p>
<h2>${t("walkin.title")}</h2>
<p>${t("walkin.intro")}</p>
${errorSummary(ctx, errors, { certificateNumber: t("walkin.certificate"), birthDate: t("walkin.birthDate") })}
<form method="post" action="/provider/groups/${id}/walk-ins" novalidate>
  ${csrfInput(ctx)}
  <input type="hidden" name="idempotencyKey" value="${randomUUID()}">
  ${field({ name: "certificateNumber", label: t("walkin.certificate"), value: form.certificateNumber, error: errors.certificateNumber, required: true })}
  ${field({ name: "birthDate", label: t("walkin.birthDate"), value: form.birthDate, error: errors.birthDate, type: "date", required: true })}
  <button type="submit">${t("walkin.send")}</button>
</form>`;
    return sendPage(reply.code(Object.keys(errors).length > 0 ? 400 : 200), layout(ctx, { title: t("roster.title"), body, notice: done ? notice(done) : undefined }));
  }

  app.get<{ Querystring: { done?: string } }>("/provider/groups/:id/roster", (request, reply) =>
    rosterPage(request, reply, {}, {}, request.query.done === "walk-in" ? request.page.t("walkin.done") : undefined),
  );

  app.post<{ Body: Record<string, string | undefined> }>("/provider/groups/:id/walk-ins", async (request, reply) => {
    const found = personAndId(request, reply, "provider");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const form = request.body;
    const answer = await services.call("enrollment", "POST", `/groups/${id}/walk-ins`, {
      language: ctx.language,
      requestId: ctx.requestId,
      token: person.token,
      ...(form.idempotencyKey && { idempotencyKey: form.idempotencyKey }),
      body: { certificateNumber: form.certificateNumber?.trim() ?? "", birthDate: form.birthDate ?? "" },
    });
    if (!answer.ok) return rosterPage(request, reply, form, fieldErrorsOf(answer.problem));
    return reply.redirect(`/provider/groups/${id}/roster?done=walk-in`, 303);
  });
}
