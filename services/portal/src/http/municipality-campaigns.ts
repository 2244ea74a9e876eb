// Allocation campaigns, as the municipality's education office runs them (issue #18): announce
// one over some open groups (enrollment commits the lottery seed at once and publishes its
// SHA-256), watch the families' choices arrive (counts only, never a child), then close and draw
// once the window is over, and see the seed and the input's digest published, with the checks a
// family makes on the public page (./campaigns.ts). Enrollment decides everything: when a draw
// is allowed (not while the window is open), which groups may join, how many choices.
import { createHash, randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { fieldErrorsOf, type Problem } from "../api/client";
import type { Group, Program } from "../api/types";
import type { PageContext } from "../pages/context";
import { html, type Html } from "../pages/html";
import { csrfInput, errorSummary, field, fieldId, layout } from "../pages/layout";
import type { TextKey } from "../pages/texts";
import type { Campaign } from "./campaigns";
import type { OfficialPagesOptions } from "./municipality";
import { asPerson, notFoundPage as notFound, notice, personAndId, personOf, sendPage } from "./web";

interface Tally {
  children: number;
  groups: { groupId: string; ranked: number; firstChoice: number }[];
}

type Form = Record<string, string | string[] | undefined>;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const one = (value: string | string[] | undefined): string => (Array.isArray(value) ? (value[0] ?? "") : (value ?? ""));
const all = (value: string | string[] | undefined): string[] => (Array.isArray(value) ? value : value ? [value] : []);

/** The wall clock of `zone` at `instant`, as a datetime-local input shows it (seconds included). */
export function localInputOf(instant: Date, zone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

/** The instant at which the wall clock of `zone` shows `text` (a datetime-local value), or undefined for no such time. */
export function instantOfLocal(text: string, zone: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  const guess = Date.UTC(year, month - 1, day, hour, minute, second);
  const asWall = new Date(guess);
  if (asWall.getUTCMonth() !== month - 1 || asWall.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
  const offset = (at: number) => Date.parse(`${localInputOf(new Date(at), zone)}Z`) - Math.floor(at / 1000) * 1000;
  // Two passes settle the zone's offset even across a change of it (as @kruzhok/time's instantAt).
  let instant = guess - offset(guess);
  instant = guess - offset(instant);
  return new Date(instant);
}

/** A labelled date-and-time input (to the second: a window may close within the minute), its hint and error beside it. */
function whenField(options: { name: string; label: string; value: string; error: string | undefined; hint: string }): Html {
  const id = fieldId(options.name);
  return html`<div class="field${options.error ? " has-error" : ""}">
  <label for="${id}">${options.label}</label>
  <p class="hint" id="${id}-hint">${options.hint}</p>
  ${options.error ? html`<p class="error" id="${id}-error">${options.error}</p>` : ""}
  <input id="${id}" name="${options.name}" type="datetime-local" step="1" value="${options.value}" aria-describedby="${id}-hint${options.error ? ` ${id}-error` : ""}"${options.error ? html` aria-invalid="true"` : ""}>
</div>`;
}

/** A service's field errors as this form names its fields: each of the campaign's groups is the one group list. */
function formErrorsOf(problem: Problem): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const [name, reason] of Object.entries(fieldErrorsOf(problem))) {
    const key = name.startsWith("groupIds") ? "groupIds" : name === "municipalityId" ? "" : name;
    errors[key] ??= reason;
  }
  return errors;
}

export function municipalityCampaignRoutes(app: FastifyInstance, options: OfficialPagesOptions): void {
  const { services, directory, clock } = options;

  const zoneOf = async (municipalityId: string | undefined) => (municipalityId ? (await directory.municipality(municipalityId))?.timeZone : undefined) ?? "UTC";

  /** "Program — Tue 15:00, Thu 15:00" of each group, as families know them. */
  function groupLabel(ctx: PageContext, group: Group, programTitle: string | undefined): string {
    const slots = group.schedule.slots.map((s) => `${ctx.format.weekday(s.weekday)} ${s.start}`).join(", ");
    return `${programTitle ?? ""} — ${slots}`;
  }

  async function groupNames(ctx: PageContext, token: string, groupIds: readonly string[]): Promise<Map<string, string>> {
    const call = asPerson(ctx, token);
    const groups = await Promise.all(groupIds.map((id) => services.call<Group>("catalogue", "GET", `/groups/${id}`, call)));
    const programIds = [...new Set(groups.flatMap((g) => (g.ok ? [g.body.programId] : [])))];
    const titles = new Map(
      (await Promise.all(programIds.map((id) => services.call<Program>("catalogue", "GET", `/programs/${id}`, call)))).flatMap((p) => (p.ok ? [[p.body.id, p.body.title] as const] : [])),
    );
    return new Map(groupIds.map((id, i) => {
      const g = groups[i]!;
      return [id, g.ok ? groupLabel(ctx, g.body, titles.get(g.body.programId)) : id] as const;
    }));
  }

  /**
   * The open groups a campaign may take, under their provider's name: the municipality's approved
   * providers, their published programs, and those programs' open groups.
   * REVIEW: one call per provider and per program; a municipality with hundreds of programs wants
   * catalogue to list a municipality's open groups in one call (not needed at the pilot's size).
   */
  async function candidateGroups(ctx: PageContext, token: string, municipalityId: string): Promise<{ provider: string; groups: { id: string; label: string }[] }[]> {
    const call = asPerson(ctx, token);
    const providers = await services.call<{ id: string; name: string }[]>("registry", "GET", `/municipalities/${municipalityId}/providers`, { ...call, query: { status: "approved" } });
    if (!providers.ok) return [];
    const perProvider = await Promise.all(
      providers.body.map(async (provider) => {
        const programs = await services.call<{ items: Program[] }>("catalogue", "GET", `/providers/${provider.id}/programs`, { ...call, query: { status: "published", limit: 200 } });
        if (!programs.ok) return { provider: provider.name, groups: [] };
        const groups = await Promise.all(
          programs.body.items.map(async (program) => {
            const answer = await services.call<Group[]>("catalogue", "GET", `/programs/${program.id}/groups`, call);
            return answer.ok ? answer.body.filter((g) => g.status === "open").map((g) => ({ id: g.id, label: groupLabel(ctx, g, program.title) })) : [];
          }),
        );
        return { provider: provider.name, groups: groups.flat() };
      }),
    );
    return perProvider.filter((p) => p.groups.length > 0).sort((a, b) => a.provider.localeCompare(b.provider, ctx.language));
  }

  const phaseText = (ctx: PageContext, c: Campaign) => ctx.t(`campaign.phase.${c.phase}` as TextKey);
  const windowText = (ctx: PageContext, c: Campaign, zone: string) =>
    ctx.t("municipality.campaigns.window", { from: ctx.format.instant(c.opensAt, zone), to: ctx.format.instant(c.closesAt, zone) });

  /** The list of the municipality's campaigns and the form to announce one. */
  async function campaignsPage(request: FastifyRequest, reply: FastifyReply, state: { form?: Form; errors?: Record<string, string> } = {}): Promise<FastifyReply> {
    const person = personOf(request, reply, "municipality");
    if (!person) return reply;
    const ctx = request.page;
    const { t } = ctx;
    const municipalityId = person.actor.municipalityId;
    if (!municipalityId) return notFound(request, reply);
    const zone = await zoneOf(municipalityId);
    const [campaigns, candidates] = await Promise.all([
      services.call<Campaign[]>("enrollment", "GET", "/campaigns", { ...asPerson(ctx, person.token), query: { municipalityId } }),
      candidateGroups(ctx, person.token, municipalityId),
    ]);
    const list = campaigns.ok ? campaigns.body : [];
    const errors = state.errors ?? {};
    const form = state.form ?? {};
    const now = clock();
    const chosen = new Set(all(form.groupIds));
    const labels = {
      "": t("municipality.campaigns.announce"),
      name: t("municipality.campaigns.name"),
      groupIds: t("municipality.campaigns.groups"),
      maxChoices: t("municipality.campaigns.maxChoices"),
      opensAt: t("municipality.campaigns.opensAt"),
      closesAt: t("municipality.campaigns.closesAt"),
    };
    const timeHint = t("municipality.campaigns.timeHint", { zone });
    const groupsId = fieldId("groupIds");
    const body = html`<h1>${t("municipality.campaigns")}</h1>
<p>${t("municipality.campaigns.intro")}</p>
<h2>${t("municipality.campaigns.list")}</h2>
${list.length === 0 ? html`<p>${t("municipality.campaigns.none")}</p>` : ""}
<ul class="cards">${list.map(
  (c) => html`<li class="card"><h3><a href="/municipality/campaigns/${c.id}">${c.name}</a></h3>
  <p><span class="tag">${phaseText(ctx, c)}</span> ${windowText(ctx, c, zone)}</p></li>`,
)}</ul>
<h2 id="announce">${t("municipality.campaigns.announce")}</h2>
${errorSummary(ctx, errors, labels)}
<form method="post" action="/municipality/campaigns" novalidate>
  ${csrfInput(ctx)}
  <input type="hidden" name="idempotencyKey" value="${randomUUID()}">
  ${field({ name: "name", label: labels.name, value: one(form.name), error: errors.name, hint: t("municipality.campaigns.nameHint") })}
  <fieldset id="${groupsId}" aria-describedby="${groupsId}-hint${errors.groupIds ? ` ${groupsId}-error` : ""}"><legend>${labels.groupIds}</legend>
    <p class="hint" id="${groupsId}-hint">${t("municipality.campaigns.groupsHint")}</p>
    ${errors.groupIds ? html`<p class="error" id="${groupsId}-error">${errors.groupIds}</p>` : ""}
    ${candidates.length === 0 ? html`<p>${t("municipality.campaigns.noGroups")}</p>` : ""}
    ${candidates.map(
      (p) => html`<p class="meta">${p.provider}</p>
    ${p.groups.map((g) => html`<div class="check"><input type="checkbox" id="group-${g.id}" name="groupIds" value="${g.id}"${chosen.has(g.id) ? html` checked` : ""}><label for="group-${g.id}">${g.label}</label></div>`)}`,
    )}
  </fieldset>
  ${field({ name: "maxChoices", label: labels.maxChoices, value: one(form.maxChoices) || "2", error: errors.maxChoices, type: "number", inputmode: "numeric", min: 1, max: 20, hint: t("municipality.campaigns.maxChoicesHint") })}
  ${whenField({ name: "opensAt", label: labels.opensAt, value: one(form.opensAt) || localInputOf(new Date(Math.floor(now.getTime() / 60_000) * 60_000), zone), error: errors.opensAt, hint: timeHint })}
  ${whenField({ name: "closesAt", label: labels.closesAt, value: one(form.closesAt) || localInputOf(new Date(Math.floor(now.getTime() / 60_000) * 60_000 + 14 * 86_400_000), zone), error: errors.closesAt, hint: timeHint })}
  <button type="submit">${t("municipality.campaigns.announce")}</button>
</form>
<p><a href="/municipality">${t("municipality.title")}</a></p>`;
    return sendPage(reply.code(Object.keys(errors).length > 0 ? 400 : 200), layout(ctx, { title: t("municipality.campaigns"), body }));
  }

  app.get("/municipality/campaigns", (request, reply) => campaignsPage(request, reply));

  app.post<{ Body: Form }>("/municipality/campaigns", async (request, reply) => {
    const person = personOf(request, reply, "municipality");
    if (!person) return reply;
    const ctx = request.page;
    const { t } = ctx;
    const form = request.body;
    const municipalityId = person.actor.municipalityId;
    if (!municipalityId) return notFound(request, reply);
    const zone = await zoneOf(municipalityId);
    // What the page itself can tell: a name, groups, a whole K, two times; enrollment judges the rest.
    const errors: Record<string, string> = {};
    const name = one(form.name).trim();
    if (!name) errors.name = t("municipality.campaigns.nameRequired");
    const groupIds = [...new Set(all(form.groupIds))];
    if (groupIds.length === 0) errors.groupIds = t("municipality.campaigns.groupsRequired");
    const maxChoices = Number(one(form.maxChoices));
    if (!/^\d{1,2}$/.test(one(form.maxChoices).trim()) || maxChoices < 1 || maxChoices > 20) errors.maxChoices = t("municipality.campaigns.maxChoicesInvalid");
    const opensAt = instantOfLocal(one(form.opensAt), zone);
    if (!opensAt) errors.opensAt = t("municipality.campaigns.timeInvalid");
    const closesAt = instantOfLocal(one(form.closesAt), zone);
    if (!closesAt) errors.closesAt = t("municipality.campaigns.timeInvalid");
    if (Object.keys(errors).length > 0 || !opensAt || !closesAt) return campaignsPage(request, reply, { form, errors });
    const key = one(form.idempotencyKey);
    const answer = await services.call<Campaign>("enrollment", "POST", "/campaigns", {
      ...asPerson(ctx, person.token),
      ...(key && { idempotencyKey: key }),
      body: { municipalityId, name, groupIds, maxChoices, opensAt: opensAt.toISOString(), closesAt: closesAt.toISOString() },
    });
    if (!answer.ok) return campaignsPage(request, reply, { form, errors: formErrorsOf(answer.problem) });
    return reply.redirect(`/municipality/campaigns/${answer.body.id}?done=announced`, 303);
  });

  /** The choices counted so far, a card per group (a table of long program names is wider than a phone): a fragment the page redraws while the window is open. */
  function tallyFragment(ctx: PageContext, tally: Tally | undefined, names: Map<string, string>): Html {
    const { t } = ctx;
    if (!tally) return html`<p>${t("campaign.notYet")}</p>`;
    return html`<p><strong>${t("municipality.campaign.children", { count: tally.children })}</strong></p>
<ul class="cards tally">${tally.groups.map(
  (g) => html`<li class="card"><h3>${names.get(g.groupId) ?? g.groupId}</h3>
  <dl class="summary"><dt>${t("municipality.campaign.ranked")}</dt><dd>${g.ranked}</dd><dt>${t("municipality.campaign.first")}</dt><dd>${g.firstChoice}</dd></dl></li>`,
)}</ul>`;
  }

  /** One campaign: its window, the choices arriving, the draw, and the protocol published. */
  async function campaignPage(request: FastifyRequest, reply: FastifyReply, state: { refusal?: string; done?: string } = {}): Promise<FastifyReply> {
    const found = personAndId(request, reply, "municipality");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const { t } = ctx;
    const call = asPerson(ctx, person.token);
    const campaign = await services.call<Campaign>("enrollment", "GET", `/campaigns/${id}`, call);
    // Another municipality's campaign is not this office's page (its public page is anyone's).
    if (!campaign.ok || campaign.body.municipalityId !== person.actor.municipalityId) return notFound(request, reply);
    const c = campaign.body;
    const frozen = c.inputDigest !== null;
    const [zone, names, tally, input] = await Promise.all([
      zoneOf(c.municipalityId),
      groupNames(ctx, person.token, c.groupIds),
      services.call<Tally>("enrollment", "GET", `/campaigns/${id}/tally`, call),
      frozen ? services.call<{ inputDigest: string; input: unknown }>("enrollment", "GET", `/campaigns/${id}/input`, call) : undefined,
    ]);
    const counts = tallyFragment(ctx, tally.ok ? tally.body : undefined, names);
    if (request.headers["x-fragment"] === "1") return sendPage(reply, counts);
    // The page's one form is the draw, and its refusal is a sentence of its own, not a field's.
    const refusal = state.refusal;
    const live = c.phase === "scheduled" || c.phase === "open";
    // The digest of the input as officials download it: it must be the one published at the close.
    const inputCheck = input?.ok ? (sha256(JSON.stringify(input.body.input)) === c.inputDigest ? t("municipality.campaign.inputMatches") : t("municipality.campaign.inputDiffers")) : undefined;
    const seedCheck = c.seed ? (sha256(c.seed) === c.seedCommitment ? t("campaign.seedMatches") : t("campaign.seedDiffers")) : undefined;
    const body = html`<h1>${c.name}</h1>
<p><span class="tag">${phaseText(ctx, c)}</span> ${t("campaign.window", { from: ctx.format.instant(c.opensAt, zone), to: ctx.format.instant(c.closesAt, zone) })}</p>
<p>${t("campaign.rules", { k: c.maxChoices })}</p>
${refusal ? html`<div class="error-summary" role="alert" tabindex="-1"><p>${refusal}</p></div>` : ""}
<h2>${t("municipality.campaign.choices")}</h2>
${live ? html`<p class="live">${t("municipality.campaign.live")}</p><div data-live="/municipality/campaigns/${c.id}" data-every="10" aria-live="polite">${counts}</div>` : counts}
${
  c.phase === "drawn"
    ? html`<h2>${t("municipality.campaign.result")}</h2>${c.result ? html`<p>${t("campaign.outcome", { children: c.result.children, placed: c.result.placed, unplaced: c.result.unplaced })}</p>` : ""}`
    : html`<h2>${t("municipality.campaign.draw")}</h2>
<p>${t("municipality.campaign.drawHint", { to: ctx.format.instant(c.closesAt, zone) })}</p>
<form method="post" action="/municipality/campaigns/${c.id}/draw">
  ${csrfInput(ctx)}
  <button type="submit">${t("municipality.campaign.draw")}</button>
</form>`
}
<h2>${t("campaign.protocol")}</h2>
<dl class="summary proof">
  <dt>${t("municipality.campaign.algorithm")}</dt><dd><code>${c.algorithm}</code></dd>
  <dt>${t("campaign.commitment")}</dt><dd><code>${c.seedCommitment}</code></dd>
  <dt>${t("campaign.digest")}</dt><dd>${c.inputDigest ? html`<code>${c.inputDigest}</code>` : t("campaign.notYet")}</dd>
  <dt>${t("campaign.seed")}</dt><dd>${c.seed ? html`<code>${c.seed}</code>` : t("campaign.notYet")}</dd>
</dl>
${inputCheck ? html`<p class="notice">${inputCheck}</p>` : ""}
${seedCheck ? html`<p class="notice">${seedCheck}</p>` : ""}
<p><a href="/campaigns/${c.id}">${t("municipality.campaign.public")}</a></p>
<p><a href="/municipality/campaigns">${t("municipality.campaign.back")}</a></p>`;
    const done = state.done === "announced" ? t("municipality.campaigns.announced") : state.done === "drawn" ? t("municipality.campaign.drawn") : undefined;
    return sendPage(reply.code(refusal ? 409 : 200), layout(ctx, { title: c.name, body, notice: done ? notice(done) : undefined }));
  }

  app.get<{ Querystring: { done?: string } }>("/municipality/campaigns/:id", (request, reply) => campaignPage(request, reply, { done: request.query.done }));

  app.post("/municipality/campaigns/:id/draw", async (request, reply) => {
    const found = personAndId(request, reply, "municipality");
    if (!found) return reply;
    const { person, id } = found;
    const ctx = request.page;
    const answer = await services.call<Campaign>("enrollment", "POST", `/campaigns/${id}/draw`, asPerson(ctx, person.token));
    if (answer.ok) return reply.redirect(`/municipality/campaigns/${id}?done=drawn`, 303);
    if (answer.status === 403 || answer.status === 404) return notFound(request, reply);
    if (answer.problem.code === "ENROLLMENT.CAMPAIGN_NOT_CLOSED") {
      // The window is still open: said in the official's words, with the time it closes.
      const campaign = await services.call<Campaign>("enrollment", "GET", `/campaigns/${id}`, asPerson(ctx, person.token));
      const zone = await zoneOf(person.actor.municipalityId);
      const to = campaign.ok ? ctx.format.instant(campaign.body.closesAt, zone) : "";
      return campaignPage(request, reply, { refusal: ctx.t("municipality.campaign.notClosed", { to }) });
    }
    return campaignPage(request, reply, { refusal: answer.problem.detail || answer.problem.title });
  });
}
