// The navigator: search and the program's page, for everyone (no sign-in); a signed-in family
// also gets the form to apply to a group from the program's page.
import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { fieldErrorsOf, type Services } from "../api/client";
import type { Directory } from "../api/directory";
import { Directions, FundingKinds, type Child, type Group, type Program, type Reviews, type SearchAnswer, type SearchItem } from "../api/types";
import type { PageContext } from "../pages/context";
import { html, type Html } from "../pages/html";
import { csrfInput, errorSummary, field, fieldId, layout, select } from "../pages/layout";
import { codeText } from "../pages/texts";
import { asPerson, notFoundPage, notice, sendPage } from "./web";

export interface NavigatorOptions {
  services: Services;
  directory: Directory;
}

/** The filters the catalogue's /search takes, as the form names them. */
const FILTERS = ["municipalityId", "q", "direction", "age", "fundingKind", "weekday", "from", "to", "freeSeats", "lat", "lon", "radiusKm", "cursor"] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

const IdParams = z.object({ id: z.uuid() });

const directionName = (ctx: PageContext, code: string) => codeText(ctx.t, "direction", code);
const fundingName = (ctx: PageContext, code: string) => codeText(ctx.t, "funding", code);

export function certificationBadge(ctx: PageContext, certification: Program["certification"], today: string): Html {
  if (!certification) return html`<span class="tag">${ctx.t("program.notCertified")}</span>`;
  const expiry = ctx.format.date(certification.expiry);
  return certification.expiry < today
    ? html`<span class="badge expired">${ctx.t("program.certificationExpired", { expiry })}</span>`
    : html`<span class="badge">${ctx.t("program.certified", { number: certification.number, expiry })}</span>`;
}

function searchForm(ctx: PageContext, filters: Filters, municipalities: { id: string; name: string }[], errors: Record<string, string>, moving: string | undefined): Html {
  const { t } = ctx;
  const labels: Record<string, string> = {
    municipalityId: t("search.municipality"), q: t("search.q"), direction: t("search.direction"), age: t("search.age"),
    fundingKind: t("search.fundingKind"), weekday: t("search.weekday"), from: t("search.from"), to: t("search.to"),
    lat: t("search.lat"), lon: t("search.lon"), radiusKm: t("search.radius"), "": t("search.filters"),
  };
  return html`${errorSummary(ctx, errors, labels)}
<form class="filters" method="get" action="/" role="search" novalidate aria-label="${t("search.filters")}">
  ${moving ? html`<input type="hidden" name="moving" value="${moving}">` : ""}
  <div class="row">
    ${select({ name: "municipalityId", label: t("search.municipality"), value: filters.municipalityId, error: errors.municipalityId,
      options: [{ value: "", label: t("search.anyMunicipality") }, ...municipalities.map((m) => ({ value: m.id, label: m.name }))] })}
    ${field({ name: "q", label: t("search.q"), value: filters.q, error: errors.q })}
    ${select({ name: "direction", label: t("search.direction"), value: filters.direction, error: errors.direction,
      options: [{ value: "", label: t("search.any") }, ...Directions.map((d) => ({ value: d, label: directionName(ctx, d) }))] })}
    ${field({ name: "age", label: t("search.age"), value: filters.age, error: errors.age, type: "number", inputmode: "numeric", min: 5, max: 17 })}
  </div>
  <details${filters.fundingKind || filters.weekday || filters.from || filters.to || filters.freeSeats ? html` open` : ""}>
  <summary>${t("search.more")}</summary>
  <div class="row">
    ${select({ name: "fundingKind", label: t("search.fundingKind"), value: filters.fundingKind, error: errors.fundingKind,
      options: [{ value: "", label: t("search.anyFunding") }, ...FundingKinds.map((f) => ({ value: f, label: fundingName(ctx, f) }))] })}
    ${select({ name: "weekday", label: t("search.weekday"), value: filters.weekday, error: errors.weekday,
      options: [{ value: "", label: t("search.anyDay") }, ...[1, 2, 3, 4, 5, 6, 7].map((d) => ({ value: String(d), label: ctx.format.weekday(d) }))] })}
    ${field({ name: "from", label: t("search.from"), value: filters.from, error: errors.from, type: "time" })}
    ${field({ name: "to", label: t("search.to"), value: filters.to, error: errors.to, type: "time" })}
  </div>
  <div class="check"><input type="checkbox" id="${fieldId("freeSeats")}" name="freeSeats" value="true"${filters.freeSeats === "true" ? html` checked` : ""}><label for="${fieldId("freeSeats")}">${t("search.freeSeats")}</label></div>
  </details>
  <details${filters.lat || filters.lon || filters.radiusKm ? html` open` : ""}>
    <summary>${t("search.near")}</summary>
    <p class="hint">${t("search.nearHint")}</p>
    <div class="row">
      ${field({ name: "lat", label: t("search.lat"), value: filters.lat, error: errors.lat, inputmode: "decimal" })}
      ${field({ name: "lon", label: t("search.lon"), value: filters.lon, error: errors.lon, inputmode: "decimal" })}
      ${field({ name: "radiusKm", label: t("search.radius"), value: filters.radiusKm, error: errors.radiusKm, inputmode: "decimal" })}
    </div>
  </details>
  <button type="submit">${t("search.submit")}</button>
</form>`;
}

function resultCard(ctx: PageContext, item: SearchItem, today: string, moving: string | undefined): Html {
  const { t, format } = ctx;
  return html`<li class="card">
  <h3><a href="/programs/${item.id}${moving ? `?moving=${moving}` : ""}">${item.title}</a></h3>
  <p class="meta">${item.provider.name} · ${item.address.text}</p>
  <p class="meta"><span class="tag">${directionName(ctx, item.direction)}</span><span class="tag">${fundingName(ctx, item.fundingKind)}</span>
    ${t("program.ages", { min: item.ageRange.min, max: item.ageRange.max })}</p>
  <p class="meta">${item.fundingKind === "free" ? t("program.free") : t("program.price", { price: format.money(item.price.amount, item.price.currency) })}
    · ${t("search.seats", { count: item.freeSeats })}</p>
  ${item.certificateCoverage ? html`<p class="meta">${item.certificateCoverage.explanation[ctx.language]}</p>` : ""}
  <p class="meta">${certificationBadge(ctx, item.certification, today)}
    ${item.rating.average === null ? "" : html` · ${t("program.rating", { average: item.rating.average.toFixed(1), count: item.rating.count })}`}</p>
</li>`;
}

export function navigatorRoutes(app: FastifyInstance, options: NavigatorOptions, clock: () => Date): void {
  const { services, directory } = options;

  app.get<{ Querystring: Record<string, string | undefined> }>("/", async (request, reply) => {
    const ctx = request.page;
    const { t } = ctx;
    const filters: Filters = {};
    for (const key of FILTERS) {
      const value = request.query[key]?.trim();
      if (value) filters[key] = value;
    }
    // A family moving a child to another group searches as anyone does; the choice is carried to the program's page.
    const moving = movingOf(ctx, request.query.moving);
    const municipalities = await directory.municipalities();
    const answer = await services.call<SearchAnswer>("catalogue", "GET", "/search", {
      language: ctx.language,
      requestId: ctx.requestId,
      query: { ...filters, limit: 20 },
    });
    const today = clock().toISOString().slice(0, 10);
    const errors = answer.ok ? {} : fieldErrorsOf(answer.problem);
    let results: Html = html``;
    if (answer.ok) {
      const { items, total, nextCursor, facets } = answer.body;
      const next = nextCursor ? new URLSearchParams({ ...filters, cursor: nextCursor, ...(moving && { moving }) }).toString() : undefined;
      results = html`<section aria-labelledby="results-title">
  <h2 id="results-title">${t("search.results")}</h2>
  <p>${t("search.found", { count: total })}</p>
  ${items.length === 0 ? html`<p>${t("search.none")}</p>` : html`<ul class="cards">${items.map((item) => resultCard(ctx, item, today, moving))}</ul>`}
  ${next ? html`<p><a href="/?${next}" rel="next">${t("search.next")}</a></p>` : ""}
  <details><summary>${t("search.facets")}</summary><ul>${Directions.map((d) => html`<li>${directionName(ctx, d)}: ${facets.direction[d] ?? 0}</li>`)}</ul></details>
</section>`;
    }
    return sendPage(
      reply.code(answer.ok ? 200 : 400),
      layout(ctx, {
        title: t("search.title"),
        body: html`<h1>${t("search.title")}</h1><p>${t("search.intro")}</p>${searchForm(ctx, filters, municipalities, errors, moving)}${results}`,
        notice: moving ? notice(t("transfer.choose")) : undefined,
      }),
    );
  });

  app.get<{ Querystring: { moving?: string } }>("/programs/:id", async (request, reply) => {
    const ctx = request.page;
    const { t, format, person } = ctx;
    const params = IdParams.safeParse(request.params);
    if (!params.success) return notFoundPage(request, reply);
    const { id } = params.data;
    const call = asPerson(ctx, person?.token);
    const [program, groups, reviews] = await Promise.all([
      services.call<Program>("catalogue", "GET", `/programs/${id}`, call),
      services.call<Group[]>("catalogue", "GET", `/programs/${id}/groups`, call),
      services.call<Reviews>("catalogue", "GET", `/programs/${id}/reviews`, call),
    ]);
    if (!program.ok) return notFoundPage(request, reply);
    const p = program.body;
    const children =
      person?.actor.role === "guardian" && person.actor.guardianId
        ? await services.call<Child[]>("registry", "GET", `/guardians/${person.actor.guardianId}/children`, call)
        : undefined;
    const today = clock().toISOString().slice(0, 10);
    const municipality = await directory.municipality(p.municipalityId);
    const openGroups = groups.ok ? groups.body.filter((g) => g.status === "open") : [];
    const moving = movingOf(ctx, request.query.moving);
    const applyForm = (group: Group): Html => {
      if (!group.acceptingApplications) return html`<p>${t("program.notAccepting")}</p>`;
      if (!person) return html`<p><a href="/sign-in?back=${encodeURIComponent(`/programs/${id}`)}">${t("program.signInToApply")}</a></p>`;
      if (person.actor.role !== "guardian") return html``;
      // Moving: the enrollment's child and certificate go with it, so the form names only the group.
      if (moving)
        return html`<form method="post" action="/family/enrollments/${moving}/transfer" class="actions">
  ${csrfInput(ctx)}
  <input type="hidden" name="groupId" value="${group.id}">
  <button type="submit">${t("transfer.here")}</button>
</form>`;
      const kids = children?.ok ? children.body : [];
      if (kids.length === 0) return html`<p><a href="/family/children/new">${t("program.addChildFirst")}</a></p>`;
      return html`<form method="post" action="/family/applications" class="actions">
  ${csrfInput(ctx)}
  <input type="hidden" name="groupId" value="${group.id}">
  <input type="hidden" name="idempotencyKey" value="${randomUUID()}">
  ${select({ name: "childId", label: t("program.child"), options: kids.map((c) => ({ value: c.id, label: `${c.firstName} ${c.lastName}` })) })}
  <button type="submit">${t("program.apply")}</button>
</form>`;
    };
    const body = html`<h1>${p.title}</h1>
<p>${certificationBadge(ctx, p.certification, today)}</p>
<dl class="summary">
  <dt>${t("program.provider")}</dt><dd>${p.providerName}</dd>
  <dt>${t("program.address")}</dt><dd>${p.address.text}${municipality ? html`, ${municipality.name}` : ""}</dd>
  <dt>${t("search.direction")}</dt><dd>${directionName(ctx, p.direction)}</dd>
  <dt>${t("search.age")}</dt><dd>${t("program.ages", { min: p.ageRange.min, max: p.ageRange.max })}</dd>
  <dt>${t("search.fundingKind")}</dt><dd>${fundingName(ctx, p.fundingKind)}</dd>
  <dt>${t("program.coverage")}</dt><dd>${p.fundingKind === "free" ? t("program.free") : t("program.price", { price: format.money(p.price.amount, p.price.currency) })}${
    p.certificateCoverage
      ? html`<br>${t("program.certificatePays", { amount: format.money(p.certificateCoverage.certificatePaysPerHour, p.price.currency) })}${
          p.certificateCoverage.familyCoPaymentPerHour === null ? "" : html`<br>${t("program.familyAdds", { amount: format.money(p.certificateCoverage.familyCoPaymentPerHour, p.price.currency) })}`
        }<br><span class="hint">${p.certificateCoverage.explanation[ctx.language]}</span>`
      : ""
  }</dd>
  <dt>${t("program.groups")}</dt><dd>${t("program.hours", { weekly: p.weeklyHours, total: p.totalHours })}</dd>
</dl>
<p>${p.description}</p>
${p.teachers.length > 0 ? html`<h2>${t("program.teachers")}</h2><ul>${p.teachers.map((teacher) => html`<li>${teacher.publicName} — ${teacher.qualification}</li>`)}</ul>` : ""}
<h2>${t("program.groups")}</h2>
${openGroups.length === 0 ? html`<p>${t("program.noGroups")}</p>` : ""}
${openGroups.map(
  (group, index) => html`<section class="card" aria-labelledby="group-${group.id}">
  <h3 id="group-${group.id}">${t("program.group", { n: index + 1 })}</h3>
  <ul>${group.schedule.slots.map((slot) => html`<li>${format.weekday(slot.weekday)} ${slot.start}–${slot.end}</li>`)}</ul>
  <p class="meta">${t("program.period", { from: format.date(group.startsOn), to: format.date(group.endsOn) })}</p>
  <p class="meta">${t("program.freeSeats", { count: group.freeSeats, capacity: group.capacity })}</p>
  ${applyForm(group)}
</section>`,
)}
<h2>${t("program.reviews")}</h2>
${reviews.ok && reviews.body.average !== null ? html`<p>${t("program.rating", { average: reviews.body.average.toFixed(1), count: reviews.body.count })}</p>` : html`<p>${t("program.noRating")}</p>`}
${reviews.ok && reviews.body.items.length > 0
  ? html`<ul class="cards">${reviews.body.items.map((r) => html`<li class="card"><p class="meta">${"★".repeat(r.rating)}${"☆".repeat(5 - r.rating)} · ${format.date(r.createdAt)}</p><p>${r.text}</p></li>`)}</ul>`
  : html`<p>${t("program.noReviews")}</p>`}`;
    return sendPage(reply, layout(ctx, { title: p.title, body, notice: moving ? notice(t("transfer.choose")) : undefined }));
  });
}

/** The enrollment a signed-in family is moving from (`?moving=`), or nobody's: anyone else's address is an ordinary search. */
function movingOf(ctx: PageContext, value: string | undefined): string | undefined {
  if (ctx.person?.actor.role !== "guardian") return undefined;
  return z.uuid().safeParse(value).data;
}
