// The acts of an operator for a family at the office, each on a page of its own with the basis
// fields (issue #18): the certificate (registry POST /certificates), an application to a group
// found by a program search or by its number (enrollment POST /applications), the ranked choices
// in an open campaign (enrollment PUT /campaigns/:id/children/:childId/choices) and the contract
// of an offer signed on paper at the desk (enrollment POST /offers/:id/acceptance, in person).
// The services refuse an act without a basis and record it with the act in the family's trail.
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { fieldErrorsOf, type Services } from "../api/client";
import type { Directory } from "../api/directory";
import type { Application, Certificate, Child, Group, Program, SearchAnswer } from "../api/types";
import type { PageContext } from "../pages/context";
import { html } from "../pages/html";
import { csrfInput, errorSummary, field, layout, select } from "../pages/layout";
import type { TextKey } from "../pages/texts";
import type { Campaign } from "./campaigns";
import { basisFields, basisOf } from "./office";
import { asPerson, notFoundPage as notFound, personAndId, personAndParams, sendPage } from "./web";

export type { Campaign } from "./campaigns";
export type ActingForm = Record<string, string | undefined>;

export type { TrailEntry } from "./trail";

interface FamilyChoices {
  phase: string;
  choices: string[] | null;
}

interface Offer {
  id: string;
  applicationId: string;
  groupId: string;
  status: string;
  deadline: string;
}

const BASES = ["in_person_visit", "written_request"] as const;
const ChildParams = z.object({ id: z.uuid(), childId: z.uuid() });
const Uuid = z.uuid();

/**
 * The basis the operator stated at the previous step, carried in the address to the next one so
 * that it need not be chosen again (it is still shown, and sent, with every act).
 */
export function carriedBasis(query: ActingForm): ActingForm {
  const basis = (BASES as readonly string[]).includes(query.basis ?? "") ? query.basis : undefined;
  const ref = basis === "written_request" ? query.ref?.trim().slice(0, 40) : undefined;
  return { ...(basis && { basis }), ...(ref && { ref }) };
}

/** `?basis=…&ref=…` (and `extra`) for a link to the next step; empty when nothing to carry. */
export function basisLink(query: ActingForm, extra = ""): string {
  const params = new URLSearchParams(carriedBasis(query) as Record<string, string>);
  const text = [params.toString(), extra].filter(Boolean).join("&");
  return text ? `?${text}` : "";
}

/** A service's refusal as a step's form names its fields: the Acting-Basis header is the basis select. */
function stepErrors(errors: Record<string, string>, fields: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, message] of Object.entries(errors)) {
    const key = name === "acting-basis" ? "basis" : (fields[name] ?? "");
    out[key] = out[key] ? `${out[key]}; ${message}` : message;
  }
  return out;
}

const basisLabels = (ctx: PageContext) => ({ basis: ctx.t("office.basisKind"), ref: ctx.t("office.ref") });

export function actingStepRoutes(app: FastifyInstance, options: { services: Services; directory: Directory }): void {
  const { services, directory } = options;

  /** The child as the office reads it, or undefined (another municipality's, or none). */
  async function childOf(ctx: PageContext, token: string, id: string): Promise<Child | undefined> {
    const answer = await services.call<Child>("registry", "GET", `/children/${id}`, asPerson(ctx, token));
    return answer.ok ? answer.body : undefined;
  }

  const childName = (c: Child) => `${c.lastName} ${c.firstName}`;
  const backLink = (ctx: PageContext, childId: string, form: ActingForm) => html`<p><a href="/office/acting/children/${childId}${basisLink(form)}">${ctx.t("acting.backToChild")}</a></p>`;

  // --- the certificate -------------------------------------------------------------------------

  async function certificatePage(request: FastifyRequest, reply: FastifyReply, childId: string, token: string, form: ActingForm, errors: Record<string, string>): Promise<FastifyReply> {
    const ctx = request.page;
    const { t } = ctx;
    const child = await childOf(ctx, token, childId);
    if (!child) return notFound(request, reply);
    const body = html`<h1>${t("child.applyCertificate")}</h1>
<p>${t("acting.certificateIntro", { name: childName(child) })}</p>
${errorSummary(ctx, errors, { ...basisLabels(ctx), "": t("child.certificate") })}
<form method="post" action="/office/acting/children/${childId}/certificate" novalidate>
  ${csrfInput(ctx)}
  <input type="hidden" name="idempotencyKey" value="${randomUUID()}">
  ${basisFields(ctx, form, errors)}
  <button type="submit">${t("child.applyCertificate")}</button>
</form>
${backLink(ctx, childId, form)}`;
    return sendPage(reply.code(Object.keys(errors).length > 0 ? 400 : 200), layout(ctx, { title: t("child.applyCertificate"), body }));
  }

  app.get<{ Querystring: ActingForm }>("/office/acting/children/:id/certificate", async (request, reply) => {
    const found = personAndId(request, reply, "operator");
    if (!found) return reply;
    return certificatePage(request, reply, found.id, found.person.token, carriedBasis(request.query), {});
  });

  app.post<{ Body: ActingForm }>("/office/acting/children/:id/certificate", async (request, reply) => {
    const found = personAndId(request, reply, "operator");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const form = request.body;
    const basis = basisOf(ctx, form);
    if ("errors" in basis) return certificatePage(request, reply, id, person.token, form, basis.errors);
    const answer = await services.call<Certificate>("registry", "POST", "/certificates", {
      ...asPerson(ctx, person.token),
      headers: { "acting-basis": basis.header },
      ...(form.idempotencyKey && { idempotencyKey: form.idempotencyKey }),
      body: { childId: id },
    });
    if (!answer.ok) {
      if (answer.status === 403 || answer.status === 404) return notFound(request, reply);
      return certificatePage(request, reply, id, person.token, form, stepErrors(fieldErrorsOf(answer.problem)));
    }
    // 202: held as a near-duplicate for the desk to compare (office.ts's duplicates page).
    return reply.redirect(`/office/acting/children/${id}${basisLink(form, `done=${answer.status === 202 ? "held" : "certificate"}`)}`, 303);
  });

  // --- an application to a group ---------------------------------------------------------------

  /** "Program — provider — Tue 15:00, Thu 15:00 (free seats: 2)" for each group of the programs found. */
  async function groupsFound(ctx: PageContext, municipalityId: string, q: string): Promise<{ value: string; label: string }[]> {
    const call = { language: ctx.language, requestId: ctx.requestId };
    const search = await services.call<SearchAnswer>("catalogue", "GET", "/search", { ...call, query: { municipalityId, q, limit: 10 } });
    if (!search.ok) return [];
    const lists = await Promise.all(search.body.items.map(async (item) => ({ item, groups: await services.call<Group[]>("catalogue", "GET", `/programs/${item.id}/groups`, call) })));
    return lists.flatMap(({ item, groups }) =>
      (groups.ok ? groups.body : [])
        .filter((g) => g.status === "open")
        .map((g) => ({
          value: g.id,
          label: `${item.title} — ${item.provider.name} — ${g.schedule.slots.map((s) => `${ctx.format.weekday(s.weekday)} ${s.start}`).join(", ")} (${ctx.t("acting.freeSeats", { count: g.freeSeats })})`,
        })),
    );
  }

  async function applyPage(request: FastifyRequest, reply: FastifyReply, childId: string, token: string, form: ActingForm, errors: Record<string, string>): Promise<FastifyReply> {
    const ctx = request.page;
    const { t } = ctx;
    const child = await childOf(ctx, token, childId);
    if (!child) return notFound(request, reply);
    const q = form.q?.trim() ?? "";
    const options = q ? await groupsFound(ctx, child.municipalityId, q.slice(0, 200)) : [];
    const labels = { q: t("acting.programSearch"), groupId: t("acting.group"), ...basisLabels(ctx), "": t("acting.apply") };
    const groupField =
      options.length > 0
        ? select({ name: "groupId", label: labels.groupId, value: form.groupId, error: errors.groupId, options: [{ value: "", label: t("office.basisChoose") }, ...options] })
        : field({ name: "groupId", label: t("acting.groupNumber"), value: form.groupId, error: errors.groupId, hint: t("acting.groupNumberHint") });
    const body = html`<h1>${t("acting.apply")}</h1>
<p>${t("acting.applyIntro", { name: childName(child) })}</p>
<form method="get" action="/office/acting/children/${childId}/applications" role="search">
  ${form.basis ? html`<input type="hidden" name="basis" value="${form.basis}">` : ""}${form.ref ? html`<input type="hidden" name="ref" value="${form.ref}">` : ""}
  ${field({ name: "q", label: labels.q, value: form.q, hint: t("acting.programSearchHint") })}
  <button type="submit" class="secondary">${t("office.search")}</button>
</form>
${q && options.length === 0 ? html`<p>${t("acting.noGroups")}</p>` : ""}
<h2 id="apply-form">${t("acting.applyForm")}</h2>
${errorSummary(ctx, errors, labels)}
<form method="post" action="/office/acting/children/${childId}/applications" novalidate aria-labelledby="apply-form">
  ${csrfInput(ctx)}
  <input type="hidden" name="idempotencyKey" value="${randomUUID()}">
  <input type="hidden" name="q" value="${q}">
  ${groupField}
  ${basisFields(ctx, form, errors)}
  <button type="submit">${t("acting.applySubmit")}</button>
</form>
${backLink(ctx, childId, form)}`;
    return sendPage(reply.code(Object.keys(errors).length > 0 ? 400 : 200), layout(ctx, { title: t("acting.apply"), body }));
  }

  app.get<{ Querystring: ActingForm }>("/office/acting/children/:id/applications", async (request, reply) => {
    const found = personAndId(request, reply, "operator");
    if (!found) return reply;
    const { q } = request.query;
    return applyPage(request, reply, found.id, found.person.token, { ...carriedBasis(request.query), ...(q && { q }) }, {});
  });

  app.post<{ Body: ActingForm }>("/office/acting/children/:id/applications", async (request, reply) => {
    const found = personAndId(request, reply, "operator");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const form = request.body;
    const groupId = form.groupId?.trim() ?? "";
    const errors: Record<string, string> = {};
    if (!Uuid.safeParse(groupId).success) errors.groupId = ctx.t("acting.groupRequired");
    const basis = basisOf(ctx, form);
    if ("errors" in basis) Object.assign(errors, basis.errors);
    if ("errors" in basis || errors.groupId) return applyPage(request, reply, id, person.token, form, errors);
    const answer = await services.call<Application>("enrollment", "POST", "/applications", {
      ...asPerson(ctx, person.token),
      headers: { "acting-basis": basis.header },
      ...(form.idempotencyKey && { idempotencyKey: form.idempotencyKey }),
      body: { childId: id, groupId },
    });
    if (!answer.ok) {
      if (answer.status === 403 || answer.status === 404) return notFound(request, reply);
      return applyPage(request, reply, id, person.token, form, stepErrors(fieldErrorsOf(answer.problem), { groupId: "groupId" }));
    }
    return reply.redirect(`/office/acting/children/${id}${basisLink(form, "done=applied")}`, 303);
  });

  // --- the ranked choices of an open campaign --------------------------------------------------

  /** "Program — Tue 15:00, Thu 15:00" for each group of a campaign. */
  async function groupNames(ctx: PageContext, groupIds: readonly string[]): Promise<Map<string, string>> {
    const call = { language: ctx.language, requestId: ctx.requestId };
    const groups = await Promise.all(groupIds.map((id) => services.call<Group>("catalogue", "GET", `/groups/${id}`, call)));
    const programIds = [...new Set(groups.flatMap((g) => (g.ok ? [g.body.programId] : [])))];
    const titles = new Map((await Promise.all(programIds.map((id) => services.call<Program>("catalogue", "GET", `/programs/${id}`, call)))).flatMap((p) => (p.ok ? [[p.body.id, p.body.title] as const] : [])));
    return new Map(
      groups.map((g, i) => [groupIds[i]!, g.ok ? `${titles.get(g.body.programId) ?? ""} — ${g.body.schedule.slots.map((s) => `${ctx.format.weekday(s.weekday)} ${s.start}`).join(", ")}` : groupIds[i]!] as const),
    );
  }

  async function campaignPage(request: FastifyRequest, reply: FastifyReply, ids: { id: string; childId: string }, token: string, given: ActingForm | undefined, errors: Record<string, string>): Promise<FastifyReply> {
    const ctx = request.page;
    const { t } = ctx;
    const call = asPerson(ctx, token);
    const [child, campaign, mine] = await Promise.all([
      childOf(ctx, token, ids.childId),
      services.call<Campaign>("enrollment", "GET", `/campaigns/${ids.id}`, call),
      services.call<FamilyChoices>("enrollment", "GET", `/campaigns/${ids.id}/children/${ids.childId}`, call),
    ]);
    if (!child || !campaign.ok || !mine.ok || campaign.body.municipalityId !== child.municipalityId) return notFound(request, reply);
    const c = campaign.body;
    const [names, municipality] = await Promise.all([groupNames(ctx, c.groupIds), directory.municipality(c.municipalityId)]);
    const timeZone = municipality?.timeZone ?? "UTC";
    const form = given ?? { ...Object.fromEntries((mine.body.choices ?? []).map((g, i) => [`choice.${i}`, g])), ...carriedBasis(request.query as ActingForm) };
    const labels: Record<string, string> = { ...Object.fromEntries(Array.from({ length: c.maxChoices }, (_, i) => [`choice.${i}`, t("campaign.choice", { n: i + 1 })])), ...basisLabels(ctx), "": c.name };
    const options = [{ value: "", label: t("campaign.noChoice") }, ...c.groupIds.map((g) => ({ value: g, label: names.get(g) ?? g }))];
    const main =
      mine.body.phase === "open"
        ? html`${errorSummary(ctx, errors, labels)}
<form method="post" action="/office/acting/campaigns/${c.id}/children/${ids.childId}" novalidate>
  ${csrfInput(ctx)}
  <fieldset><legend>${t("acting.choices")}</legend>
  ${Array.from({ length: c.maxChoices }, (_, i) => select({ name: `choice.${i}`, label: labels[`choice.${i}`]!, value: form[`choice.${i}`], error: errors[`choice.${i}`], options }))}
  </fieldset>
  ${basisFields(ctx, form, errors)}
  <button type="submit">${t("campaign.save")}</button>
</form>`
        : html`<p>${t("acting.campaignClosed")}</p>`;
    const body = html`<h1>${c.name}</h1>
<p>${t("campaign.forChild", { name: childName(child) })}</p>
<p><span class="tag">${t(`campaign.phase.${c.phase}` as TextKey)}</span> ${t("campaign.window", { from: ctx.format.instant(c.opensAt, timeZone), to: ctx.format.instant(c.closesAt, timeZone) })}</p>
<p>${t("campaign.rankIntro", { k: c.maxChoices })}</p>
${main}
${backLink(ctx, ids.childId, form)}`;
    return sendPage(reply.code(Object.keys(errors).length > 0 ? 400 : 200), layout(ctx, { title: c.name, body }));
  }

  app.get<{ Querystring: ActingForm }>("/office/acting/campaigns/:id/children/:childId", async (request, reply) => {
    const found = personAndParams(request, reply, ChildParams, "operator");
    if (!found) return reply;
    return campaignPage(request, reply, found.params, found.person.token, undefined, {});
  });

  app.post<{ Body: ActingForm }>("/office/acting/campaigns/:id/children/:childId", async (request, reply) => {
    const found = personAndParams(request, reply, ChildParams, "operator");
    if (!found) return reply;
    const { person, params } = found;
    const ctx = request.page;
    const form = request.body;
    // The choices in the order ranked, the empty ones left out; the service refuses repeats and too many.
    const ranked = Object.entries(form)
      .flatMap(([key, v]) => {
        const n = /^choice\.(\d{1,2})$/.exec(key)?.[1];
        return n !== undefined && v ? [{ n: Number(n), value: v }] : [];
      })
      .sort((a, b) => a.n - b.n);
    const errors: Record<string, string> = {};
    if (ranked.length === 0) errors["choice.0"] = ctx.t("campaign.chooseOne");
    const basis = basisOf(ctx, form);
    if ("errors" in basis) Object.assign(errors, basis.errors);
    if ("errors" in basis || ranked.length === 0) return campaignPage(request, reply, params, person.token, form, errors);
    const answer = await services.call("enrollment", "PUT", `/campaigns/${params.id}/children/${params.childId}/choices`, {
      ...asPerson(ctx, person.token),
      headers: { "acting-basis": basis.header },
      body: { groupIds: ranked.map((r) => r.value) },
    });
    if (!answer.ok) {
      if (answer.status === 403 || answer.status === 404) return notFound(request, reply);
      // `groupIds.N` is the N-th ranked choice (the empty ones left out), `groupIds` the first.
      const fields: Record<string, string> = { groupIds: "choice.0", ...Object.fromEntries(ranked.map((r, i) => [`groupIds.${i}`, `choice.${r.n}`])) };
      return campaignPage(request, reply, params, person.token, form, stepErrors(fieldErrorsOf(answer.problem), fields));
    }
    return reply.redirect(`/office/acting/children/${params.childId}${basisLink(form, "done=ranked")}`, 303);
  });

  // --- an offer's contract, signed on paper at the desk ----------------------------------------

  async function offerPage(request: FastifyRequest, reply: FastifyReply, offerId: string, token: string, form: ActingForm, errors: Record<string, string>): Promise<FastifyReply> {
    const ctx = request.page;
    const { t, format } = ctx;
    const call = asPerson(ctx, token);
    const offer = await services.call<Offer>("enrollment", "GET", `/offers/${offerId}`, call);
    if (!offer.ok) return notFound(request, reply);
    const application = await services.call<Application>("enrollment", "GET", `/applications/${offer.body.applicationId}`, call);
    if (!application.ok) return notFound(request, reply);
    const [program, group, child, municipality] = await Promise.all([
      services.call<Program>("catalogue", "GET", `/programs/${application.body.programId}`, call),
      services.call<Group>("catalogue", "GET", `/groups/${offer.body.groupId}`, call),
      childOf(ctx, token, application.body.childId),
      directory.municipality(application.body.municipalityId),
    ]);
    if (!child) return notFound(request, reply);
    const timeZone = municipality?.timeZone ?? "UTC";
    const title = program.ok ? program.body.title : application.body.programId;
    const labels = { signed: t("acting.signedOnPaper"), ...basisLabels(ctx), "": t("acting.sign") };
    const terms = html`<dl class="summary">
  <dt>${t("contract.child")}</dt><dd>${childName(child)}</dd>
  <dt>${t("contract.program")}</dt><dd>${title}</dd>
  ${program.ok ? html`<dt>${t("contract.provider")}</dt><dd>${program.body.providerName}</dd>
  <dt>${t("contract.price")}</dt><dd>${format.money(program.body.price.amount, program.body.price.currency)}</dd>
  <dt>${t("contract.payment")}</dt><dd>${t(`contract.payment.${program.body.fundingKind}` as TextKey)}</dd>` : ""}
  ${group.ok ? html`<dt>${t("contract.schedule")}</dt><dd>${group.body.schedule.slots.map((s) => `${format.weekday(s.weekday)} ${s.start}–${s.end}`).join(", ")}</dd>
  <dt>${t("contract.period")}</dt><dd>${format.date(group.body.startsOn)} — ${format.date(group.body.endsOn)}</dd>` : ""}
  <dt>${t("contract.deadline")}</dt><dd>${format.instant(offer.body.deadline, timeZone)}</dd>
</dl>`;
    const open = offer.body.status === "open";
    const body = html`<h1>${t("contract.title", { title })}</h1>
<p>${t("acting.signIntro")}</p>
${terms}
${open
  ? html`${errorSummary(ctx, errors, labels)}
<form method="post" action="/office/acting/offers/${offerId}" novalidate>
  ${csrfInput(ctx)}
  <div class="field${errors.signed ? " has-error" : ""}">
    ${errors.signed ? html`<p class="error" id="f-signed-error">${errors.signed}</p>` : ""}
    <div class="check"><input type="checkbox" id="f-signed" name="signed" value="yes"${form.signed === "yes" ? html` checked` : ""}${errors.signed ? html` aria-invalid="true" aria-describedby="f-signed-error"` : ""}><label for="f-signed">${labels.signed}</label></div>
  </div>
  ${basisFields(ctx, form, errors)}
  <button type="submit">${t("acting.signSubmit")}</button>
</form>`
  : html`<p>${t("acting.offerClosed", { status: t(`acting.offer.${offer.body.status}` as TextKey) })}</p>`}
${backLink(ctx, application.body.childId, form)}`;
    return sendPage(reply.code(Object.keys(errors).length > 0 ? 400 : 200), layout(ctx, { title: t("acting.sign"), body }));
  }

  app.get<{ Querystring: ActingForm }>("/office/acting/offers/:id", async (request, reply) => {
    const found = personAndId(request, reply, "operator");
    if (!found) return reply;
    return offerPage(request, reply, found.id, found.person.token, carriedBasis(request.query), {});
  });

  app.post<{ Body: ActingForm }>("/office/acting/offers/:id", async (request, reply) => {
    const found = personAndId(request, reply, "operator");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const form = request.body;
    const errors: Record<string, string> = {};
    // The family signs the paper at the desk; the operator records that signature, never its own.
    if (form.signed !== "yes") errors.signed = ctx.t("acting.signedRequired");
    const basis = basisOf(ctx, form);
    if ("errors" in basis) Object.assign(errors, basis.errors);
    if ("errors" in basis || errors.signed) return offerPage(request, reply, id, person.token, form, errors);
    const answer = await services.call<{ id: string; childId: string }>("enrollment", "POST", `/offers/${id}/acceptance`, {
      ...asPerson(ctx, person.token),
      headers: { "acting-basis": basis.header },
      body: { method: "in_person" },
    });
    if (!answer.ok) {
      if (answer.status === 403 || answer.status === 404) return notFound(request, reply);
      return offerPage(request, reply, id, person.token, form, stepErrors(fieldErrorsOf(answer.problem)));
    }
    return reply.redirect(`/office/acting/children/${answer.body.childId}${basisLink(form, "done=signed")}`, 303);
  });
}
