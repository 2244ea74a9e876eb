// The operator acting for a family who came to the office (issue #18): finding the family or
// registering a new one (a guardian and a child), then, from the child's page, each act of the
// visit on a page of its own (office-acting-steps.ts). Every act states its basis (a personal
// visit, or a written request with its reference), sent to the services as the Acting-Basis
// header: the registry and enrollment refuse an operator's act without one, record it with the
// act, and the family reads it in its trail. The portal decides nothing; the services do.
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { fieldErrorsOf, type Services } from "../api/client";
import type { Directory } from "../api/directory";
import type { Application, Certificate, Child, Program } from "../api/types";
import type { PageContext } from "../pages/context";
import { html, type Html } from "../pages/html";
import { csrfInput, errorSummary, field, layout, select } from "../pages/layout";
import { codeText, type TextKey } from "../pages/texts";
import { actingStepRoutes, basisLink, carriedBasis, type ActingForm, type Campaign } from "./office-acting-steps";
import { childTrail, trailList } from "./trail";
import { basisFields, basisOf } from "./office";
import { asPerson, notFoundPage as notFound, notice, personAndId, personOf, sendPage } from "./web";

export interface OfficialPagesOptions {
  services: Services;
  directory: Directory;
  clock: () => Date;
}

interface FoundChild {
  id: string;
  firstName: string;
  lastName: string;
  patronymic: string | null;
  birthDate: string;
  certificate: { number: string; status: string } | null;
}

interface Guardian {
  id: string;
  firstName: string;
  lastName: string;
  patronymic: string | null;
  phone: string | null;
  email: string | null;
}

const GUARDIAN_DOCUMENTS = ["passport", "snils", "iin"] as const;
const CHILD_DOCUMENTS = ["birth_certificate", "iin", "snils", "passport"] as const;
const Uuid = z.uuid();

/** The form's value of `name`, trimmed; undefined when blank (an optional field left empty). */
const value = (form: ActingForm, name: string) => {
  const v = form[name]?.trim();
  return v === undefined || v === "" ? undefined : v;
};

/**
 * A service's refusal as the registration form names its fields: the guardian's fields carry the
 * `guardian` prefix, the basis header is the basis select, and a field the form has not (the
 * guardian list, the municipality) is the form's as a whole.
 */
function registrationErrors(errors: Record<string, string>, who: "guardian" | "child"): Record<string, string> {
  const names: Record<string, string> = {
    firstName: "firstName",
    lastName: "lastName",
    patronymic: "patronymic",
    birthDate: "birthDate",
    phone: "phone",
    email: "email",
    "document.number": "documentNumber",
    "document.kind": "documentKind",
  };
  const out: Record<string, string> = {};
  for (const [name, message] of Object.entries(errors)) {
    let key = "";
    if (name === "acting-basis") key = "basis";
    else if (names[name]) key = who === "guardian" ? `guardian${names[name].charAt(0).toUpperCase()}${names[name].slice(1)}` : names[name];
    out[key] = out[key] ? `${out[key]}; ${message}` : message;
  }
  return out;
}


export function officeActingRoutes(app: FastifyInstance, options: OfficialPagesOptions): void {
  const { services, directory } = options;

  // The start: find the family (a GET form, each search with its basis, as the desk's) or register a new one.
  app.get<{ Querystring: ActingForm }>("/office/acting", async (request, reply) => {
    const person = personOf(request, reply, "operator");
    if (!person) return reply;
    const ctx = request.page;
    const { t, format } = ctx;
    const form = request.query;
    const labels = { name: t("office.name"), document: t("field.documentNumber"), basis: t("office.basisKind"), ref: t("office.ref"), "": t("acting.find") };
    let errors: Record<string, string> = {};
    let results: Html = html``;
    if (form.name !== undefined || form.document !== undefined || form.basis !== undefined) {
      const criteria = Object.fromEntries((["name", "document"] as const).flatMap((k) => (form[k]?.trim() ? [[k, form[k].trim()]] : [])));
      const basis = basisOf(ctx, form);
      if ("errors" in basis) errors = basis.errors;
      else if (Object.keys(criteria).length === 0) errors = { name: t("office.criteriaRequired") };
      else {
        const answer = await services.call<FoundChild[]>("registry", "GET", "/children", { ...asPerson(ctx, person.token), query: criteria, headers: { "acting-basis": basis.header } });
        if (!answer.ok) errors = fieldErrorsOf(answer.problem);
        else {
          const carry = basisLink(form);
          results = html`<section aria-labelledby="found"><h2 id="found">${t("office.found", { count: answer.body.length })}</h2>
${answer.body.length === 0 ? html`<p>${t("office.none")}</p>` : ""}
<ul class="cards">${answer.body.map(
  (c) => html`<li class="card"><h3><a href="/office/acting/children/${c.id}${carry}">${c.lastName} ${c.firstName}${c.patronymic ? ` ${c.patronymic}` : ""}</a></h3>
  <p class="meta">${t("child.born", { date: format.date(c.birthDate) })}</p>
  <p>${c.certificate ? t("office.certificateOf", { number: c.certificate.number, status: codeText(t, "certificate", c.certificate.status) }) : t("child.noCertificate")}</p></li>`,
)}</ul></section>`;
        }
      }
    }
    const body = html`<h1>${t("office.acting")}</h1>
<p>${t("acting.intro")}</p>
<p><a class="button" href="/office/acting/families/new${basisLink(form)}">${t("acting.register")}</a></p>
<h2 id="find">${t("acting.find")}</h2>
<p>${t("acting.findHint")}</p>
${errorSummary(ctx, errors, labels)}
<form method="get" action="/office/acting" novalidate aria-labelledby="find">
  ${field({ name: "name", label: labels.name, value: form.name, error: errors.name })}
  ${field({ name: "document", label: labels.document, value: form.document, error: errors.document })}
  ${basisFields(ctx, form, errors)}
  <button type="submit">${t("office.search")}</button>
</form>
${results}`;
    return sendPage(reply.code(Object.keys(errors).length > 0 ? 400 : 200), layout(ctx, { title: t("office.acting"), body }));
  });

  /** The guardian the form carries (registered by an earlier attempt, or the family found): undefined when none or not the office's. */
  async function carriedGuardian(ctx: PageContext, token: string, form: ActingForm): Promise<Guardian | undefined> {
    const id = form.guardianId;
    if (!id || !Uuid.safeParse(id).success) return undefined;
    const answer = await services.call<Guardian>("registry", "GET", `/guardians/${id}`, asPerson(ctx, token));
    return answer.ok ? answer.body : undefined;
  }

  function personInputs(ctx: PageContext, form: ActingForm, errors: Record<string, string>, prefix: "guardian" | "", kinds: readonly string[]): Html {
    const { t } = ctx;
    const n = (name: string) => (prefix ? `${prefix}${name.charAt(0).toUpperCase()}${name.slice(1)}` : name);
    const input = (name: string, label: string, extra: { type?: "date" | "tel" | "email"; required?: boolean } = {}) =>
      field({ name: n(name), label, value: form[n(name)], error: errors[n(name)], autocomplete: "off", ...extra });
    return html`${input("lastName", t("field.lastName"), { required: true })}
${input("firstName", t("field.firstName"), { required: true })}
${input("patronymic", t("field.patronymic"))}
${prefix ? "" : input("birthDate", t("field.birthDate"), { type: "date", required: true })}
${select({ name: n("documentKind"), label: t("field.documentKind"), value: form[n("documentKind")], error: errors[n("documentKind")], options: kinds.map((k) => ({ value: k, label: t(`document.${k}` as TextKey) })) })}
${input("documentNumber", t("field.documentNumber"), { required: true })}
${prefix ? html`${input("phone", t("field.phone"), { type: "tel" })}${input("email", t("field.email"), { type: "email" })}` : ""}`;
  }

  function registrationLabels(ctx: PageContext): Record<string, string> {
    const { t } = ctx;
    const g = t("acting.guardian");
    return {
      guardianLastName: `${g}: ${t("field.lastName")}`, guardianFirstName: `${g}: ${t("field.firstName")}`, guardianPatronymic: `${g}: ${t("field.patronymic")}`,
      guardianDocumentKind: `${g}: ${t("field.documentKind")}`, guardianDocumentNumber: `${g}: ${t("field.documentNumber")}`, guardianPhone: `${g}: ${t("field.phone")}`, guardianEmail: `${g}: ${t("field.email")}`,
      lastName: t("field.lastName"), firstName: t("field.firstName"), patronymic: t("field.patronymic"), birthDate: t("field.birthDate"),
      documentKind: t("field.documentKind"), documentNumber: t("field.documentNumber"), basis: t("office.basisKind"), ref: t("office.ref"), "": t("acting.register"),
    };
  }

  // A new Idempotency-Key each time the form is drawn: a refused attempt changed nothing, and the
  // registry keeps its refusal under the key it was sent with.
  async function registrationPage(request: FastifyRequest, reply: FastifyReply, token: string, form: ActingForm, errors: Record<string, string>, status = 200): Promise<FastifyReply> {
    const ctx = request.page;
    const { t } = ctx;
    const guardian = await carriedGuardian(ctx, token, form);
    const guardianBlock = guardian
      ? html`<fieldset><legend>${t("acting.guardian")}</legend>
  <input type="hidden" name="guardianId" value="${guardian.id}">
  <p>${guardian.lastName} ${guardian.firstName}${guardian.patronymic ? ` ${guardian.patronymic}` : ""}${guardian.phone ? `, ${guardian.phone}` : ""}</p>
  <p class="hint">${t("acting.guardianKnown")}</p>
</fieldset>`
      : html`<fieldset><legend>${t("acting.guardian")}</legend>
  ${personInputs(ctx, form, errors, "guardian", GUARDIAN_DOCUMENTS)}
</fieldset>`;
    const body = html`<h1>${t("acting.register")}</h1>
<p>${t("acting.registerIntro")}</p>
${errorSummary(ctx, errors, registrationLabels(ctx))}
<form method="post" action="/office/acting/families" novalidate>
  ${csrfInput(ctx)}
  <input type="hidden" name="idempotencyKey" value="${randomUUID()}">
  ${guardianBlock}
  <fieldset><legend>${t("acting.child")}</legend>
  ${personInputs(ctx, form, errors, "", CHILD_DOCUMENTS)}
  </fieldset>
  ${basisFields(ctx, form, errors)}
  <button type="submit">${t("acting.registerSubmit")}</button>
</form>`;
    const done = guardian && form.guardianCreated === "yes" ? notice(t("acting.guardianRegistered")) : undefined;
    return sendPage(reply.code(status), layout(ctx, { title: t("acting.register"), body, notice: done }));
  }

  app.get<{ Querystring: ActingForm }>("/office/acting/families/new", async (request, reply) => {
    const person = personOf(request, reply, "operator");
    if (!person) return reply;
    const defaults = { guardianDocumentKind: "passport", documentKind: request.page.language === "kk" ? "iin" : "birth_certificate" };
    return registrationPage(request, reply, person.token, { ...defaults, ...carriedBasis(request.query), ...(request.query.guardianId && { guardianId: request.query.guardianId }) }, {});
  });

  // The guardian first (unless the form carries one already), then the child with that guardian:
  // both with the basis, and each refusal beside its field. A guardian registered by an attempt
  // whose child was refused stays on the form, so the next attempt registers only the child.
  app.post<{ Body: ActingForm }>("/office/acting/families", async (request, reply) => {
    const person = personOf(request, reply, "operator");
    if (!person) return reply;
    const ctx = request.page;
    const form = { ...request.body };
    const basis = basisOf(ctx, form);
    if ("errors" in basis) return registrationPage(request, reply, person.token, form, basis.errors, 400);
    const call = { ...asPerson(ctx, person.token), headers: { "acting-basis": basis.header } };
    let guardianId = form.guardianId && Uuid.safeParse(form.guardianId).success ? form.guardianId : undefined;
    if (!guardianId) {
      const registered = await services.call<Guardian>("registry", "POST", "/guardians", {
        ...call,
        body: {
          firstName: form.guardianFirstName?.trim() ?? "",
          lastName: form.guardianLastName?.trim() ?? "",
          patronymic: value(form, "guardianPatronymic"),
          phone: value(form, "guardianPhone"),
          email: value(form, "guardianEmail"),
          document: { kind: form.guardianDocumentKind ?? "", number: form.guardianDocumentNumber?.trim() ?? "" },
          municipalityId: person.actor.municipalityId,
        },
      });
      if (!registered.ok) return registrationPage(request, reply, person.token, form, registrationErrors(fieldErrorsOf(registered.problem), "guardian"), registered.status === 409 ? 409 : 400);
      guardianId = registered.body.id;
      form.guardianId = guardianId;
      form.guardianCreated = "yes";
    }
    const child = await services.call<Child>("registry", "POST", "/children", {
      ...call,
      ...(form.idempotencyKey && { idempotencyKey: form.idempotencyKey }),
      body: {
        firstName: form.firstName?.trim() ?? "",
        lastName: form.lastName?.trim() ?? "",
        patronymic: value(form, "patronymic"),
        birthDate: form.birthDate ?? "",
        document: { kind: form.documentKind ?? "", number: form.documentNumber?.trim() ?? "" },
        guardianIds: [guardianId],
      },
    });
    if (!child.ok) {
      if (child.status === 403 || child.status === 404) return notFound(request, reply);
      return registrationPage(request, reply, person.token, form, registrationErrors(fieldErrorsOf(child.problem), "child"), child.status === 409 ? 409 : 400);
    }
    return reply.redirect(`/office/acting/children/${child.body.id}${basisLink(form, "done=registered")}`, 303);
  });

  // The child's page for the operator: what the family has, what can be done for it now (each act
  // a page of its own, with its basis), and the trail of the office's acts the family reads too.
  app.get<{ Querystring: ActingForm }>("/office/acting/children/:id", async (request, reply) => {
    const found = personAndId(request, reply, "operator");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const { t, format } = ctx;
    const call = asPerson(ctx, person.token);
    const child = await services.call<Child>("registry", "GET", `/children/${id}`, call);
    // Another municipality's child (403) and no child (404) read the same.
    if (!child.ok) return notFound(request, reply);
    const c = child.body;
    const [certificate, applications, guardians, trail, campaigns, municipality] = await Promise.all([
      services.call<Certificate>("registry", "GET", `/children/${id}/certificate`, call),
      services.call<Application[]>("enrollment", "GET", `/children/${id}/applications`, call),
      Promise.all(c.guardianIds.map((g) => services.call<Guardian>("registry", "GET", `/guardians/${g}`, call))),
      childTrail(services, id, call),
      services.call<Campaign[]>("enrollment", "GET", "/campaigns", { ...call, query: { municipalityId: c.municipalityId } }),
      directory.municipality(c.municipalityId),
    ]);
    const timeZone = municipality?.timeZone ?? "UTC";
    const apps = applications.ok ? applications.body : [];
    const programs = new Map(
      await Promise.all(
        [...new Set(apps.map((a) => a.programId))].map(async (programId) => {
          const answer = await services.call<Program>("catalogue", "GET", `/programs/${programId}`, call);
          return [programId, answer.ok ? answer.body.title : programId] as const;
        }),
      ),
    );
    const carry = basisLink(request.query);
    const certificateBlock = certificate.ok
      ? html`<p>${t("child.certificateNumber", { number: certificate.body.number })}: <strong>${codeText(t, "certificate", certificate.body.status)}</strong></p>
<p>${certificate.body.funding === "financed" ? t("certificate.financed", { year: certificate.body.financedYear ?? "" }) : t("certificate.accounting")}</p>`
      : html`<p>${t("child.noCertificate")}</p><p><a class="button" href="/office/acting/children/${id}/certificate${carry}">${t("child.applyCertificate")}</a></p>`;
    const applicationItems = apps.map((a) => {
      const offer = a.offers.find((o) => o.status === "open");
      return html`<li class="card"><h3>${t("application.group", { title: programs.get(a.programId) ?? a.programId })}</h3>
  <p class="meta">${codeText(t, "application.status", a.status)}</p>
  ${offer
    ? html`<p>${t("acting.offerOpen", { deadline: format.instant(offer.deadline, timeZone) })}</p>
  <p><a class="button" href="/office/acting/offers/${offer.id}${carry}">${t("acting.sign")}</a></p>`
    : ""}</li>`;
    });
    const campaignList = (campaigns.ok ? campaigns.body : []).filter((k) => k.phase !== "drawn").slice(0, 5);
    const guardianNames = guardians.flatMap((g) => (g.ok ? [`${g.body.lastName} ${g.body.firstName}${g.body.phone ? `, ${g.body.phone}` : ""}`] : []));
    const done = request.query.done;
    const doneText = done && ["registered", "certificate", "held", "applied", "ranked", "signed"].includes(done) ? notice(t(`acting.done.${done}` as TextKey)) : undefined;
    const name = `${c.lastName} ${c.firstName}${c.patronymic ? ` ${c.patronymic}` : ""}`;
    const body = html`<h1>${name}</h1>
<p>${t("child.born", { date: format.date(c.birthDate) })}</p>
<p>${t("office.guardians")}: ${guardianNames.length > 0 ? guardianNames.join("; ") : "—"}</p>
<p><a href="/office/acting/families/new${basisLink(request.query, c.guardianIds[0] ? `guardianId=${c.guardianIds[0]}` : "")}">${t("acting.anotherChild")}</a></p>
<h2>${t("child.certificate")}</h2>
${certificateBlock}
<h2 id="applications">${t("child.applications")}</h2>
${apps.length === 0 ? html`<p>${t("acting.noApplications")}</p>` : html`<ul class="cards">${applicationItems}</ul>`}
<p><a class="button" href="/office/acting/children/${id}/applications${carry}">${t("acting.apply")}</a></p>
${campaignList.length > 0
  ? html`<h2 id="campaigns">${t("campaign.list")}</h2>
<ul>${campaignList.map((k) => html`<li>${k.phase === "open" ? html`<a href="/office/acting/campaigns/${k.id}/children/${id}${carry}">${k.name}</a>` : k.name} — ${t(`campaign.phase.${k.phase}` as TextKey)}</li>`)}</ul>`
  : ""}
<h2 id="trail">${t("acting.trail")}</h2>
<p>${t("acting.trailHint")}</p>
${trailList(ctx, trail, timeZone)}`;
    return sendPage(reply, layout(ctx, { title: name, body, notice: doneText }));
  });

  actingStepRoutes(app, options);
}
