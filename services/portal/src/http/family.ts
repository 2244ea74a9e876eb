// A family's pages: registering oneself and a child, the certificate and its money, the
// applications with their live place in the queue, offers to accept or decline. Every read and
// write goes to the service that owns it with the family's own token, so a family sees only
// what the services let it see: a child id of another family in the address is refused there.
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { STREAM_HANDLER_TIMEOUT_MS } from "@kruzhok/http";
import { fieldErrorsOf, type Services } from "../api/client";
import type { Directory } from "../api/directory";
import type { Application, Certificate, Child, Group, Position, Program } from "../api/types";
import type { PageContext } from "../pages/context";
import { html, type Html } from "../pages/html";
import { csrfInput, errorSummary, field, layout, messagePage, select } from "../pages/layout";
import { codeText, type TextKey } from "../pages/texts";
import { childMarks } from "./attendance";
import { openEventStream, openRelays, relayEventStream } from "./dashboard-upstream";
import { childCampaigns } from "./campaigns";
import { asPerson, notFoundPage as notFound, notice, personAndId, personOf, sendPage } from "./web";
import { childTrail, trailList } from "./trail";

export interface FamilyOptions {
  services: Services;
  directory: Directory;
  clock: () => Date;
  /** Renames the session of a request (a new family is greeted by its name once registered). */
  renameSession: (request: FastifyRequest, displayName: string) => Promise<void>;
}

const IdParams = z.object({ id: z.uuid() });
/** How soon a browser opens the position stream again after it ended (enrollment restarted, a replica gone). */
const POSITION_RETRY_MS = 3_000;
type Form = Record<string, string | undefined>;

interface Account {
  year: number;
  currency: string;
  available: number;
  reserved: number;
  movements: { at: string; kind: string; description: string; direction: "in" | "out" | "held" | "released"; amount: number }[];
}

/** The form's value of `name`, trimmed; undefined when empty (an optional field left blank). */
const value = (form: Form, name: string) => {
  const v = form[name]?.trim();
  return v === undefined || v === "" ? undefined : v;
};

/** A service's field (`document.number`) as the form names it (`documentNumber`). */
const FORM_FIELD: Record<string, string> = { "document.number": "documentNumber", "document.kind": "documentKind" };
function formErrors(errors: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, message] of Object.entries(errors)) {
    const formName = FORM_FIELD[name] ?? (name.includes(".") ? "" : name);
    out[formName] = out[formName] ? `${out[formName]}; ${message}` : message;
  }
  return out;
}

function personFields(ctx: PageContext, form: Form, errors: Record<string, string>, kinds: readonly string[], withContacts: boolean): Html {
  const { t } = ctx;
  return html`${field({ name: "lastName", label: t("field.lastName"), value: form.lastName, error: errors.lastName, required: true, autocomplete: withContacts ? "family-name" : "off" })}
${field({ name: "firstName", label: t("field.firstName"), value: form.firstName, error: errors.firstName, required: true, autocomplete: withContacts ? "given-name" : "off" })}
${field({ name: "patronymic", label: t("field.patronymic"), value: form.patronymic, error: errors.patronymic, autocomplete: withContacts ? "additional-name" : "off" })}
${withContacts ? "" : field({ name: "birthDate", label: t("field.birthDate"), value: form.birthDate, error: errors.birthDate, type: "date", required: true })}
${select({ name: "documentKind", label: t("field.documentKind"), value: form.documentKind, error: errors.documentKind,
  options: kinds.map((kind) => ({ value: kind, label: t(`document.${kind}` as TextKey) })) })}
${field({ name: "documentNumber", label: t("field.documentNumber"), value: form.documentNumber, error: errors.documentNumber, required: true })}
${withContacts
  ? html`${field({ name: "phone", label: t("field.phone"), value: form.phone, error: errors.phone, type: "tel", autocomplete: "tel" })}
${field({ name: "email", label: t("field.email"), value: form.email, error: errors.email, type: "email", autocomplete: "email" })}`
  : ""}`;
}

function labelsOf(ctx: PageContext): Record<string, string> {
  const { t } = ctx;
  return {
    lastName: t("field.lastName"), firstName: t("field.firstName"), patronymic: t("field.patronymic"), birthDate: t("field.birthDate"),
    documentKind: t("field.documentKind"), documentNumber: t("field.documentNumber"), phone: t("field.phone"), email: t("field.email"),
  };
}

const statusText = (ctx: PageContext, prefix: string, status: string) => codeText(ctx.t, prefix, status);

export function familyRoutes(app: FastifyInstance, options: FamilyOptions): void {
  const { services, directory } = options;


  function registrationPage(ctx: PageContext, form: Form, errors: Record<string, string>): Html {
    const { t } = ctx;
    return layout(ctx, {
      title: t("family.register"),
      body: html`<h1>${t("family.register")}</h1>
<p>${t("family.registerIntro")}</p>
${errorSummary(ctx, errors, labelsOf(ctx))}
<form method="post" action="/family/registration" novalidate>
  ${csrfInput(ctx)}
  ${personFields(ctx, form, errors, ["passport", "snils", "iin"], true)}
  <button type="submit">${t("form.save")}</button>
</form>`,
    });
  }

  app.get("/family", async (request, reply) => {
    const person = personOf(request, reply, "guardian");
    if (!person) return reply;
    const ctx = request.page;
    const { t } = ctx;
    const guardianId = person.actor.guardianId ?? "";
    const call = asPerson(ctx, person.token);
    const guardian = await services.call("registry", "GET", `/guardians/${guardianId}`, call);
    if (!guardian.ok) return sendPage(reply, registrationPage(ctx, { documentKind: ctx.language === "kk" ? "iin" : "passport" }, {}));
    const children = await services.call<Child[]>("registry", "GET", `/guardians/${guardianId}/children`, call);
    const kids = children.ok ? children.body : [];
    const certificates = await Promise.all(kids.map((child) => services.call<Certificate>("registry", "GET", `/children/${child.id}/certificate`, call)));
    const body = html`<h1>${t("family.title")}</h1>
<h2>${t("family.children")}</h2>
${kids.length === 0 ? html`<p>${t("family.noChildren")}</p>` : ""}
<ul class="cards">${kids.map((child, i) => {
  const certificate = certificates[i];
  return html`<li class="card"><h3><a href="/family/children/${child.id}">${child.firstName} ${child.lastName}</a></h3>
  <p class="meta">${t("child.born", { date: ctx.format.date(child.birthDate) })}</p>
  <p class="meta">${certificate?.ok ? html`${t("child.certificateNumber", { number: certificate.body.number })}: ${statusText(ctx, "certificate", certificate.body.status)}` : t("child.noCertificate")}</p></li>`;
})}</ul>
<p><a class="button" href="/family/children/new">${t("family.addChild")}</a></p>`;
    return sendPage(reply, layout(ctx, { title: t("family.title"), body }));
  });

  app.post<{ Body: Form }>("/family/registration", async (request, reply) => {
    const person = personOf(request, reply, "guardian");
    if (!person) return reply;
    const ctx = request.page;
    const form = request.body;
    const answer = await services.call("registry", "POST", "/guardians", {
      ...asPerson(ctx, person.token),
      body: {
        firstName: form.firstName?.trim() ?? "",
        lastName: form.lastName?.trim() ?? "",
        patronymic: value(form, "patronymic"),
        phone: value(form, "phone"),
        email: value(form, "email"),
        document: { kind: form.documentKind ?? "", number: form.documentNumber?.trim() ?? "" },
        municipalityId: person.actor.municipalityId,
        language: ctx.language,
      },
    });
    if (!answer.ok) return sendPage(reply.code(answer.status === 409 ? 409 : 400), registrationPage(ctx, form, formErrors(fieldErrorsOf(answer.problem))));
    await options.renameSession(request, `${form.firstName?.trim() ?? ""} ${form.lastName?.trim() ?? ""}`.trim());
    return reply.redirect("/family", 303);
  });

  // A new Idempotency-Key each time the form is drawn: a refused attempt changed nothing, and the
  // service keeps its refusal under the key it was sent with.
  function childForm(ctx: PageContext, form: Form, errors: Record<string, string>): Html {
    const { t } = ctx;
    return layout(ctx, {
      title: t("family.newChild"),
      body: html`<h1>${t("family.newChild")}</h1>
${errorSummary(ctx, errors, labelsOf(ctx))}
<form method="post" action="/family/children" novalidate>
  ${csrfInput(ctx)}
  <input type="hidden" name="idempotencyKey" value="${randomUUID()}">
  ${personFields(ctx, form, errors, ["birth_certificate", "iin", "snils", "passport"], false)}
  <button type="submit">${t("form.save")}</button>
</form>`,
    });
  }

  app.get("/family/children/new", async (request, reply) => {
    if (!personOf(request, reply, "guardian")) return reply;
    return sendPage(reply, childForm(request.page, { documentKind: request.page.language === "kk" ? "iin" : "birth_certificate" }, {}));
  });

  app.post<{ Body: Form }>("/family/children", async (request, reply) => {
    const person = personOf(request, reply, "guardian");
    if (!person) return reply;
    const ctx = request.page;
    const form = request.body;
    const answer = await services.call<{ id: string }>("registry", "POST", "/children", {
      ...asPerson(ctx, person.token),
      ...(form.idempotencyKey && { idempotencyKey: form.idempotencyKey }),
      body: {
        firstName: form.firstName?.trim() ?? "",
        lastName: form.lastName?.trim() ?? "",
        patronymic: value(form, "patronymic"),
        birthDate: form.birthDate ?? "",
        document: { kind: form.documentKind ?? "", number: form.documentNumber?.trim() ?? "" },
        guardianIds: [person.actor.guardianId],
      },
    });
    if (!answer.ok) return sendPage(reply.code(answer.status === 409 ? 409 : 400), childForm(ctx, form, formErrors(fieldErrorsOf(answer.problem))));
    return reply.redirect(`/family/children/${answer.body.id}`, 303);
  });

  /** The place of a waiting application in its queue: a fragment the page redraws live. */
  function positionFragment(ctx: PageContext, position: Position): Html {
    return html`<p><strong>${ctx.t("application.position", { position: position.position, total: position.total })}</strong></p><p>${position.explanation}</p>`;
  }

  async function applicationBlock(ctx: PageContext, token: string, application: Application, programs: Map<string, Program | undefined>, timeZone: string): Promise<Html> {
    const { t, format } = ctx;
    const program = programs.get(application.programId);
    const offer = application.offers.find((o) => o.status === "open");
    let position: Html = html``;
    if (application.status === "queued") {
      const answer = await services.call<Position>("enrollment", "GET", `/applications/${application.id}/position`, asPerson(ctx, token));
      if (answer.ok) {
        // Pushed where the browser runs the page's script (data-stream), asked every 15 s where it
        // cannot hold a stream (data-live), and a link to the place's own page without a script.
        position = html`<div data-live="/family/applications/${application.id}/position" data-every="15" data-stream="/family/applications/${application.id}/position/stream" aria-live="polite">${positionFragment(ctx, answer.body)}</div>
<p class="live" hidden data-live-note>${t("application.live")}</p>
<noscript><p><a href="/family/applications/${application.id}/position">${t("application.positionNow")}</a></p></noscript>`;
      }
    }
    return html`<li class="card">
  <h3>${program ? html`<a href="/programs/${program.id}">${t("application.group", { title: program.title })}</a>` : application.programId}</h3>
  <p class="meta">${statusText(ctx, "application.status", application.status)}</p>
  ${position}
  ${offer
    ? html`<p>${t("application.offer", { deadline: format.instant(offer.deadline, timeZone) })}</p>
  <p><a class="button" href="/family/offers/${offer.id}?child=${application.childId}">${t("contract.read")}</a></p>`
    : ""}
  ${application.enrollment?.status === "active"
    ? html`<p>${t("application.enrolled")}</p>
  <p><a href="/?moving=${application.enrollment.id}">${t("transfer.start")}</a></p>`
    : ""}
</li>`;
  }

  app.get<{ Querystring: { done?: string; month?: string } }>("/family/children/:id", async (request, reply) => {
    const found = personAndId(request, reply, "guardian");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const { t, format } = ctx;
    const call = asPerson(ctx, person.token);
    const child = await services.call<Child>("registry", "GET", `/children/${id}`, call);
    // Another family's child (403) and no child (404) read the same: the address tells nothing.
    if (!child.ok) return notFound(request, reply);
    const [certificate, applications, trail] = await Promise.all([
      services.call<Certificate>("registry", "GET", `/children/${id}/certificate`, call),
      services.call<Application[]>("enrollment", "GET", `/children/${id}/applications`, call),
      // The family sees what was done for it, by whom and on what basis (an operator at the desk).
      childTrail(services, id, call),
    ]);
    const municipality = await directory.municipality(child.body.municipalityId);
    const timeZone = municipality?.timeZone ?? "UTC";
    const account = certificate.ok ? await services.call<Account>("payments", "GET", `/certificates/${certificate.body.id}/account`, call) : undefined;
    const apps = applications.ok ? applications.body : [];
    const programIds = [...new Set(apps.map((a) => a.programId))];
    const programs = new Map(
      await Promise.all(
        programIds.map(async (programId) => {
          const answer = await services.call<Program>("catalogue", "GET", `/programs/${programId}`, call);
          return [programId, answer.ok ? answer.body : undefined] as const;
        }),
      ),
    );
    const c = child.body;
    const certificateBlock = certificate.ok
      ? html`<p>${t("child.certificateNumber", { number: certificate.body.number })}: <strong>${statusText(ctx, "certificate", certificate.body.status)}</strong></p>
<p>${certificate.body.funding === "financed" ? t("certificate.financed", { year: certificate.body.financedYear ?? "" }) : t("certificate.accounting")}</p>`
      : html`<p>${t("child.noCertificate")}</p>
<form method="post" action="/family/children/${c.id}/certificate">${csrfInput(ctx)}<input type="hidden" name="idempotencyKey" value="${randomUUID()}"><button type="submit">${t("child.applyCertificate")}</button></form>`;
    const accountBlock =
      account === undefined
        ? html``
        : account.ok
          ? html`<h2>${t("account.title", { year: account.body.year })}</h2>
<dl class="summary"><dt>${t("account.balance")}</dt><dd>${format.money(account.body.available, account.body.currency)}</dd>
<dt>${t("account.reserved")}</dt><dd>${format.money(account.body.reserved, account.body.currency)}</dd></dl>
<h3>${t("account.movements")}</h3>
${account.body.movements.length === 0
  ? html`<p>${t("account.noMovements")}</p>`
  : html`<table><tbody>${account.body.movements.map((m) => html`<tr><td>${format.instant(m.at, timeZone)}</td><td>${m.description}</td><td>${m.direction === "out" || m.direction === "held" ? "−" : "+"}${format.money(m.amount, account.body.currency)}</td></tr>`)}</tbody></table>`}`
          : html`<p>${t("account.none")}</p>`;
    const blocks = await Promise.all(apps.map((a) => applicationBlock(ctx, person.token, a, programs, timeZone)));
    const enrolled = apps.some((a) => a.enrollment !== null);
    const [marks, campaigns] = await Promise.all([
      enrolled ? childMarks(services, options.clock, ctx, person.token, c.id, timeZone, request.query.month) : html``,
      childCampaigns(services, ctx, c.municipalityId, c.id),
    ]);
    const done = request.query.done === "applied" ? notice(t("application.applied")) : request.query.done === "enrolled" ? notice(t("application.enrolled")) : request.query.done === "reviewed" ? notice(t("markReview.done")) : request.query.done === "moving" ? notice(t("transfer.done")) : undefined;
    const body = html`<h1>${c.firstName} ${c.lastName}</h1>
<p>${t("child.born", { date: format.date(c.birthDate) })}</p>
<h2>${t("child.certificate")}</h2>
${certificateBlock}
${accountBlock}
<h2 id="applications">${t("child.applications")}</h2>
${apps.length === 0 ? html`<p><a href="/">${t("child.noApplications")}</a></p>` : html`<ul class="cards">${blocks}</ul>`}
${campaigns}
${marks}
${trail.length > 0 ? html`<h2 id="trail">${t("acting.familyTrail")}</h2><p>${t("acting.familyTrailHint")}</p>${trailList(ctx, trail, timeZone)}` : ""}`;
    return sendPage(reply, layout(ctx, { title: `${c.firstName} ${c.lastName}`, body, notice: done }));
  });

  app.post<{ Body: Form }>("/family/children/:id/certificate", async (request, reply) => {
    const found = personAndId(request, reply, "guardian");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const answer = await services.call<Certificate>("registry", "POST", "/certificates", {
      ...asPerson(ctx, person.token),
      ...(request.body.idempotencyKey && { idempotencyKey: request.body.idempotencyKey }),
      body: { childId: id },
    });
    if (!answer.ok && answer.status === 404) return notFound(request, reply);
    if (!answer.ok) return sendPage(reply.code(answer.status), messagePage(ctx, ctx.t("child.certificate"), answer.problem.detail));
    // 202: held as a near-duplicate for the office to decide.
    if (answer.status === 202) return sendPage(reply, messagePage(ctx, ctx.t("child.certificate"), ctx.t("child.certificateHeld")));
    return reply.redirect(`/family/children/${id}`, 303);
  });

  app.post<{ Body: Form }>("/family/applications", async (request, reply) => {
    const person = personOf(request, reply, "guardian");
    if (!person) return reply;
    const ctx = request.page;
    const { childId, groupId, idempotencyKey } = request.body;
    const answer = await services.call<Application>("enrollment", "POST", "/applications", {
      ...asPerson(ctx, person.token),
      ...(idempotencyKey && { idempotencyKey }),
      body: { childId, groupId },
    });
    if (!answer.ok) return sendPage(reply.code(answer.status === 404 ? 404 : 400), messagePage(ctx, ctx.t("program.apply"), answer.problem.detail || answer.problem.title));
    return reply.redirect(`/family/children/${answer.body.childId}?done=applied#applications`, 303);
  });

  // Moving to another group: an application that reuses the child's certificate (nothing is
  // submitted again); it queues as any other, and the current group goes on until the new starts.
  app.post<{ Body: Form }>("/family/enrollments/:id/transfer", async (request, reply) => {
    const found = personAndId(request, reply, "guardian");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const answer = await services.call<Application>("enrollment", "POST", `/enrollments/${id}/transfer`, { ...asPerson(ctx, person.token), body: { groupId: request.body.groupId } });
    if (!answer.ok) {
      if (answer.status === 403 || (answer.status === 404 && answer.problem.code === "ENROLLMENT_NOT_FOUND")) return notFound(request, reply);
      return sendPage(reply.code(answer.status === 404 ? 404 : 400), messagePage(ctx, ctx.t("transfer.title"), answer.problem.detail || answer.problem.title));
    }
    return reply.redirect(`/family/children/${answer.body.childId}?done=moving#applications`, 303);
  });

  app.get("/family/applications/:id/position", async (request, reply) => {
    const found = personAndId(request, reply, "guardian");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const answer = await services.call<Position>("enrollment", "GET", `/applications/${id}/position`, asPerson(ctx, person.token));
    if (!answer.ok) return notFound(request, reply);
    const fragment = positionFragment(ctx, answer.body);
    if (request.headers["x-fragment"] === "1") return sendPage(reply, fragment);
    return sendPage(reply, layout(ctx, { title: ctx.t("child.applications"), body: html`<h1>${ctx.t("child.applications")}</h1>${fragment}` }));
  });

  // The same place, pushed (Server-Sent Events): the page's script shows each `position` as it
  // comes instead of asking every 15 s. Enrollment decides who may watch (the family's token);
  // each of its `position` events is drawn here as the page's fragment, in the page's language.
  // `left` (the application no longer waits) is passed on: the script reloads the page, which
  // then says what happened.
  const openStreams = openRelays(app);
  app.get("/family/applications/:id/position/stream", { handlerTimeout: STREAM_HANDLER_TIMEOUT_MS }, async (request, reply) => {
    const found = personAndId(request, reply, "guardian");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const upstream = await openEventStream(services, "enrollment", `/applications/${id}/position/stream`, { token: person.token, language: ctx.language, requestId: request.id, query: {} });
    if (!upstream.ok) return reply.code(upstream.problem.status === 404 || upstream.problem.status === 403 ? 404 : 409).type("text/plain; charset=utf-8").send(upstream.problem.detail || upstream.problem.code);
    return relayEventStream(request, reply, upstream, {
      retryMs: POSITION_RETRY_MS,
      open: openStreams,
      relay: (event) => {
        if (event.name === "left") return { text: "event: left\ndata: {}\n\n", end: true };
        if (event.name !== "position") return undefined;
        let position: Position;
        try {
          position = JSON.parse(event.data) as Position;
        } catch (error) {
          request.log.warn({ err: error }, "enrollment sent a position event that is not JSON");
          return undefined;
        }
        // An SSE field ends at a line break: a fragment of several lines is several data lines.
        return { text: `event: position\n${positionFragment(ctx, position).text.split("\n").map((line) => `data: ${line}\n`).join("")}\n` };
      },
    });
  });

  /** The offer's contract as the family reads it before signing: the parties, the program, its terms. */
  async function offerPage(request: FastifyRequest, reply: FastifyReply, offerId: string, error?: string): Promise<FastifyReply> {
    const person = personOf(request, reply, "guardian");
    if (!person) return reply;
    const ctx = request.page;
    const { t, format } = ctx;
    const call = asPerson(ctx, person.token);
    const offer = await services.call<{ id: string; applicationId: string; groupId: string; status: string; deadline: string }>("enrollment", "GET", `/offers/${offerId}`, call);
    if (!offer.ok) return notFound(request, reply);
    const application = await services.call<Application>("enrollment", "GET", `/applications/${offer.body.applicationId}`, call);
    if (!application.ok) return notFound(request, reply);
    const [program, group, child] = await Promise.all([
      services.call<Program>("catalogue", "GET", `/programs/${application.body.programId}`, call),
      services.call<Group>("catalogue", "GET", `/groups/${offer.body.groupId}`, call),
      services.call<Child>("registry", "GET", `/children/${application.body.childId}`, call),
    ]);
    if (!program.ok || !group.ok || !child.ok) return notFound(request, reply);
    const p = program.body;
    const timeZone = (await directory.municipality(p.municipalityId))?.timeZone ?? "UTC";
    const paymentKey = p.fundingKind === "financed" ? "contract.payment.financed" : p.fundingKind === "free" ? "contract.payment.free" : "contract.payment.paid";
    const title = t("contract.title", { title: p.title });
    const open = offer.body.status === "open";
    const body = html`<h1>${title}</h1>
<p>${t("contract.intro")}</p>
<dl class="summary">
  <dt>${t("contract.provider")}</dt><dd>${p.providerName}, ${p.address.text}</dd>
  <dt>${t("contract.child")}</dt><dd>${child.body.lastName} ${child.body.firstName}${child.body.patronymic ? ` ${child.body.patronymic}` : ""}, ${format.date(child.body.birthDate)}</dd>
  <dt>${t("contract.program")}</dt><dd>${p.title}</dd>
  <dt>${t("contract.schedule")}</dt><dd>${group.body.schedule.slots.map((slot) => `${format.weekday(slot.weekday)} ${slot.start}–${slot.end}`).join(", ")}</dd>
  <dt>${t("contract.period")}</dt><dd>${t("program.period", { from: format.date(group.body.startsOn), to: format.date(group.body.endsOn) })}</dd>
  <dt>${t("contract.volume")}</dt><dd>${t("program.hours", { weekly: p.weeklyHours, total: p.totalHours })}</dd>
  <dt>${t("contract.price")}</dt><dd>${t("program.price", { price: format.money(p.price.amount, p.price.currency) })}</dd>
  <dt>${t("contract.payment")}</dt><dd>${t(paymentKey)}</dd>
  <dt>${t("contract.deadline")}</dt><dd>${format.instant(offer.body.deadline, timeZone)}</dd>
</dl>
${open
  ? html`<form method="post" action="/family/offers/${offerId}/acceptance" novalidate>
  ${csrfInput(ctx)}
  <input type="hidden" name="childId" value="${application.body.childId}">
  <div class="field${error ? " has-error" : ""}">
    ${error ? html`<p class="error" id="f-agree-error">${error}</p>` : ""}
    <div class="check"><input type="checkbox" id="f-agree" name="agree" value="yes"${error ? html` aria-invalid="true" aria-describedby="f-agree-error"` : ""}><label for="f-agree">${t("contract.agree")}</label></div>
  </div>
  <button type="submit">${t("application.accept")}</button>
</form>
<form method="post" action="/family/offers/${offerId}/decline" class="actions">${csrfInput(ctx)}<input type="hidden" name="childId" value="${application.body.childId}"><button type="submit" class="warning">${t("application.decline")}</button></form>`
  : html`<p>${statusText(ctx, "application.status", application.body.status)}</p>`}`;
    return sendPage(reply.code(error ? 400 : 200), layout(ctx, { title, body, notice: error ? errorSummary(ctx, { agree: error }, { agree: t("contract.agree") }) : undefined }));
  }

  app.get("/family/offers/:id", async (request, reply) => {
    const params = IdParams.safeParse(request.params);
    if (!params.success) return notFound(request, reply);
    return offerPage(request, reply, params.data.id);
  });

  for (const decision of ["acceptance", "decline"] as const) {
    app.post<{ Body: Form }>(`/family/offers/:id/${decision}`, async (request, reply) => {
      const person = personOf(request, reply, "guardian");
      if (!person) return reply;
      const params = IdParams.safeParse(request.params);
      if (!params.success) return notFound(request, reply);
      const ctx = request.page;
      // Signing is the family's act after reading: without the agreement ticked, nothing is sent.
      if (decision === "acceptance" && request.body.agree !== "yes") return offerPage(request, reply, params.data.id, ctx.t("contract.agreeNeeded"));
      const answer = await services.call("enrollment", "POST", `/offers/${params.data.id}/${decision}`, {
        ...asPerson(ctx, person.token),
        ...(decision === "acceptance" && { body: { method: "electronic" } }),
      });
      if (!answer.ok) return sendPage(reply.code(answer.status === 404 ? 404 : 409), messagePage(ctx, ctx.t("child.applications"), answer.problem.detail || answer.problem.title));
      const childId = z.uuid().safeParse(request.body.childId);
      return reply.redirect(childId.success ? `/family/children/${childId.data}?done=${decision === "acceptance" ? "enrolled" : ""}#applications` : "/family", 303);
    });
  }
}
