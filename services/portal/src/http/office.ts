// The municipal operator's desk (issue #18, its first part): finding a family and verifying the
// category proofs families bring. Every look-up of personal data states its basis (a family came
// in person, or wrote with a reference): the registry records it with the look-up, and the family
// sees it in its trail. The registry decides everything; the pages carry the form and its answer.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { categoryName } from "@kruzhok/i18n";
import { fieldErrorsOf, type Services } from "../api/client";
import type { PageContext } from "../pages/context";
import { html, type Html } from "../pages/html";
import { csrfInput, errorSummary, field, layout, select } from "../pages/layout";
import { codeText } from "../pages/texts";
import { asPerson, notFoundPage as notFound, notice, personAndId, personOf, sendPage } from "./web";

export interface OfficeOptions {
  services: Services;
}

interface FoundChild {
  id: string;
  firstName: string;
  lastName: string;
  patronymic: string | null;
  birthDate: string;
  document: { kind: string; number: string };
  certificate: { id: string; number: string; status: string } | null;
}

interface WaitingClaim {
  id: string;
  code: string;
  proof: { kind: string; number: string; issuer: string; issuedOn: string };
  validFrom: string;
  validUntil: string;
  claimedAt: string;
  childId: string;
  child: { firstName: string; lastName: string; patronymic: string | null; birthDate: string };
}

interface HeldApplication {
  id: string;
  childId: string;
  similarChildId: string;
  reason: string;
  createdAt: string;
}

interface ChildRecord {
  id: string;
  firstName: string;
  lastName: string;
  patronymic: string | null;
  birthDate: string;
  document: { kind: string; number: string };
  guardianIds: string[];
}

interface GuardianRecord {
  id: string;
  firstName: string;
  lastName: string;
  phone?: string | null;
  email?: string | null;
}

type Form = Record<string, string | undefined>;

const BASES = ["in_person_visit", "written_request"] as const;
const DECISIONS = ["approve", "merge", "reject"] as const;

/**
 * The Acting-Basis header of a form's basis fields, or the error to show beside them: a written
 * request names its reference (the registry would refuse it without one, in other words).
 */
export function basisOf(ctx: PageContext, form: Form): { header: string } | { errors: Record<string, string> } {
  const basis = form.basis;
  const ref = (form.ref ?? "").trim();
  if (basis === "in_person_visit") return { header: "in_person_visit" };
  if (basis === "written_request") {
    // The registry's own rule for a reference (@kruzhok/actor), told here beside the field; a header carries it percent-encoded.
    if (!/^[\p{L}\p{N}№][\p{L}\p{N} ./№-]{0,39}$/u.test(ref)) return { errors: { ref: ctx.t("office.refRequired") } };
    return { header: `written_request; ref=${encodeURIComponent(ref)}` };
  }
  return { errors: { basis: ctx.t("office.basisRequired") } };
}

export function basisFields(ctx: PageContext, form: Form, errors: Record<string, string>): Html {
  const { t } = ctx;
  return html`<fieldset><legend>${t("office.basis")}</legend>
  ${select({ name: "basis", label: t("office.basisKind"), value: form.basis, error: errors.basis, options: [{ value: "", label: t("office.basisChoose") }, ...BASES.map((b) => ({ value: b, label: t(`office.basis.${b}`) }))] })}
  ${field({ name: "ref", label: t("office.ref"), value: form.ref, error: errors.ref, hint: t("office.refHint") })}
</fieldset>`;
}

export function officeRoutes(app: FastifyInstance, options: OfficeOptions): void {
  const { services } = options;

  app.get("/office", async (request, reply) => {
    const person = personOf(request, reply, "operator");
    if (!person) return reply;
    const { t } = request.page;
    const body = html`<h1>${t("office.title")}</h1>
<ul class="cards">
  <li class="card"><h2><a href="/office/families">${t("office.find")}</a></h2><p>${t("office.findHint")}</p></li>
  <li class="card"><h2><a href="/office/category-claims">${t("office.claims")}</a></h2><p>${t("office.claimsHint")}</p></li>
  <li class="card"><h2><a href="/office/duplicates">${t("office.duplicates")}</a></h2><p>${t("office.duplicatesHint")}</p></li>
  <li class="card"><h2><a href="/office/acting">${t("office.acting")}</a></h2><p>${t("office.actingHint")}</p></li>
  <li class="card"><h2><a href="/office/imports">${t("office.import")}</a></h2><p>${t("office.importHint")}</p></li>
</ul>`;
    return sendPage(reply, layout(request.page, { title: t("office.title"), body }));
  });

  // Finding a family: a GET form (the address can be reopened), each search with its basis.
  app.get<{ Querystring: Form }>("/office/families", async (request, reply) => {
    const person = personOf(request, reply, "operator");
    if (!person) return reply;
    const ctx = request.page;
    const { t, format } = ctx;
    const form = request.query;
    const criteria = Object.fromEntries((["name", "birthDate", "document", "certificate"] as const).flatMap((k) => (form[k]?.trim() ? [[k, form[k].trim()]] : [])));
    const labels = { name: t("office.name"), birthDate: t("field.birthDate"), document: t("field.documentNumber"), certificate: t("office.certificate"), basis: t("office.basisKind"), ref: t("office.ref"), "": t("office.find") };
    let errors: Record<string, string> = {};
    let results: Html = html``;
    const asked = Object.keys(criteria).length > 0 || form.basis !== undefined;
    if (asked) {
      const basis = basisOf(ctx, form);
      if ("errors" in basis) errors = basis.errors;
      else if (Object.keys(criteria).length === 0) errors = { name: t("office.criteriaRequired") };
      else {
        const answer = await services.call<FoundChild[]>("registry", "GET", "/children", { ...asPerson(ctx, person.token), query: criteria, headers: { "acting-basis": basis.header } });
        if (!answer.ok) errors = fieldErrorsOf(answer.problem);
        else {
          results = html`<section aria-labelledby="found"><h2 id="found">${t("office.found", { count: answer.body.length })}</h2>
${answer.body.length === 0 ? html`<p>${t("office.none")}</p>` : ""}
<ul class="cards">${answer.body.map(
  (c) => html`<li class="card"><h3><a href="/office/acting/children/${c.id}">${c.lastName} ${c.firstName}${c.patronymic ? ` ${c.patronymic}` : ""}</a></h3>
  <p class="meta">${t("child.born", { date: format.date(c.birthDate) })} · ${c.document.number}</p>
  <p>${c.certificate ? t("office.certificateOf", { number: c.certificate.number, status: c.certificate.status }) : t("child.noCertificate")}</p></li>`,
)}</ul></section>`;
        }
      }
    }
    const body = html`<h1>${t("office.find")}</h1>
<p>${t("office.findHint")}</p>
${errorSummary(ctx, errors, labels)}
<form method="get" action="/office/families" novalidate>
  ${field({ name: "name", label: labels.name, value: form.name, error: errors.name })}
  <div class="row">
    ${field({ name: "birthDate", label: labels.birthDate, value: form.birthDate, error: errors.birthDate, type: "date" })}
    ${field({ name: "document", label: labels.document, value: form.document, error: errors.document })}
    ${field({ name: "certificate", label: labels.certificate, value: form.certificate, error: errors.certificate })}
  </div>
  ${basisFields(ctx, form, errors)}
  <button type="submit">${t("office.search")}</button>
</form>
${results}`;
    return sendPage(reply.code(Object.keys(errors).length > 0 ? 400 : 200), layout(ctx, { title: t("office.find"), body }));
  });

  /** The claims waiting for the office, oldest first, each with its proof and the verify / reject forms. */
  async function claimsPage(request: FastifyRequest, reply: FastifyReply, state: { form?: Form; errors?: Record<string, string>; claimId?: string; done?: string } = {}): Promise<FastifyReply> {
    const person = personOf(request, reply, "operator");
    if (!person) return reply;
    const ctx = request.page;
    const { t, format } = ctx;
    const answer = await services.call<WaitingClaim[]>("registry", "GET", "/category-claims", asPerson(ctx, person.token));
    const claims = answer.ok ? answer.body : [];
    const errors = state.errors ?? {};
    const labels = { basis: t("office.basisKind"), ref: t("office.ref"), reason: t("office.rejectReason"), decision: t("office.decision"), "": t("office.claims") };
    const body = html`<h1>${t("office.claims")}</h1>
<p>${t("office.claimsHint")}</p>
${claims.length === 0 ? html`<p>${t("office.noClaims")}</p>` : ""}
<ul class="cards">${claims.map((c) => {
  const mine = state.claimId === c.id;
  const form = mine ? (state.form ?? {}) : {};
  const own = mine ? errors : {};
  return html`<li class="card" aria-labelledby="claim-${c.id}">
  <h2 id="claim-${c.id}">${c.child.lastName} ${c.child.firstName}${c.child.patronymic ? ` ${c.child.patronymic}` : ""}</h2>
  <p class="meta">${t("child.born", { date: format.date(c.child.birthDate) })} · ${t("office.claimedAt", { at: format.date(c.claimedAt) })}</p>
  <dl class="summary">
    <dt>${t("office.category")}</dt><dd>${categoryName(c.code, ctx.language)}</dd>
    <dt>${t("office.proof")}</dt><dd>${c.proof.kind}, № ${c.proof.number}, ${c.proof.issuer}, ${format.date(c.proof.issuedOn)}</dd>
    <dt>${t("office.validity")}</dt><dd>${format.date(c.validFrom)} — ${format.date(c.validUntil)}</dd>
  </dl>
  ${mine ? errorSummary(ctx, own, labels) : ""}
  <form method="post" action="/office/category-claims/${c.id}/decision" novalidate>
    ${csrfInput(ctx)}
    ${basisFields(ctx, form, own)}
    <div class="actions">
      <button type="submit" name="decision" value="verify">${t("office.verify")}</button>
    </div>
    <details${own.reason ? html` open` : ""}><summary>${t("office.reject")}</summary>
      ${field({ name: "reason", label: labels.reason, value: form.reason, error: own.reason, hint: t("office.rejectHint") })}
      <button type="submit" name="decision" value="reject" class="warning">${t("office.reject")}</button>
    </details>
  </form>
</li>`;
})}</ul>`;
    const done = state.done === "verified" ? notice(t("office.verified")) : state.done === "rejected" ? notice(t("office.rejected")) : undefined;
    return sendPage(reply.code(Object.keys(errors).length > 0 ? 400 : 200), layout(ctx, { title: t("office.claims"), body, notice: done }));
  }

  app.get<{ Querystring: { done?: string } }>("/office/category-claims", (request, reply) => claimsPage(request, reply, { done: request.query.done }));

  app.post<{ Body: Form }>("/office/category-claims/:id/decision", async (request, reply) => {
    const found = personAndId(request, reply, "operator");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const form = request.body;
    const basis = basisOf(ctx, form);
    if ("errors" in basis) return claimsPage(request, reply, { form, errors: basis.errors, claimId: id });
    const decision = form.decision === "reject" ? { decision: "reject", reason: (form.reason ?? "").trim() } : { decision: "verify" };
    const answer = await services.call("registry", "POST", `/category-claims/${id}/decision`, {
      ...asPerson(ctx, person.token),
      headers: { "acting-basis": basis.header },
      body: decision,
    });
    if (!answer.ok) {
      if (answer.status === 403 || answer.status === 404) return notFound(request, reply);
      return claimsPage(request, reply, { form, errors: fieldErrorsOf(answer.problem), claimId: id });
    }
    return reply.redirect(`/office/category-claims?done=${decision.decision === "verify" ? "verified" : "rejected"}`, 303);
  });

  /** One child's record with its guardians, as the office compares two of them. */
  async function record(ctx: PageContext, token: string, childId: string): Promise<{ child: ChildRecord; guardians: GuardianRecord[] } | undefined> {
    const call = asPerson(ctx, token);
    const child = await services.call<ChildRecord>("registry", "GET", `/children/${childId}`, call);
    if (!child.ok) return undefined;
    const guardians = await Promise.all(child.body.guardianIds.map((id) => services.call<GuardianRecord>("registry", "GET", `/guardians/${id}`, call)));
    return { child: child.body, guardians: guardians.flatMap((g) => (g.ok ? [g.body] : [])) };
  }

  function recordColumn(ctx: PageContext, heading: string, found: { child: ChildRecord; guardians: GuardianRecord[] } | undefined): Html {
    const { t, format } = ctx;
    if (!found) return html`<section class="card"><h3>${heading}</h3><p>${t("office.recordGone")}</p></section>`;
    const { child, guardians } = found;
    return html`<section class="card"><h3>${heading}</h3>
<dl class="summary">
  <dt>${t("field.lastName")}</dt><dd>${child.lastName}</dd>
  <dt>${t("field.firstName")}</dt><dd>${child.firstName}</dd>
  <dt>${t("field.patronymic")}</dt><dd>${child.patronymic ?? "—"}</dd>
  <dt>${t("field.birthDate")}</dt><dd>${format.date(child.birthDate)}</dd>
  <dt>${t("field.documentKind")}</dt><dd>${codeText(t, "document", child.document.kind)}, ${child.document.number}</dd>
  <dt>${t("office.guardians")}</dt><dd>${guardians.length === 0 ? "—" : guardians.map((g) => `${g.lastName} ${g.firstName}${g.phone ? `, ${g.phone}` : ""}${g.email ? `, ${g.email}` : ""}`).join("; ")}</dd>
</dl></section>`;
  }

  /** Near-duplicates held for the office: the new record beside the certified one it resembles, and the three decisions. */
  async function duplicatesPage(request: FastifyRequest, reply: FastifyReply, state: { form?: Form; errors?: Record<string, string>; applicationId?: string; done?: string } = {}): Promise<FastifyReply> {
    const person = personOf(request, reply, "operator");
    if (!person) return reply;
    const ctx = request.page;
    const { t, format } = ctx;
    const answer = await services.call<HeldApplication[]>("registry", "GET", "/certificate-applications", asPerson(ctx, person.token));
    const held = answer.ok ? answer.body : [];
    const pairs = await Promise.all(
      held.map(async (a) => {
        const [mine, theirs] = await Promise.all([record(ctx, person.token, a.childId), record(ctx, person.token, a.similarChildId)]);
        return { a, mine, theirs };
      }),
    );
    const errors = state.errors ?? {};
    const labels = { decision: t("office.decision"), comment: t("office.comment"), "": t("office.duplicates") };
    const body = html`<h1>${t("office.duplicates")}</h1>
<p>${t("office.duplicatesHint")}</p>
${held.length === 0 ? html`<p>${t("office.noDuplicates")}</p>` : ""}
${pairs.map(({ a, mine, theirs }) => {
  const own = state.applicationId === a.id ? errors : {};
  const form = state.applicationId === a.id ? (state.form ?? {}) : {};
  return html`<article class="pair" aria-labelledby="held-${a.id}">
  <h2 id="held-${a.id}">${mine ? `${mine.child.lastName} ${mine.child.firstName}` : a.childId} · ${t("office.heldAt", { at: format.date(a.createdAt) })}</h2>
  <div class="columns">${recordColumn(ctx, t("office.newRecord"), mine)}${recordColumn(ctx, t("office.certifiedRecord"), theirs)}</div>
  ${state.applicationId === a.id ? errorSummary(ctx, own, labels) : ""}
  <form method="post" action="/office/duplicates/${a.id}/decision" novalidate>
    ${csrfInput(ctx)}
    <fieldset><legend>${t("office.decision")}</legend>
    ${DECISIONS.map(
      (d) => html`<div class="check"><input type="radio" id="decision-${a.id}-${d}" name="decision" value="${d}"${form.decision === d ? html` checked` : ""}${own.decision ? html` aria-invalid="true"` : ""}><label for="decision-${a.id}-${d}">${t(`office.decision.${d}`)}</label></div>`,
    )}
    ${own.decision ? html`<p class="error">${own.decision}</p>` : ""}
    </fieldset>
    ${field({ name: "comment", label: labels.comment, value: form.comment, error: own.comment, hint: t("office.commentHint") })}
    <button type="submit">${t("office.decide")}</button>
  </form>
</article>`;
})}`;
    const done = state.done && (DECISIONS as readonly string[]).includes(state.done) ? notice(t(`office.decided.${state.done as (typeof DECISIONS)[number]}`)) : undefined;
    return sendPage(reply.code(Object.keys(errors).length > 0 ? 400 : 200), layout(ctx, { title: t("office.duplicates"), body, notice: done }));
  }

  app.get<{ Querystring: { done?: string } }>("/office/duplicates", (request, reply) => duplicatesPage(request, reply, { done: request.query.done }));

  app.post<{ Body: Form }>("/office/duplicates/:id/decision", async (request, reply) => {
    const found = personAndId(request, reply, "operator");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const form = request.body;
    const decision = DECISIONS.find((d) => d === form.decision);
    if (!decision) return duplicatesPage(request, reply, { form, errors: { decision: ctx.t("office.decisionRequired") }, applicationId: id });
    const comment = (form.comment ?? "").trim();
    const answer = await services.call("registry", "POST", `/certificate-applications/${id}/decision`, {
      ...asPerson(ctx, person.token),
      body: { decision, ...(comment && { comment }) },
    });
    if (!answer.ok) {
      if (answer.status === 403 || answer.status === 404) return notFound(request, reply);
      return duplicatesPage(request, reply, { form, errors: fieldErrorsOf(answer.problem), applicationId: id });
    }
    return reply.redirect(`/office/duplicates?done=${decision}`, 303);
  });
}
