// Allocation campaigns from the pages. The campaign is public (anyone checks the protocol: the
// seed's commitment published at the announcement, the input's digest at the close, the seed
// after the draw); a family ranks its choices for a child while the window is open and, after
// the draw, reads a sentence for each choice and checks its child's lottery number itself.
import { createHash } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { fieldErrorsOf, type Services } from "../api/client";
import type { Directory } from "../api/directory";
import type { Child, Group, Program } from "../api/types";
import type { PageContext } from "../pages/context";
import { html, type Html } from "../pages/html";
import { csrfInput, errorSummary, layout, select } from "../pages/layout";
import type { TextKey } from "../pages/texts";
import { asPerson, notFoundPage as notFound, notice, personAndParams, sendPage } from "./web";

export interface CampaignPagesOptions {
  services: Services;
  directory: Directory;
}

type Phase = "scheduled" | "open" | "closing" | "closed" | "drawn";

export interface Campaign {
  id: string;
  municipalityId: string;
  name: string;
  groupIds: string[];
  maxChoices: number;
  opensAt: string;
  closesAt: string;
  phase: Phase;
  algorithm: string;
  seedCommitment: string;
  inputDigest: string | null;
  seed: string | null;
  result: { children: number; placed: number; unplaced: number; rounds: number } | null;
}

interface FamilyResult {
  phase: Phase;
  choices: string[] | null;
  result: {
    groupId: string | null;
    lotteryNumber: string;
    lotteryRank: number;
    summary: string;
    choices: { groupId: string; choiceRank: number; outcome: string; sentence: string }[];
  } | null;
}

const IdParams = z.object({ id: z.uuid() });
const ChildParams = z.object({ id: z.uuid(), childId: z.uuid() });

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The campaigns of a municipality a family may take part in or read the result of: a block of the child's page. */
export async function childCampaigns(services: Services, ctx: PageContext, municipalityId: string, childId: string): Promise<Html> {
  const answer = await services.call<Campaign[]>("enrollment", "GET", "/campaigns", { language: ctx.language, requestId: ctx.requestId, query: { municipalityId } });
  const campaigns = answer.ok ? answer.body.slice(0, 5) : [];
  if (campaigns.length === 0) return html``;
  const { t } = ctx;
  return html`<h2 id="campaigns">${t("campaign.list")}</h2>
<ul>${campaigns.map((c) => html`<li><a href="/family/campaigns/${c.id}/children/${childId}">${c.name}</a> — ${t(`campaign.phase.${c.phase}` as TextKey)}</li>`)}</ul>`;
}

export function campaignPages(app: FastifyInstance, options: CampaignPagesOptions): void {
  const { services, directory } = options;

  /** "Program — Mon 15:00, Thu 15:00" for each group of the campaign, as families know them. */
  async function groupNames(ctx: PageContext, groupIds: readonly string[]): Promise<Map<string, string>> {
    const call = { language: ctx.language, requestId: ctx.requestId };
    const groups = await Promise.all(groupIds.map((id) => services.call<Group>("catalogue", "GET", `/groups/${id}`, call)));
    const programIds = [...new Set(groups.flatMap((g) => (g.ok ? [g.body.programId] : [])))];
    const programs = new Map(
      (await Promise.all(programIds.map((id) => services.call<Program>("catalogue", "GET", `/programs/${id}`, call)))).flatMap((p) => (p.ok ? [[p.body.id, p.body.title] as const] : [])),
    );
    return new Map(
      groups.flatMap((g, i) => {
        if (!g.ok) return [[groupIds[i]!, groupIds[i]!] as const];
        const slots = g.body.schedule.slots.map((s) => `${ctx.format.weekday(s.weekday)} ${s.start}`).join(", ");
        return [[g.body.id, `${programs.get(g.body.programId) ?? ""} — ${slots}`] as const];
      }),
    );
  }

  /** The protocol as anyone checks it: the commitment, the digest, the seed and whether it matches. */
  function protocol(ctx: PageContext, c: Campaign): Html {
    const { t } = ctx;
    return html`<h2>${t("campaign.protocol")}</h2>
<p>${t("campaign.protocolIntro")}</p>
<dl class="summary proof">
  <dt>${t("campaign.commitment")}</dt><dd><code>${c.seedCommitment}</code></dd>
  <dt>${t("campaign.digest")}</dt><dd>${c.inputDigest ? html`<code>${c.inputDigest}</code>` : t("campaign.notYet")}</dd>
  <dt>${t("campaign.seed")}</dt><dd>${c.seed ? html`<code>${c.seed}</code>` : t("campaign.notYet")}</dd>
</dl>
${c.seed ? html`<p class="notice">${sha256(c.seed) === c.seedCommitment ? t("campaign.seedMatches") : t("campaign.seedDiffers")}</p>` : ""}`;
  }

  function windowText(ctx: PageContext, c: Campaign, timeZone: string): string {
    return ctx.t("campaign.window", { from: ctx.format.instant(c.opensAt, timeZone), to: ctx.format.instant(c.closesAt, timeZone) });
  }

  app.get("/campaigns/:id", async (request, reply) => {
    const params = IdParams.safeParse(request.params);
    if (!params.success) return notFound(request, reply);
    const ctx = request.page;
    const { t } = ctx;
    const campaign = await services.call<Campaign>("enrollment", "GET", `/campaigns/${params.data.id}`, { language: ctx.language, requestId: ctx.requestId });
    if (!campaign.ok) return notFound(request, reply);
    const c = campaign.body;
    const [names, municipality] = await Promise.all([groupNames(ctx, c.groupIds), directory.municipality(c.municipalityId)]);
    const body = html`<h1>${c.name}</h1>
<p><span class="tag">${t(`campaign.phase.${c.phase}` as TextKey)}</span> ${windowText(ctx, c, municipality?.timeZone ?? "UTC")}</p>
<p>${t("campaign.rules", { k: c.maxChoices })}</p>
<h2>${t("campaign.groups")}</h2>
<ul>${c.groupIds.map((id) => html`<li>${names.get(id) ?? id}</li>`)}</ul>
${c.result ? html`<p>${t("campaign.outcome", { children: c.result.children, placed: c.result.placed, unplaced: c.result.unplaced })}</p>` : ""}
${protocol(ctx, c)}`;
    return sendPage(reply, layout(ctx, { title: c.name, body }));
  });

  /** The child's campaign page: the ranking form while the window is open, the result with its checks after the draw. */
  async function childPage(request: FastifyRequest, reply: FastifyReply, state: { form?: Record<string, string | undefined>; errors?: Record<string, string>; done?: string } = {}): Promise<FastifyReply> {
    const found = personAndParams(request, reply, ChildParams, "guardian");
    if (!found) return reply;
    const { person } = found;
    const { id, childId } = found.params;
    const ctx = request.page;
    const { t } = ctx;
    const call = asPerson(ctx, person.token);
    const [child, campaign, mine] = await Promise.all([
      services.call<Child>("registry", "GET", `/children/${childId}`, call),
      services.call<Campaign>("enrollment", "GET", `/campaigns/${id}`, call),
      services.call<FamilyResult>("enrollment", "GET", `/campaigns/${id}/children/${childId}`, call),
    ]);
    // Another family's child, or a campaign of another municipality: nothing to see here.
    if (!child.ok || !campaign.ok || !mine.ok || campaign.body.municipalityId !== child.body.municipalityId) return notFound(request, reply);
    const c = campaign.body;
    const [names, municipality] = await Promise.all([groupNames(ctx, c.groupIds), directory.municipality(c.municipalityId)]);
    const timeZone = municipality?.timeZone ?? "UTC";
    const name = `${child.body.firstName} ${child.body.lastName}`;
    const errors = state.errors ?? {};
    const chosen = mine.body.choices ?? [];
    const base = `/family/campaigns/${id}/children/${childId}`;
    let main: Html;
    if (mine.body.phase === "open") {
      const form = state.form ?? Object.fromEntries(chosen.map((g, i) => [`choice.${i}`, g]));
      const options = [{ value: "", label: t("campaign.noChoice") }, ...c.groupIds.map((g) => ({ value: g, label: names.get(g) ?? g }))];
      const labels = Object.fromEntries(Array.from({ length: c.maxChoices }, (_, i) => [`choice.${i}`, t("campaign.choice", { n: i + 1 })]));
      main = html`<p>${t("campaign.rankIntro", { k: c.maxChoices })}</p>
${errorSummary(ctx, errors, labels)}
<form method="post" action="${base}/choices" novalidate>
  ${csrfInput(ctx)}
  ${Array.from({ length: c.maxChoices }, (_, i) => select({ name: `choice.${i}`, label: labels[`choice.${i}`]!, value: form[`choice.${i}`], error: errors[`choice.${i}`], options }))}
  <button type="submit">${t("campaign.save")}</button>
</form>
${chosen.length > 0 ? html`<form method="post" action="${base}/withdrawal">${csrfInput(ctx)}<button type="submit" class="link">${t("campaign.withdraw")}</button></form>` : ""}`;
    } else if (mine.body.result) {
      const r = mine.body.result;
      const ticket = c.seed ? sha256(`${c.seed}:${childId}`) : undefined;
      main = html`<h2>${t("campaign.result")}</h2>
<p><strong>${r.summary}</strong></p>
<ol>${r.choices.map((choice) => html`<li>${choice.sentence}</li>`)}</ol>
<h2>${t("campaign.lottery")}</h2>
<p>${t("campaign.lotteryIntro")}</p>
<dl class="summary proof">
  <dt>${t("campaign.lotteryNumber")}</dt><dd><code>${r.lotteryNumber}</code></dd>
  <dt>${t("campaign.lotteryRank")}</dt><dd>${r.lotteryRank}</dd>
  <dt>${t("campaign.childId")}</dt><dd><code>${childId}</code></dd>
</dl>
${ticket ? html`<p class="notice">${ticket === r.lotteryNumber ? t("campaign.lotteryMatches") : t("campaign.lotteryDiffers")}</p>` : ""}`;
    } else {
      main = html`${chosen.length > 0 ? html`<p>${t("campaign.yourChoices")}</p><ol>${chosen.map((g) => html`<li>${names.get(g) ?? g}</li>`)}</ol>` : html`<p>${t("campaign.noChoices")}</p>`}
<p>${t(mine.body.phase === "scheduled" ? "campaign.notOpenYet" : "campaign.waitDraw")}</p>`;
    }
    const body = html`<h1>${c.name}</h1>
<p>${t("campaign.forChild", { name })}</p>
<p><span class="tag">${t(`campaign.phase.${mine.body.phase}` as TextKey)}</span> ${windowText(ctx, c, timeZone)}</p>
${main}
<p><a href="/campaigns/${id}">${t("campaign.public")}</a> · <a href="/family/children/${childId}">${t("error.back")}</a></p>`;
    const done = state.done === "saved" ? notice(t("campaign.saved")) : state.done === "withdrawn" ? notice(t("campaign.withdrawn")) : undefined;
    return sendPage(reply.code(Object.keys(errors).length > 0 ? 400 : 200), layout(ctx, { title: c.name, body, notice: done }));
  }

  app.get<{ Querystring: { done?: string } }>("/family/campaigns/:id/children/:childId", (request, reply) => childPage(request, reply, { done: request.query.done }));

  app.post<{ Body: Record<string, string | undefined> }>("/family/campaigns/:id/children/:childId/choices", async (request, reply) => {
    const found = personAndParams(request, reply, ChildParams, "guardian");
    if (!found) return reply;
    const { person } = found;
    const { id, childId } = found.params;
    const ctx = request.page;
    // The choices in the order ranked, the empty ones left out; the service refuses repeats and too many.
    const ranked = Object.entries(request.body)
      .flatMap(([key, value]) => {
        const n = /^choice\.(\d{1,2})$/.exec(key)?.[1];
        return n !== undefined && value ? [{ n: Number(n), value }] : [];
      })
      .sort((a, b) => a.n - b.n);
    if (ranked.length === 0) return childPage(request, reply, { form: request.body, errors: { "choice.0": ctx.t("campaign.chooseOne") } });
    const answer = await services.call("enrollment", "PUT", `/campaigns/${id}/children/${childId}/choices`, { ...asPerson(ctx, person.token), body: { groupIds: ranked.map((r) => r.value) } });
    if (!answer.ok) {
      if (answer.status === 403 || answer.status === 404) return notFound(request, reply);
      // The service names `groupIds.N` (the N-th ranked choice) or the list: shown at that choice.
      const errors: Record<string, string> = {};
      for (const [field, message] of Object.entries(fieldErrorsOf(answer.problem))) {
        const index = /^groupIds\.(\d+)$/.exec(field)?.[1];
        errors[index !== undefined ? `choice.${ranked[Number(index)]?.n ?? 0}` : field === "groupIds" ? "choice.0" : field] = message;
      }
      return childPage(request, reply, { form: request.body, errors });
    }
    return reply.redirect(`/family/campaigns/${id}/children/${childId}?done=saved`, 303);
  });

  app.post("/family/campaigns/:id/children/:childId/withdrawal", async (request, reply) => {
    const found = personAndParams(request, reply, ChildParams, "guardian");
    if (!found) return reply;
    const { person } = found;
    const { id, childId } = found.params;
    const ctx = request.page;
    // An HTTP method, not SQL (the rule that keeps SQL in stores reads the word alone).
    // eslint-disable-next-line no-restricted-syntax
    const answer = await services.call("enrollment", "DELETE", `/campaigns/${id}/children/${childId}/choices`, asPerson(ctx, person.token));
    if (!answer.ok) {
      if (answer.status === 403 || answer.status === 404) return notFound(request, reply);
      return childPage(request, reply, { errors: { "": answer.problem.detail || answer.problem.title } });
    }
    return reply.redirect(`/family/campaigns/${id}/children/${childId}?done=withdrawn`, 303);
  });
}
