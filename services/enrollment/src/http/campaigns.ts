import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { requireRole } from "@kruzhok/actor";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { withTransaction } from "@kruzhok/postgres";
import { Instant, NameText } from "@kruzhok/contracts";
import { groupName, type FamilyLanguage } from "@kruzhok/i18n";
import { localDateOf } from "@kruzhok/time";
import { explainOutcome } from "../domain/campaign";
import { enrollmentError } from "../domain/errors";
import { findCampaign, listCampaigns, placementsOfChild, type CampaignRow, type ChoiceRow } from "../store/campaigns";
import { findRules, findZone, groupLabels } from "../store/projections";
import { assertReaches } from "../usecases/access";
import { announceCampaign, campaignTally, drawCampaignNow, findFamilyChoices, submitChoices, withdrawChoices } from "../usecases/campaigns";
import type { EnrollmentRouteDeps } from "../deps";
import { IdParams } from "./schemas";
import { actingActor, actingFieldsIn } from "./acting";
import { familyLanguageOf } from "./views";

// Allocation campaigns over HTTP. The campaign itself (window, groups, seed commitment, digest,
// and after the draw the seed) is public: families and journalists check the protocol without
// an account. A family's choices and result are the family's (or the office's); the frozen input
// is for officials (it holds each child's priority, under a pseudonymous id).


const CampaignBody = z.strictObject({
  municipalityId: z.uuid(),
  name: NameText(1, 200),
  groupIds: z
    .array(z.uuid())
    .min(1)
    .max(500)
    .refine((ids) => new Set(ids).size === ids.length, "must list each group once"),
  maxChoices: z.number().int().min(1).max(20).describe("K: how many groups a family may rank"),
  opensAt: Instant.describe("ISO 8601 instant with an offset"),
  closesAt: Instant.describe("ISO 8601 instant with an offset; after it the draw runs"),
}).meta({
  examples: [
    {
      municipalityId: "0195f0a0-0000-7000-8000-000000000001",
      name: "Весенний набор в кружки 2027",
      groupIds: ["0195f0a0-0000-7000-8000-0000000000b1", "0195f0a0-0000-7000-8000-0000000000b2"],
      maxChoices: 3,
      opensAt: "2027-04-01T09:00:00+12:00",
      closesAt: "2027-04-15T18:00:00+12:00",
    },
  ],
});

const ChildParams = z.strictObject({ id: z.uuid(), childId: z.uuid() });
const ChoicesBody = z.strictObject({
  groupIds: z.array(z.uuid()).min(1).max(20).describe("Ranked, best first; at most the campaign's K, each group once"),
});
const ListQuery = z.strictObject({ municipalityId: z.uuid() });

const Campaign = z.object({
  id: z.uuid(),
  municipalityId: z.uuid(),
  name: z.string(),
  groupIds: z.array(z.uuid()),
  maxChoices: z.number().int(),
  opensAt: z.string(),
  closesAt: z.string(),
  phase: z.enum(["scheduled", "open", "closing", "closed", "drawn"]).describe("closing: the window is over and the draw is about to run"),
  algorithm: z.string(),
  seedCommitment: z.string().describe("SHA-256 of the secret seed, published when the campaign was announced"),
  inputDigest: z.string().nullable().describe("SHA-256 of the frozen input, published at the close, before the seed"),
  seed: z.string().nullable().describe("Revealed by the draw; check sha256(seed) = seedCommitment"),
  closedAt: z.string().nullable(),
  drawnAt: z.string().nullable(),
  result: z
    .object({ children: z.number().int(), placed: z.number().int(), unplaced: z.number().int(), rounds: z.number().int() })
    .nullable(),
});

const FamilyResult = z.object({
  campaignId: z.uuid(),
  childId: z.uuid(),
  phase: Campaign.shape.phase,
  choices: z.array(z.uuid()).nullable().describe("The ranked choices on file; null when the child has none"),
  submittedBy: z.enum(["guardian", "operator"]).nullable().describe("Who put the choices on file: the guardian, or an operator for the family (its basis in GET /children/{id}/audit)"),
  submittedAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
  result: z
    .object({
      groupId: z.uuid().nullable().describe("The group won, or null: the child waits in its choices' queues"),
      choiceRank: z.number().int().nullable(),
      lotteryNumber: z.string().describe("SHA-256(seed:childId), hex; lower draws earlier"),
      lotteryRank: z.number().int(),
      summary: z.string(),
      choices: z.array(z.object({ groupId: z.uuid(), choiceRank: z.number().int(), outcome: z.string(), sentence: z.string() })),
      applications: z.array(
        z.object({
          groupId: z.uuid(),
          kind: z.enum(["admitted", "waitlisted"]),
          applicationId: z.uuid().nullable(),
          refusalCode: z.string().nullable(),
          refusalDetail: z.string().nullable(),
        }),
      ),
    })
    .nullable()
    .describe("After the draw; null before it, or when the child did not take part in it"),
});

function phaseOf(c: CampaignRow, now: Date): z.infer<typeof Campaign>["phase"] {
  if (c.status === "drawn") return "drawn";
  if (c.status === "closed") return "closed";
  if (now < c.opensAt) return "scheduled";
  return now < c.closesAt ? "open" : "closing";
}

function campaignView(c: CampaignRow, now: Date): z.infer<typeof Campaign> {
  const unplaced = c.result ? c.result.children.filter((child) => child.groupId === null).length : 0;
  return {
    id: c.id,
    municipalityId: c.municipalityId,
    name: c.name,
    groupIds: c.groupIds,
    maxChoices: c.maxChoices,
    opensAt: c.opensAt.toISOString(),
    closesAt: c.closesAt.toISOString(),
    phase: phaseOf(c, now),
    algorithm: c.algorithm,
    seedCommitment: c.seedCommitment,
    inputDigest: c.inputDigest,
    // The seed stays secret until the draw.
    seed: c.status === "drawn" ? c.seed : null,
    closedAt: c.closedAt?.toISOString() ?? null,
    drawnAt: c.drawnAt?.toISOString() ?? null,
    result: c.result
      ? { children: c.result.children.length, placed: c.result.children.length - unplaced, unplaced, rounds: c.result.rounds }
      : null,
  };
}

export const campaignRoutes: FastifyPluginAsync<EnrollmentRouteDeps> = async (plain, { pool, clock, queues }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["campaigns"];

  const found = async (id: string) => {
    const campaign = await findCampaign(pool, id);
    if (!campaign) throw enrollmentError("CAMPAIGN_NOT_FOUND", `no campaign ${id}`);
    return campaign;
  };

  app.post(
    "/campaigns",
    {
      schema: {
        tags,
        operationId: "announceCampaign", summary: "Announce an allocation campaign over some groups (the municipality, or its region); the lottery seed is committed now; send Idempotency-Key",
        body: CampaignBody,
        response: { 201: Campaign },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      const now = clock();
      const spec = { ...request.body, opensAt: new Date(request.body.opensAt), closesAt: new Date(request.body.closesAt) };
      const campaign = await withTransaction(pool, (tx) => announceCampaign(tx, spec, actor, now, { correlationId: correlationIdOf(request) }));
      return reply.code(201).header("location", `/campaigns/${campaign.id}`).send(campaignView(campaign, now));
    },
  );

  app.get(
    "/campaigns",
    { schema: { tags, operationId: "listCampaigns", summary: "A municipality's campaigns, newest window first (no login)", querystring: ListQuery, response: { 200: Campaign.array() } }, config: { public: true } },
    async (request) => {
      const now = clock();
      return (await listCampaigns(pool, request.query.municipalityId)).map((c) => campaignView(c, now));
    },
  );

  app.get(
    "/campaigns/:id",
    {
      schema: { tags, operationId: "getCampaign", summary: "A campaign: window, groups, seed commitment, input digest, and after the draw the seed (no login)", params: IdParams, response: { 200: Campaign } },
      config: { public: true },
    },
    async (request) => campaignView(await found(request.params.id), clock()),
  );

  app.get(
    "/campaigns/:id/input",
    {
      schema: {
        tags,
        operationId: "getCampaignInput", summary: "The frozen input in canonical form, once the window has closed (officials of its municipality, region or ministry): its SHA-256 is the published digest; with the revealed seed anyone re-runs the draw",
        params: IdParams,
        response: { 200: z.object({ inputDigest: z.string(), input: z.unknown() }) },
      },
    },
    async (request) => {
      const actor = requireRole(requireActor(request), "municipality", "region", "ministry");
      const campaign = await found(request.params.id);
      await assertReaches(pool, actor, campaign.municipalityId);
      if (!campaign.input || !campaign.inputDigest) throw enrollmentError("CAMPAIGN_INPUT_NOT_FROZEN", "the input is frozen when the window closes");
      return { inputDigest: campaign.inputDigest, input: campaign.input };
    },
  );

  app.get(
    "/campaigns/:id/tally",
    {
      schema: {
        tags,
        operationId: "getCampaignTally", summary: "How the choices arrive (officials of its municipality, region or ministry): children with choices on file, and per group how many ranked it and how many first; counts only",
        params: IdParams,
        response: {
          200: z.object({
            campaignId: z.uuid(),
            phase: Campaign.shape.phase,
            children: z.number().int().describe("Children with choices on file"),
            groups: z.array(
              z.object({
                groupId: z.uuid(),
                ranked: z.number().int().describe("Children who ranked the group at all"),
                firstChoice: z.number().int().describe("Children who ranked it first"),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const { campaign, children, groups } = await campaignTally(pool, requireActor(request), request.params.id);
      return { campaignId: campaign.id, phase: phaseOf(campaign, clock()), children, groups };
    },
  );

  app.put(
    "/campaigns/:id/children/:childId/choices",
    {
      schema: {
        tags,
        operationId: "setCampaignChoices", summary: "Rank up to K groups for a child while the window is open (a guardian, or an operator at the office); replaces earlier choices",
        params: ChildParams,
        body: ChoicesBody,
        response: { 200: FamilyResult },
      },
      // The child whose certificate is checked is the path's.
      config: { fieldsIn: { childId: "params", ...actingFieldsIn } },
    },
    async (request) => {
      const actor = actingActor(request);
      const now = clock();
      const { id, childId } = request.params;
      const choices = await withTransaction(pool, (tx) => submitChoices(tx, id, childId, request.body.groupIds, actor, now));
      return familyView(await found(id), childId, choices, now, familyLanguageOf(request));
    },
  );

  app.delete(
    "/campaigns/:id/children/:childId/choices",
    { schema: { tags, operationId: "withdrawCampaignChoices", summary: "Take the child out of the campaign while the window is open (a guardian, or an operator at the office)", params: ChildParams, response: { 204: z.null() } }, config: { fieldsIn: actingFieldsIn } },
    async (request, reply) => {
      const actor = actingActor(request);
      await withTransaction(pool, (tx) => withdrawChoices(tx, request.params.id, request.params.childId, actor, clock()));
      return reply.code(204).send(null);
    },
  );

  app.get(
    "/campaigns/:id/children/:childId",
    {
      schema: {
        tags,
        operationId: "getCampaignChild", summary: "A child's choices and, after the draw, the result with the reason for every choice (the family, the office, the municipality)",
        params: ChildParams,
        response: { 200: FamilyResult },
      },
    },
    async (request) => {
      const actor = requireActor(request);
      const now = clock();
      const { campaign, choices } = await withTransaction(pool, (tx) => findFamilyChoices(tx, request.params.id, request.params.childId, actor));
      return familyView(campaign, request.params.childId, choices, now, familyLanguageOf(request));
    },
  );

  app.post(
    "/campaigns/:id/draw",
    {
      schema: {
        tags,
        operationId: "drawCampaign", summary: "Draw a campaign whose window has closed now, rather than at the next sweep (the municipality, or its region); 409 while the window is still open, nothing to a campaign drawn already",
        params: IdParams,
        response: { 200: Campaign },
      },
    },
    async (request) => {
      const now = clock();
      const drawn = await drawCampaignNow({ pool, queues, log: request.log }, requireActor(request), request.params.id, now, { correlationId: correlationIdOf(request) });
      return campaignView(drawn, now);
    },
  );

  async function familyView(campaign: CampaignRow, childId: string, choices: ChoiceRow | undefined, now: Date, language: FamilyLanguage): Promise<z.infer<typeof FamilyResult>> {
    const outcome = campaign.result?.children.find((c) => c.childId === childId);
    let result: z.infer<typeof FamilyResult>["result"] = null;
    if (outcome) {
      const zone = (await findZone(pool, campaign.municipalityId)) ?? "UTC";
      const order = (await findRules(pool, campaign.municipalityId, localDateOf(campaign.closesAt, zone).year))?.rules?.categories ?? [];
      const placements = await placementsOfChild(pool, campaign.id, childId);
      const groupIds = [...new Set([...outcome.choices.map((c) => c.groupId), ...outcome.waitlists.map((wl) => wl.groupId)])];
      const names = new Map((await groupLabels(pool, groupIds)).map((g) => [g.id, groupName(g.programTitle, g.slots, language)]));
      const explained = explainOutcome(outcome, order, placements, language, names);
      result = {
        groupId: outcome.groupId,
        choiceRank: outcome.choiceRank,
        lotteryNumber: outcome.lottery,
        lotteryRank: outcome.lotteryRank,
        summary: explained.summary,
        choices: explained.choices,
        applications: placements.map(({ groupId, kind, applicationId, refusalCode, refusalDetail }) => ({ groupId, kind, applicationId, refusalCode, refusalDetail })),
      };
    }
    return {
      campaignId: campaign.id,
      childId,
      phase: phaseOf(campaign, now),
      choices: choices?.groupIds ?? null,
      submittedBy: choices?.submittedRole ?? null,
      submittedAt: choices?.submittedAt.toISOString() ?? null,
      updatedAt: choices?.updatedAt.toISOString() ?? null,
      result,
    };
  }
};
