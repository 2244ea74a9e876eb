// The municipal operator's desk (issue #18, its first part): finding a family and verifying the
// category proofs families bring. Every look-up of personal data states its basis (a family came
// in person, or wrote with a reference): the registry records it with the look-up, and the family
// sees it in its trail. The registry decides everything; the pages carry the form and its answer.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { categoryName } from "@kruzhok/i18n";
import { fieldErrorsOf, type Services } from "../api/client";
import type { PageContext } from "../pages/context";
import { html, type Html } from "../pages/html";
import { csrfInput, errorSummary, field, layout, select } from "../pages/layout";
import { asPerson, notFoundPage as notFound, notice, personOf, sendPage } from "./web";

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

type Form = Record<string, string | undefined>;

const BASES = ["in_person_visit", "written_request"] as const;
const ClaimParams = z.object({ id: z.uuid() });

/**
 * The Acting-Basis header of a form's basis fields, or the error to show beside them: a written
 * request names its reference (the registry would refuse it without one, in other words).
 */
function basisOf(ctx: PageContext, form: Form): { header: string } | { errors: Record<string, string> } {
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

function basisFields(ctx: PageContext, form: Form, errors: Record<string, string>): Html {
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
  (c) => html`<li class="card"><h3>${c.lastName} ${c.firstName}${c.patronymic ? ` ${c.patronymic}` : ""}</h3>
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
    const person = personOf(request, reply, "operator");
    if (!person) return reply;
    const params = ClaimParams.safeParse(request.params);
    if (!params.success) return notFound(request, reply);
    const ctx = request.page;
    const form = request.body;
    const basis = basisOf(ctx, form);
    if ("errors" in basis) return claimsPage(request, reply, { form, errors: basis.errors, claimId: params.data.id });
    const decision = form.decision === "reject" ? { decision: "reject", reason: (form.reason ?? "").trim() } : { decision: "verify" };
    const answer = await services.call("registry", "POST", `/category-claims/${params.data.id}/decision`, {
      ...asPerson(ctx, person.token),
      headers: { "acting-basis": basis.header },
      body: decision,
    });
    if (!answer.ok) {
      if (answer.status === 403 || answer.status === 404) return notFound(request, reply);
      return claimsPage(request, reply, { form, errors: fieldErrorsOf(answer.problem), claimId: params.data.id });
    }
    return reply.redirect(`/office/category-claims?done=${decision.decision === "verify" ? "verified" : "rejected"}`, 303);
  });
}
