import { randomBytes } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import { requireMunicipality, requireRole, type Actor } from "@kruzhok/actor";
import { ApplicationReviewed, CampaignAnnounced, CampaignClosed, CampaignDrawn, NotificationCampaignResult } from "@kruzhok/contracts";
import { isDomainError } from "@kruzhok/errors";
import { emit, type Cause } from "@kruzhok/messaging";
import { withTransaction, type Pool, type PoolClient, type Queryable } from "@kruzhok/postgres";
import { localDateOf } from "@kruzhok/time";
import { applicationRef, assertAgeFits, assertCertificateInForce } from "../domain/application";
import {
  allocateCampaign,
  canonicalise,
  commitSeed,
  CAMPAIGN_ALGORITHM,
  fromCanonical,
  inputDigest,
  type CampaignInput,
  type CampaignResult,
} from "../domain/campaign";
import { localDay } from "../domain/deadlines";
import { enrollmentError } from "../domain/errors";
import { bestCategory } from "../domain/queue";
import { lockGroupQueues, markQueueDirty, queueOf, setApplicationStatus } from "../store/applications";
import {
  allChoices,
  choiceTally,
  choosersAtClose,
  deleteChoices,
  dueCampaigns,
  findCampaign,
  findChoices,
  insertCampaign,
  insertPlacement,
  markClosed,
  markDrawn,
  programsOfGroups,
  resultAddressees,
  upsertChoices,
  waitlistedQueuesOfChildren,
  type CampaignRow,
  type ChoiceRow,
} from "../store/campaigns";
import { seatsTaken } from "../store/offers";
import { findCertificateOfChild, findGroup, findRules, findZone } from "../store/projections";
import { withSavepoint } from "../store/savepoints";
import { assertReaches, requireFamily, type FamilyAct } from "./access";
import { copyQueueNow, type QueueIndexDeps } from "./indexing";
import { fillSeats } from "./seats";
import { writeApplication } from "./submission";

// Allocation campaigns: announce (seed committed) → families rank up to K groups in the window →
// close (inputs frozen, digest published) → draw (seed revealed, deferred acceptance, offers for
// the admitted, queue places in lottery order for the rest). The algorithm is the pure
// domain/campaign; this module is its storage, its rules and its effects.

export interface CampaignSpec {
  municipalityId: string;
  name: string;
  groupIds: string[];
  maxChoices: number;
  opensAt: Date;
  closesAt: Date;
}

/**
 * A municipality (or its region) announces a campaign over some of its groups. Each group must be open, take
 * applications and have no one waiting in its queue (its free seats then go through the draw
 * alone; while the campaign is not drawn the group takes no first-come applications). K may not
 * exceed the municipality's cap on open applications: an unplaced child joins all K queues.
 * The lottery seed is drawn here and only its SHA-256 is published.
 */
export async function announceCampaign(tx: PoolClient, spec: CampaignSpec, actor: Actor, now: Date, cause: Cause): Promise<CampaignRow> {
  requireRole(actor, "municipality", "region");
  await assertReaches(tx, actor, spec.municipalityId, { field: "municipalityId" });
  if (spec.closesAt <= spec.opensAt) {
    throw enrollmentError("CAMPAIGN_WINDOW_INVALID", "the window must close after it opens", { field: "closesAt" });
  }
  if (spec.closesAt <= now) {
    throw enrollmentError("CAMPAIGN_WINDOW_INVALID", `the window must close in the future (now ${now.toISOString()})`, { field: "closesAt" });
  }
  const zone = await findZone(tx, spec.municipalityId);
  if (!zone) throw enrollmentError("MUNICIPALITY_UNKNOWN", "enrollment has not yet heard of this municipality from the registry", { field: "municipalityId", awaitingNews: true });
  const year = localDateOf(spec.opensAt, zone).year;
  const rules = (await findRules(tx, spec.municipalityId, year))?.rules;
  if (!rules) throw enrollmentError("YEAR_SETTINGS_MISSING", `the municipality has not set its rules for ${year} yet`, { awaitingNews: true });
  if (spec.maxChoices > rules.maxOpenApplications) {
    throw enrollmentError(
      "CAMPAIGN_MAX_CHOICES",
      `a family may rank at most ${rules.maxOpenApplications} groups here: an unplaced child joins the queue of every choice, and the municipality allows ${rules.maxOpenApplications} open applications`,
      { field: "maxChoices" },
    );
  }
  // The queue locks keep a first-come application from slipping in between the check and the insert.
  await lockGroupQueues(tx, spec.groupIds);
  for (const [index, groupId] of spec.groupIds.entries()) {
    const field = `groupIds.${index}`;
    const group = await findGroup(tx, groupId);
    if (!group) throw enrollmentError("GROUP_NOT_FOUND", `no group ${groupId}; if it was opened just now, enrollment has not heard of it yet`, { field, awaitingNews: true });
    if (group.municipalityId !== spec.municipalityId) {
      throw enrollmentError("CAMPAIGN_GROUP_OTHER_MUNICIPALITY", `group ${groupId} belongs to another municipality`, { field });
    }
    if (group.status !== "open" || !group.accepting) {
      throw enrollmentError("GROUP_NOT_ACCEPTING", `group ${groupId} takes no applications now (closed, or its provider or certification is not in force)`, { field });
    }
    if ((await queueOf(tx, groupId, 1)).length > 0) {
      throw enrollmentError("CAMPAIGN_GROUP_HAS_QUEUE", `group ${groupId} has children waiting in its queue; their places come first, so it cannot join a campaign`, { field });
    }
  }
  const seed = randomBytes(32).toString("hex");
  const campaign = {
    id: uuidv7({ msecs: now.getTime() }),
    municipalityId: spec.municipalityId,
    name: spec.name,
    maxChoices: spec.maxChoices,
    opensAt: spec.opensAt,
    closesAt: spec.closesAt,
    seed,
    seedCommitment: commitSeed(seed),
    algorithm: CAMPAIGN_ALGORITHM,
    createdBy: actor.subject,
    groupIds: spec.groupIds,
  };
  if ((await insertCampaign(tx, campaign, now)) === "group-taken") {
    throw enrollmentError("CAMPAIGN_GROUP_TAKEN", "a group is in another campaign that has not been drawn yet; a group takes part in one campaign at a time", {
      field: "groupIds",
    });
  }
  await emit(tx, CampaignAnnounced, { ...cause, municipalityId: campaign.municipalityId, aggregateId: campaign.id }, {
    campaignId: campaign.id,
    groupIds: campaign.groupIds,
    maxChoices: campaign.maxChoices,
    opensAt: campaign.opensAt.toISOString(),
    closesAt: campaign.closesAt.toISOString(),
    seedCommitment: campaign.seedCommitment,
    algorithm: campaign.algorithm,
  }, now);
  return (await findCampaign(tx, campaign.id))!;
}

async function campaignOf(db: Queryable, campaignId: string, lock: "share" | false = false): Promise<CampaignRow> {
  const campaign = await findCampaign(db, campaignId, lock);
  if (!campaign) throw enrollmentError("CAMPAIGN_NOT_FOUND", `no campaign ${campaignId}`);
  return campaign;
}

/**
 * The family (a guardian of the child, or an operator at the office) may act in this campaign;
 * the municipality's office may also read what the family did.
 */
async function authorizeFamily(tx: PoolClient, campaign: CampaignRow, childId: string, actor: Actor, act?: FamilyAct): Promise<void> {
  if (actor.role === "municipality") requireMunicipality(actor, campaign.municipalityId);
  else await requireFamily(tx, actor, { municipalityId: campaign.municipalityId, childId }, act);
}

function assertWindowOpen(campaign: CampaignRow, now: Date, zone: string): void {
  const local = (at: Date) => `${at.toISOString()} (${localDay(at, zone)} in ${zone})`;
  if (now < campaign.opensAt) throw enrollmentError("CAMPAIGN_NOT_OPEN", `the campaign's window opens at ${local(campaign.opensAt)}`);
  if (campaign.status !== "announced" || now >= campaign.closesAt) {
    throw enrollmentError("CAMPAIGN_NOT_OPEN", `the campaign's window closed at ${local(campaign.closesAt)}`);
  }
}

/**
 * Submit or replace the child's ranked choices while the window is open: 1 to K groups of the
 * campaign, each once, each one whose age range the child fits; the child's certificate must be
 * in force in the campaign's municipality. The other rules (financing, schedule, open
 * applications) are applied when the draw turns the result into applications.
 */
export async function submitChoices(tx: PoolClient, campaignId: string, childId: string, groupIds: readonly string[], actor: Actor, now: Date): Promise<ChoiceRow> {
  requireRole(actor, "guardian", "operator");
  const campaign = await campaignOf(tx, campaignId, "share");
  await authorizeFamily(tx, campaign, childId, actor, { action: "campaign.choices-submitted", subjectId: campaignId, now });
  assertWindowOpen(campaign, now, (await findZone(tx, campaign.municipalityId)) ?? "UTC");
  if (groupIds.length > campaign.maxChoices) {
    throw enrollmentError("CAMPAIGN_CHOICE_INVALID", `this campaign takes at most ${campaign.maxChoices} ranked choices; you sent ${groupIds.length}`, { field: "groupIds" });
  }
  const inCampaign = new Set(campaign.groupIds);
  const certificate = await findCertificateOfChild(tx, childId);
  assertCertificateInForce(certificate, campaign.municipalityId, { child: "childId", municipality: "childId" });
  const seen = new Set<string>();
  for (const [index, groupId] of groupIds.entries()) {
    const field = `groupIds.${index}`;
    if (seen.has(groupId)) throw enrollmentError("CAMPAIGN_CHOICE_INVALID", `group ${groupId} is ranked twice; rank each group once`, { field });
    seen.add(groupId);
    if (!inCampaign.has(groupId)) throw enrollmentError("CAMPAIGN_CHOICE_INVALID", `group ${groupId} is not part of this campaign`, { field });
    assertAgeFits(certificate, (await findGroup(tx, groupId))!, field);
  }
  return upsertChoices(
    tx,
    {
      campaignId,
      childId,
      certificateId: certificate.id,
      guardianId: actor.role === "guardian" ? (actor.guardianId ?? null) : null,
      submittedBy: actor.subject,
      submittedRole: actor.role === "guardian" ? "guardian" : "operator",
      groupIds: [...groupIds],
    },
    now,
  );
}

/** Take the child out of the campaign while the window is open. */
export async function withdrawChoices(tx: PoolClient, campaignId: string, childId: string, actor: Actor, now: Date): Promise<void> {
  requireRole(actor, "guardian", "operator");
  const campaign = await campaignOf(tx, campaignId, "share");
  await authorizeFamily(tx, campaign, childId, actor, { action: "campaign.choices-withdrawn", subjectId: campaignId, now });
  assertWindowOpen(campaign, now, (await findZone(tx, campaign.municipalityId)) ?? "UTC");
  if (!(await deleteChoices(tx, campaignId, childId))) {
    throw enrollmentError("CAMPAIGN_CHOICES_NOT_FOUND", "the child has no choices in this campaign");
  }
}

/** A child's choices, for the family and the municipality's office (the result with its reasons is the route's to word). */
export async function findFamilyChoices(tx: PoolClient, campaignId: string, childId: string, actor: Actor): Promise<{ campaign: CampaignRow; choices: ChoiceRow | undefined }> {
  requireRole(actor, "guardian", "operator", "municipality");
  const campaign = await campaignOf(tx, campaignId);
  await authorizeFamily(tx, campaign, childId, actor);
  return { campaign, choices: await findChoices(tx, campaignId, childId) };
}

/**
 * Close the window: freeze the input and publish its digest, before anyone sees the seed. A
 * group's seats are its free seats now (capacity minus active enrollments and open offers; none
 * when it closed or stopped taking applications). A child's priority is its best category in
 * force on the local day of the close, by the municipality's order; children whose certificate
 * is no longer in force in the municipality leave the draw.
 */
export async function closeCampaign(tx: PoolClient, campaignId: string, now: Date, cause: Cause): Promise<CampaignRow> {
  const campaign = await findCampaign(tx, campaignId, "update");
  if (!campaign) throw enrollmentError("CAMPAIGN_NOT_FOUND", `no campaign ${campaignId}`);
  if (campaign.status !== "announced") return campaign;
  if (now < campaign.closesAt) {
    throw enrollmentError("CAMPAIGN_NOT_CLOSED", `the campaign's window is open until ${campaign.closesAt.toISOString()}; the draw runs after it closes`);
  }
  const zone = (await findZone(tx, campaign.municipalityId)) ?? "UTC";
  const rules = (await findRules(tx, campaign.municipalityId, localDateOf(campaign.closesAt, zone).year))?.rules;
  const order = rules?.categories ?? [];
  await lockGroupQueues(tx, campaign.groupIds);
  const groups: CampaignInput["groups"] = [];
  let seats = 0;
  for (const groupId of campaign.groupIds) {
    const group = await findGroup(tx, groupId);
    const free = group?.status === "open" && group.accepting ? Math.max(0, group.capacity - (await seatsTaken(tx, groupId))) : 0;
    groups.push({ id: groupId, capacity: free });
    seats += free;
  }
  const children: CampaignInput["children"] = (await choosersAtClose(tx, campaign.id, localDay(campaign.closesAt, zone)))
    .filter((chooser) => chooser.certificateInForce)
    .map((chooser) => {
      const best = bestCategory(order, chooser.codes);
      return { id: chooser.childId, choices: chooser.groupIds, categoryRank: best.code === null ? null : best.rank };
    });
  const canonical = canonicalise({ maxChoices: campaign.maxChoices, groups, children });
  const digest = inputDigest(canonical);
  await markClosed(tx, campaign.id, canonical, digest, now);
  await emit(tx, CampaignClosed, { ...cause, municipalityId: campaign.municipalityId, aggregateId: campaign.id }, {
    campaignId: campaign.id,
    inputDigest: digest,
    children: children.length,
    seats,
  }, now);
  return (await findCampaign(tx, campaign.id))!;
}

/** The family's actor the draw acts as when it files the child's applications. */
function familyActor(campaign: CampaignRow, choice: ChoiceRow): Actor {
  return choice.submittedRole === "guardian" && choice.guardianId
    ? { subject: choice.submittedBy, role: "guardian", municipalityId: campaign.municipalityId, guardianId: choice.guardianId }
    : { subject: choice.submittedBy, role: "operator", municipalityId: campaign.municipalityId };
}

/**
 * Reveal the seed and draw on the frozen input, then turn the result into applications, in one
 * transaction: every admitted child gets an application confirmed by the campaign and the
 * group's free seat is offered to it at once; then every unplaced child, in lottery order,
 * joins the queue of each of its choices (so within a category the queues hold them in lottery
 * order). Each application still passes the queue's rules at that moment (financing, schedule,
 * open applications); a refusal is recorded with the child's result, and an admitted child's
 * refused seat passes to the group's queue.
 */
export async function drawCampaign(tx: PoolClient, campaignId: string, now: Date, cause: Cause): Promise<CampaignRow> {
  const campaign = await findCampaign(tx, campaignId, "update");
  if (!campaign) throw enrollmentError("CAMPAIGN_NOT_FOUND", `no campaign ${campaignId}`);
  if (campaign.status === "drawn") return campaign;
  if (campaign.status !== "closed" || !campaign.input || !campaign.inputDigest) {
    throw enrollmentError("CAMPAIGN_INPUT_NOT_FROZEN", "the campaign's inputs are not frozen yet; it is drawn after its window closes");
  }
  const result = allocateCampaign(fromCanonical(campaign.input), campaign.seed);
  if (result.inputDigest !== campaign.inputDigest) throw new Error(`campaign ${campaign.id}: the frozen input no longer matches its published digest`);
  await markDrawn(tx, campaign.id, result, now);

  const choiceOf = new Map((await allChoices(tx, campaign.id)).map((c) => [c.childId, c]));
  // Each placement is a submission made for the family, and its refusal that child's result:
  // whatever a refused one wrote is rolled back, and the draw goes on. Its queue changes further
  // in this transaction (offers), so it is marked for a whole copy rather than added to Redis.
  const place = async (childId: string, groupId: string, kind: "admitted" | "waitlisted") => {
    const choice = choiceOf.get(childId)!;
    try {
      const application = await withSavepoint(tx, async () => {
        const placed = await writeApplication(tx, { actor: familyActor(campaign, choice), command: { childId, groupId }, now, cause, byCampaign: campaign.id });
        if (kind === "admitted") {
          // The draw stands in for the provider's review: the provider put the group into the campaign.
          await setApplicationStatus(tx, placed.id, { review: "confirmed" }, now);
          await emit(tx, ApplicationReviewed, { ...cause, municipalityId: placed.municipalityId, aggregateId: placed.id }, {
            ...applicationRef(placed),
            decision: "confirmed",
            campaignId: campaign.id,
          }, now);
        }
        return placed;
      });
      await markQueueDirty(tx, groupId);
      await insertPlacement(tx, campaign.id, { childId, groupId, kind, applicationId: application.id, refusalCode: null, refusalDetail: null });
    } catch (error) {
      if (!isDomainError(error)) throw error;
      await insertPlacement(tx, campaign.id, { childId, groupId, kind, applicationId: null, refusalCode: error.code, refusalDetail: error.message });
    }
  };

  for (const group of result.groups) {
    for (const childId of group.admitted) await place(childId, group.groupId, "admitted");
  }
  for (const group of result.groups) await fillSeats(tx, group.groupId, now, cause);
  const unplaced = result.children.filter((c) => c.groupId === null).sort((a, b) => a.lotteryRank - b.lotteryRank);
  for (const child of unplaced) {
    for (const waitlist of child.waitlists) await place(child.childId, waitlist.groupId, "waitlisted");
  }
  await notifyResults(tx, campaign, result, now, cause);
  await emit(tx, CampaignDrawn, { ...cause, municipalityId: campaign.municipalityId, aggregateId: campaign.id }, {
    campaignId: campaign.id,
    seed: result.seed,
    seedCommitment: result.seedCommitment,
    inputDigest: result.inputDigest,
    algorithm: result.algorithm,
    placed: result.children.length - unplaced.length,
    unplaced: unplaced.length,
  }, now);
  return (await findCampaign(tx, campaign.id))!;
}

/**
 * Tell every family its result, in the draw's transaction: admitted (the offer's own notice
 * follows) or waiting in how many queues. The reasons choice by choice are in the API.
 */
async function notifyResults(tx: PoolClient, campaign: CampaignRow, result: CampaignResult, now: Date, cause: Cause): Promise<void> {
  const addressees = await resultAddressees(tx, campaign.id);
  const programs = await programsOfGroups(tx, campaign.groupIds);
  const queuedOf = await waitlistedQueuesOfChildren(tx, campaign.id);
  for (const child of result.children) {
    const to = addressees.get(child.childId);
    if (!to) continue;
    const program = child.groupId === null ? undefined : programs.get(child.groupId);
    for (const guardianId of to.guardianIds) {
      await emit(tx, NotificationCampaignResult, { ...cause, municipalityId: campaign.municipalityId, aggregateId: guardianId }, {
        guardianId,
        childId: child.childId,
        locale: null,
        currency: to.currency,
        timeZone: to.timeZone,
        campaignId: campaign.id,
        campaignName: campaign.name,
        outcome: child.groupId === null ? "waitlisted" : "admitted",
        groupId: child.groupId,
        programId: program?.programId ?? null,
        programTitle: program?.title ?? null,
        choiceRank: child.choiceRank,
        lotteryRank: child.lotteryRank,
        queues: queuedOf.get(child.childId) ?? 0,
      }, now);
    }
  }
}

/** Close and draw one campaign whose window is over: two transactions, so the digest is committed before the seed is revealed. */
export async function closeAndDraw(pool: Pool, campaignId: string, now: Date, cause: Cause): Promise<CampaignRow> {
  await withTransaction(pool, (tx) => closeCampaign(tx, campaignId, now, cause));
  return withTransaction(pool, (tx) => drawCampaign(tx, campaignId, now, cause));
}

/**
 * The municipality (or its region) closes the window and draws now rather than at the next sweep (a campaign
 * drawn already is left as it is); the campaign's queues are then copied to Redis, so that the
 * families' positions show the draw at once.
 */
/**
 * How the choices arrive while the window is open (and what was on file at the close): for the
 * municipality's office and its region and ministry, counts only, never a child.
 */
export async function campaignTally(db: Queryable, actor: Actor, campaignId: string): Promise<{ campaign: CampaignRow; children: number; groups: { groupId: string; ranked: number; firstChoice: number }[] }> {
  requireRole(actor, "municipality", "region", "ministry");
  const campaign = await campaignOf(db, campaignId);
  await assertReaches(db, actor, campaign.municipalityId);
  const tally = await choiceTally(db, campaign.id);
  // Every group of the campaign, in its order, those no one ranked with zeros.
  const counted = new Map(tally.groups.map((g) => [g.groupId, g]));
  return { campaign, children: tally.children, groups: campaign.groupIds.map((groupId) => counted.get(groupId) ?? { groupId, ranked: 0, firstChoice: 0 }) };
}

export async function drawCampaignNow(deps: QueueIndexDeps, actor: Actor, campaignId: string, now: Date, cause: Cause): Promise<CampaignRow> {
  requireRole(actor, "municipality", "region");
  const campaign = await campaignOf(deps.pool, campaignId);
  await assertReaches(deps.pool, actor, campaign.municipalityId);
  const drawn = await closeAndDraw(deps.pool, campaign.id, now, cause);
  for (const groupId of drawn.groupIds) await copyQueueNow(deps, groupId);
  return drawn;
}

/** Every campaign whose window is over and that is not drawn yet (the sweep's part), of those `within` keeps. */
export async function drawDueCampaigns(pool: Pool, now: Date, within: (ids: string[]) => Promise<string[]> = async (ids) => ids): Promise<number> {
  let drawn = 0;
  for (const id of await within(await dueCampaigns(pool, now))) {
    await closeAndDraw(pool, id, now, {});
    drawn++;
  }
  return drawn;
}
