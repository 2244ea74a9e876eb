// A provider's programs from its office: a new program saved as a draft (seen only by the
// provider), its groups added, then published to the navigator or withdrawn (its groups close).
// The catalogue decides everything (the fields' rules, a certification for a financed program,
// an approved provider); the pages only carry the form there and its refusals back beside the
// fields, by the same dotted names the catalogue's problems use.
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { fieldErrorsOf, type Services } from "../api/client";
import type { Directory } from "../api/directory";
import { Directions, FundingKinds, type Group, type Program } from "../api/types";
import type { PageContext } from "../pages/context";
import { html, type Html } from "../pages/html";
import { csrfInput, errorSummary, field, layout, select } from "../pages/layout";
import { codeText, isTextKey, type TextKey } from "../pages/texts";
import { asPerson, notFoundPage as notFound, notice, personAndId, personOf, sendPage } from "./web";

type Person = NonNullable<PageContext["person"]>;

export interface ProgramPagesOptions {
  services: Services;
  directory: Directory;
}

type Form = Record<string, string | undefined>;

/** Weekly slots a group form offers; a row without a weekday is left out. */
const SLOT_ROWS = 3;


/**
 * A number as typed, or the text itself when it is none: the catalogue then refuses it, naming
 * the field and the rule in the person's language (the pages keep no second set of rules).
 */
function numberOr(value: string | undefined): number | string {
  const text = (value ?? "").trim().replace(",", ".");
  return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
}

/** "250" or "250,50" in major units to minor units; anything else as typed (refused by the catalogue). */
function minorUnits(value: string | undefined): number | string {
  const text = (value ?? "").trim().replace(/\s/g, "");
  const match = /^(\d{1,9})(?:[.,](\d{1,2}))?$/.exec(text);
  return match ? Number(match[1]) * 100 + Number((match[2] ?? "0").padEnd(2, "0")) : text;
}

function programBody(form: Form, currency: string): Record<string, unknown> {
  const text = (name: string) => (form[name] ?? "").trim();
  const certified = text("certification.number") || text("certification.date") || text("certification.expiry");
  return {
    title: text("title"),
    description: text("description"),
    direction: text("direction"),
    ageRange: { min: numberOr(form["ageRange.min"]), max: numberOr(form["ageRange.max"]) },
    totalHours: numberOr(form.totalHours),
    weeklyHours: numberOr(form.weeklyHours),
    price: { amount: minorUnits(form["price.amount"]), currency },
    fundingKind: text("fundingKind"),
    certification: certified ? { number: text("certification.number"), date: text("certification.date"), expiry: text("certification.expiry") } : null,
    address: { text: text("address.text"), latitude: numberOr(form["address.latitude"]), longitude: numberOr(form["address.longitude"]) },
    teachers: [{ publicName: text("teachers.0.publicName"), qualification: text("teachers.0.qualification") }],
  };
}

/** The group form's filled rows, renumbered from 0 so the catalogue's `schedule.slots.N` names the row shown N-th. */
function slotsOf(form: Form): { weekday: string; start: string; end: string }[] {
  const rows = [];
  for (let i = 0; i < SLOT_ROWS; i++) {
    const weekday = (form[`schedule.slots.${i}.weekday`] ?? "").trim();
    if (weekday) rows.push({ weekday, start: (form[`schedule.slots.${i}.start`] ?? "").trim(), end: (form[`schedule.slots.${i}.end`] ?? "").trim() });
  }
  return rows;
}

function compactedSlots(form: Form): Form {
  const compact: Form = { ...form };
  for (let i = 0; i < SLOT_ROWS; i++) for (const part of ["weekday", "start", "end"]) delete compact[`schedule.slots.${i}.${part}`];
  slotsOf(form).forEach((slot, i) => {
    compact[`schedule.slots.${i}.weekday`] = slot.weekday;
    compact[`schedule.slots.${i}.start`] = slot.start;
    compact[`schedule.slots.${i}.end`] = slot.end;
  });
  return compact;
}

function programLabels(ctx: PageContext, currency: string): Record<string, string> {
  const { t } = ctx;
  return {
    title: t("edit.title"),
    description: t("edit.description"),
    direction: t("search.direction"),
    ageRange: t("search.age"),
    "ageRange.min": t("edit.ageMin"),
    "ageRange.max": t("edit.ageMax"),
    totalHours: t("edit.totalHours"),
    weeklyHours: t("edit.weeklyHours"),
    "price.amount": t("edit.price", { currency }),
    fundingKind: t("search.fundingKind"),
    certification: t("edit.certification"),
    "certification.number": t("edit.certNumber"),
    "certification.date": t("edit.certDate"),
    "certification.expiry": t("edit.certExpiry"),
    "address.text": t("edit.addressText"),
    "address.latitude": t("edit.latitude"),
    "address.longitude": t("edit.longitude"),
    teachers: t("edit.teacher"),
    "teachers.0.publicName": t("edit.teacherName"),
    "teachers.0.qualification": t("edit.teacherQualification"),
  };
}

function programForm(ctx: PageContext, form: Form, errors: Record<string, string>, currency: string): Html {
  const { t } = ctx;
  const labels = programLabels(ctx, currency);
  const input = (name: string, extra: Partial<Parameters<typeof field>[0]> = {}) =>
    field({ name, label: labels[name] ?? name, value: form[name], error: errors[name], ...extra });
  // An error of a whole object (the age range inverted, the certification) shows at its first field.
  const ageError = errors["ageRange.min"] ?? errors.ageRange;
  const certError = errors["certification.number"] ?? errors.certification;
  return html`${errorSummary(ctx, errors, labels)}
<form method="post" action="/provider/programs" novalidate>
  ${csrfInput(ctx)}
  <input type="hidden" name="idempotencyKey" value="${randomUUID()}">
  ${input("title", { required: true })}
  ${input("description")}
  ${select({ name: "direction", label: labels.direction!, value: form.direction, error: errors.direction, options: Directions.map((d) => ({ value: d, label: codeText(ctx.t, "direction", d) })) })}
  <div class="row">
    ${field({ name: "ageRange.min", label: labels["ageRange.min"]!, value: form["ageRange.min"], error: ageError, type: "number", inputmode: "numeric", min: 5, max: 17 })}
    ${input("ageRange.max", { type: "number", inputmode: "numeric", min: 5, max: 17 })}
    ${input("totalHours", { type: "number", inputmode: "numeric", min: 1 })}
    ${input("weeklyHours", { type: "number", inputmode: "numeric", min: 1 })}
  </div>
  ${select({ name: "fundingKind", label: labels.fundingKind!, value: form.fundingKind, error: errors.fundingKind, options: FundingKinds.map((f) => ({ value: f, label: codeText(ctx.t, "funding", f) })) })}
  ${input("price.amount", { inputmode: "decimal", hint: t("edit.priceHint") })}
  <fieldset><legend>${t("edit.certification")}</legend>
    ${field({ name: "certification.number", label: labels["certification.number"]!, value: form["certification.number"], error: certError })}
    <div class="row">${input("certification.date", { type: "date" })}${input("certification.expiry", { type: "date" })}</div>
  </fieldset>
  ${input("address.text", { required: true })}
  <div class="row">${input("address.latitude", { inputmode: "decimal" })}${input("address.longitude", { inputmode: "decimal" })}</div>
  <fieldset><legend>${t("edit.teacher")}</legend>
    ${field({ name: "teachers.0.publicName", label: labels["teachers.0.publicName"]!, value: form["teachers.0.publicName"], error: errors["teachers.0.publicName"] ?? errors.teachers })}
    ${input("teachers.0.qualification")}
  </fieldset>
  <button type="submit">${t("edit.save")}</button>
</form>`;
}

function groupLabels(ctx: PageContext): Record<string, string> {
  const { t } = ctx;
  const labels: Record<string, string> = { capacity: t("edit.capacity"), startsOn: t("edit.startsOn"), endsOn: t("edit.endsOn"), "schedule.slots": t("edit.slots") };
  for (let i = 0; i < SLOT_ROWS; i++) {
    labels[`schedule.slots.${i}.weekday`] = `${t("edit.slot", { n: i + 1 })}: ${t("edit.weekday")}`;
    labels[`schedule.slots.${i}.start`] = `${t("edit.slot", { n: i + 1 })}: ${t("edit.start")}`;
    labels[`schedule.slots.${i}.end`] = `${t("edit.slot", { n: i + 1 })}: ${t("edit.end")}`;
  }
  return labels;
}

function groupForm(ctx: PageContext, programId: string, form: Form, errors: Record<string, string>): Html {
  const { t, format } = ctx;
  const labels = groupLabels(ctx);
  const weekdays = [{ value: "", label: t("edit.noDay") }, ...[1, 2, 3, 4, 5, 6, 7].map((d) => ({ value: String(d), label: format.weekday(d) }))];
  const rows = Array.from({ length: SLOT_ROWS }, (_, i) => {
    const name = (part: string) => `schedule.slots.${i}.${part}`;
    return html`<fieldset class="slot"><legend>${t("edit.slot", { n: i + 1 })}</legend><div class="row">
    ${select({ name: name("weekday"), label: t("edit.weekday"), value: form[name("weekday")], error: errors[name("weekday")] ?? (i === 0 ? errors["schedule.slots"] : undefined), options: weekdays })}
    ${field({ name: name("start"), label: t("edit.start"), value: form[name("start")], error: errors[name("start")] ?? errors[`schedule.slots.${i}`], type: "time" })}
    ${field({ name: name("end"), label: t("edit.end"), value: form[name("end")], error: errors[name("end")], type: "time" })}
  </div></fieldset>`;
  });
  return html`${errorSummary(ctx, errors, labels)}
<form method="post" action="/provider/programs/${programId}/groups" novalidate>
  ${csrfInput(ctx)}
  <input type="hidden" name="idempotencyKey" value="${randomUUID()}">
  ${field({ name: "capacity", label: labels.capacity!, value: form.capacity, error: errors.capacity, type: "number", inputmode: "numeric", min: 1, required: true })}
  <p class="hint">${t("edit.slotsHint")}</p>
  ${rows}
  <div class="row">
    ${field({ name: "startsOn", label: labels.startsOn!, value: form.startsOn, error: errors.startsOn, type: "date", required: true })}
    ${field({ name: "endsOn", label: labels.endsOn!, value: form.endsOn, error: errors.endsOn, type: "date", required: true })}
  </div>
  <button type="submit">${t("edit.addGroup")}</button>
</form>`;
}

export function programPages(app: FastifyInstance, options: ProgramPagesOptions): void {
  const { services, directory } = options;
  const currencyOf = async (person: Person) => (await directory.municipality(person.actor.municipalityId ?? ""))?.currency ?? "RUB";

  async function newProgramPage(request: FastifyRequest, reply: FastifyReply, form: Form, errors: Record<string, string>): Promise<FastifyReply> {
    const person = personOf(request, reply, "provider");
    if (!person) return reply;
    const ctx = request.page;
    const { t } = ctx;
    const currency = await currencyOf(person);
    const body = html`<h1>${t("edit.newProgram")}</h1><p>${t("edit.intro")}</p>${programForm(ctx, form, errors, currency)}`;
    return sendPage(reply.code(Object.keys(errors).length > 0 ? 400 : 200), layout(ctx, { title: t("edit.newProgram"), body }));
  }

  app.get("/provider/programs/new", (request, reply) => newProgramPage(request, reply, { direction: "technical", fundingKind: "financed" }, {}));

  app.post<{ Body: Form }>("/provider/programs", async (request, reply) => {
    const person = personOf(request, reply, "provider");
    if (!person) return reply;
    const ctx = request.page;
    const form = request.body;
    const answer = await services.call<Program>("catalogue", "POST", "/programs", {
      ...asPerson(ctx, person.token),
      ...(form.idempotencyKey && { idempotencyKey: form.idempotencyKey }),
      body: programBody(form, await currencyOf(person)),
    });
    if (!answer.ok) return newProgramPage(request, reply, form, fieldErrorsOf(answer.problem));
    return reply.redirect(`/provider/programs/${answer.body.id}?done=saved`, 303);
  });

  /** The provider's own program with its groups, the group form and the publish / withdraw buttons. */
  async function programPage(request: FastifyRequest, reply: FastifyReply, state: { group?: Form; groupErrors?: Record<string, string>; error?: string; done?: string } = {}): Promise<FastifyReply> {
    const found = personAndId(request, reply, "provider");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const { t, format } = ctx;
    const call = asPerson(ctx, person.token);
    const [program, groups] = await Promise.all([
      services.call<Program>("catalogue", "GET", `/programs/${id}`, call),
      services.call<Group[]>("catalogue", "GET", `/programs/${id}/groups`, call),
    ]);
    // Another provider's program, published or not, is not this office's to see here.
    if (!program.ok || program.body.providerId !== person.actor.providerId) return notFound(request, reply);
    const p = program.body;
    const list = groups.ok ? groups.body : [];
    const groupErrors = state.groupErrors ?? {};
    const body = html`<h1>${p.title}</h1>
${state.error ? html`<div class="error-summary" role="alert" tabindex="-1"><h2>${t("form.errors")}</h2><p>${state.error}</p></div>` : ""}
<p><span class="tag">${codeText(ctx.t, "program.status", p.status)}</span>${p.status === "published" ? html` <a href="/programs/${p.id}">${t("edit.asFamiliesSee")}</a>` : ""}</p>
<dl class="summary">
  <dt>${t("search.direction")}</dt><dd>${codeText(ctx.t, "direction", p.direction)}</dd>
  <dt>${t("search.age")}</dt><dd>${t("program.ages", { min: p.ageRange.min, max: p.ageRange.max })}</dd>
  <dt>${t("search.fundingKind")}</dt><dd>${codeText(ctx.t, "funding", p.fundingKind)}</dd>
  <dt>${t("program.coverage")}</dt><dd>${t("program.price", { price: format.money(p.price.amount, p.price.currency) })}</dd>
  <dt>${t("program.address")}</dt><dd>${p.address.text}</dd>
  <dt>${t("program.teachers")}</dt><dd>${p.teachers.map((teacher) => `${teacher.publicName} — ${teacher.qualification}`).join("; ")}</dd>
</dl>
${p.status === "draft"
  ? html`<form method="post" action="/provider/programs/${p.id}/publication">${csrfInput(ctx)}<button type="submit">${t("edit.publish")}</button></form>`
  : p.status === "published"
    ? html`<details><summary>${t("edit.withdraw")}</summary><p>${t("edit.withdrawHint")}</p>
<form method="post" action="/provider/programs/${p.id}/withdrawal">${csrfInput(ctx)}<button type="submit" class="warning">${t("edit.withdraw")}</button></form></details>`
    : ""}
<h2>${t("program.groups")}</h2>
${list.length === 0 ? html`<p>${t("program.noGroups")}</p>` : ""}
<ul class="cards">${list.map(
  (g, n) => html`<li class="card"><h3>${t("program.group", { n: n + 1 })}${g.status === "closed" ? html` <span class="tag">${t("edit.groupClosed")}</span>` : ""}</h3>
  <p class="meta">${g.schedule.slots.map((s) => `${format.weekday(s.weekday)} ${s.start}–${s.end}`).join(", ")}</p>
  <p class="meta">${t("program.period", { from: format.date(g.startsOn), to: format.date(g.endsOn) })} · ${t("program.freeSeats", { count: g.freeSeats, capacity: g.capacity })}</p>
  <p><a href="/provider/groups/${g.id}/lessons">${t("attendance.open")}</a> · <a href="/provider/groups/${g.id}/roster">${t("roster.title")}</a></p></li>`,
)}</ul>
${p.status === "withdrawn" ? "" : html`<h2 id="new-group">${t("edit.addGroup")}</h2>${groupForm(ctx, p.id, state.group ?? {}, groupErrors)}`}`;
    const done = state.done && isTextKey(`edit.${state.done}`) ? notice(t(`edit.${state.done}` as TextKey)) : undefined;
    return sendPage(reply.code(state.error || Object.keys(groupErrors).length > 0 ? 400 : 200), layout(ctx, { title: p.title, body, notice: done }));
  }

  app.get<{ Querystring: { done?: string } }>("/provider/programs/:id", (request, reply) => programPage(request, reply, { done: request.query.done }));

  app.post<{ Body: Form }>("/provider/programs/:id/groups", async (request, reply) => {
    const found = personAndId(request, reply, "provider");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const form = compactedSlots(request.body);
    const timeZone = (await directory.municipality(person.actor.municipalityId ?? ""))?.timeZone ?? "UTC";
    const answer = await services.call<Group>("catalogue", "POST", `/programs/${id}/groups`, {
      ...asPerson(ctx, person.token),
      ...(form.idempotencyKey && { idempotencyKey: form.idempotencyKey }),
      body: {
        capacity: numberOr(form.capacity),
        schedule: { timeZone, slots: slotsOf(form).map((s) => ({ weekday: numberOr(s.weekday), start: s.start, end: s.end })) },
        startsOn: (form.startsOn ?? "").trim(),
        endsOn: (form.endsOn ?? "").trim(),
      },
    });
    if (!answer.ok) {
      if (answer.status === 403 || answer.status === 404) return notFound(request, reply);
      return programPage(request, reply, { group: form, groupErrors: fieldErrorsOf(answer.problem) });
    }
    return reply.redirect(`/provider/programs/${id}?done=groupAdded`, 303);
  });

  for (const [action, done] of [["publication", "published"], ["withdrawal", "withdrawn"]] as const) {
    app.post(`/provider/programs/:id/${action}`, async (request, reply) => {
      const found = personAndId(request, reply, "provider");
      if (!found) return reply;
      const { person, id } = found;
      const ctx = request.page;
      const answer = await services.call<Program>("catalogue", "POST", `/programs/${id}/${action}`, asPerson(ctx, person.token));
      if (!answer.ok) {
        if (answer.status === 403 || answer.status === 404) return notFound(request, reply);
        return programPage(request, reply, { error: answer.problem.detail || answer.problem.title });
      }
      return reply.redirect(`/provider/programs/${id}?done=${done}`, 303);
    });
  }
}
