// A provider's office: its programs (drafts too) and the applications to its groups with the
// applicant's details the review needs, confirmed or rejected from the page.
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Services } from "../api/client";
import type { Directory } from "../api/directory";
import type { Application, Group, Program } from "../api/types";
import type { PageContext } from "../pages/context";
import { html } from "../pages/html";
import { csrfInput, field, layout, messagePage } from "../pages/layout";
import { isTextKey } from "../pages/texts";
import { notice, personOf, sendPage } from "./web";

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

const word = (ctx: PageContext, key: string) => (isTextKey(key) ? ctx.t(key) : key);

export function providerRoutes(app: FastifyInstance, options: ProviderOptions): void {
  const { services, directory } = options;

  app.get<{ Querystring: { done?: string } }>("/provider", async (request, reply) => {
    const person = personOf(request, reply, "provider");
    if (!person) return reply;
    const ctx = request.page;
    const { t, format } = ctx;
    const providerId = person.actor.providerId ?? "";
    const call = { language: ctx.language, requestId: ctx.requestId, token: person.token };
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
<h2>${t("provider.applications")}</h2>
${pending.length === 0 ? html`<p>${t("provider.noApplications")}</p>` : ""}
<ul class="cards">${pending.map((a) => {
  const child = byChild.get(a.childId);
  return html`<li class="card">
  <h3>${child ? `${child.lastName} ${child.firstName}, ${child.age}` : a.childId}</h3>
  <p class="meta">${titles.get(a.programId) ?? ""} · ${word(ctx, `application.status.${a.status}`)} · ${t("provider.reviewDue", { date: format.instant(a.reviewDueAt, timeZone) })}</p>
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
${programs.ok && programs.body.items.length > 0
  ? html`<ul class="cards">${programList.map(
      (p, i) => html`<li class="card"><h3><a href="/programs/${p.id}">${p.title}</a></h3><p class="meta">${word(ctx, `program.status.${p.status}`)}</p>
  ${(groups[i] ?? []).map((g, n) => html`<p><a href="/provider/groups/${g.id}/lessons">${t("attendance.open")}: ${t("program.group", { n: n + 1 })}</a> · ${g.schedule.slots.map((s) => `${format.weekday(s.weekday)} ${s.start}`).join(", ")}</p>`)}</li>`,
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
    if (!params.success || !review.success) return sendPage(reply.code(404), messagePage(ctx, ctx.t("error.notFound"), ctx.t("error.notFoundText")));
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
