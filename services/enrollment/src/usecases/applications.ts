import { randomBytes } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import type { z } from "zod";
import {
  ApplicationFinancingSettled,
  ApplicationRefused,
  ApplicationReranked,
  ApplicationReviewed,
  ApplicationSubmitted,
  ApplicationWithdrawn,
  CertificateConversionRequested,
  OfferLapsed,
  type EventContract,
} from "@kruzhok/contracts";
import { requireMunicipality, type Actor } from "@kruzhok/actor";
import { appendToOutbox, emit, newEvent, type EventOrigin, type OutboxEntry } from "@kruzhok/messaging";
import type { PoolClient, Queryable } from "@kruzhok/postgres";
import { localDateOf } from "@kruzhok/time";
import { decideApplication } from "../domain/application";
import { localDay, reviewDeadline } from "../domain/deadlines";
import { enrollmentError } from "../domain/errors";
import { bestCategory } from "../domain/queue";
import {
  OPEN_STATUSES,
  QUEUE_STATUSES,
  findApplication,
  guardianOfEnrollment,
  lockGroupQueue,
  lockGroupQueues,
  markQueueDirty,
  setApplicationStatus,
  type ApplicationRow,
  type NewApplicationRow,
} from "../store/applications";
import { undrawnCampaignOfGroup } from "../store/campaigns";
import { categoriesOn, findGroup, findRules, lockChild, type GroupRow } from "../store/reference";
import { applicantFacts, insertApplications, startSubmissions } from "../store/submission";
import { NOTICE_DEFAULTS, noticeApproachingPositions, notifyApplicationRefused } from "./notifications";
import { fillSeats, refOf, type Origin } from "./seats";

export interface SubmitCommand {
  childId: string;
  groupId: string;
  actor: Actor;
  now: Date;
  origin: Origin;
  /**
   * A transfer: the child's active enrollment it leaves. The new application reuses the child's
   * certificate and guardian; the same-program and schedule rules ignore that enrollment, which
   * continues until the new enrollment starts (see acceptOffer).
   */
  transferOf?: string;
  /**
   * The caller adds the new member to the Redis index itself after COMMIT (`QueueIndex.add`, as
   * the submit route does) and marks the group dirty only if that fails. Otherwise the group is
   * marked dirty here and the syncer copies it.
   */
  indexedAfterCommit?: boolean;
}

/**
 * Submit an application: `submitApplications` with one command, its refusal thrown (nothing is
 * written for a refused application).
 */
export async function submitApplication(tx: PoolClient, command: SubmitCommand): Promise<ApplicationRow> {
  const [outcome] = await submitApplications(tx, [command]);
  if (!outcome) throw new Error("a submission came back without an outcome");
  if (outcome.status === "rejected") throw outcome.reason;
  return outcome.value;
}

/**
 * Submit several applications in the caller's transaction, with a few statements whatever their
 * number (store/submission.ts). Every check runs under the children's row locks (so two
 * concurrent submissions of one child cannot both pass the cap or the same-program rule); the
 * groups' queue locks are taken after them and held until COMMIT, and the INSERT stamps
 * `accepted_at` with the database clock row by row under them: so in each group the order of
 * accepted_at is the order in which applications became visible.
 *
 * Outcomes come back in the order of `commands`, one each, as if the applications had been
 * submitted one after another in that order: an application of this call counts as open for the
 * ones of the same child after it. A refusal is that application's outcome (nothing is written
 * for it), not an error of the call; the call throws only when the database does, or when a group
 * joined a campaign while this waited for its lock and several applications were submitted (the
 * caller then knows nothing was written, and submits them one by one).
 *
 * With `indexedAfterCommit` the queue is not marked dirty: the caller adds the new member to
 * the Redis index after COMMIT (see `QueueIndex.add`).
 */
export async function submitApplications(tx: PoolClient, commands: readonly SubmitCommand[]): Promise<PromiseSettledResult<ApplicationRow>[]> {
  const outcomes: PromiseSettledResult<ApplicationRow>[] = new Array<PromiseSettledResult<ApplicationRow>>(commands.length);
  const refuse = (index: number, reason: unknown) => (outcomes[index] = { status: "rejected", reason });
  const guardianOf = ({ actor }: SubmitCommand) => (actor.role === "guardian" ? (actor.guardianId ?? null) : null);

  const calendar = perLocalMinute();
  const starts = await startSubmissions(
    tx,
    commands.map((c) => ({ childId: c.childId, groupId: c.groupId, guardianId: guardianOf(c) })),
  );
  const started: { index: number; command: SubmitCommand; group: GroupRow; timeZone: string }[] = [];
  commands.forEach((command, index) => {
    try {
      const start = starts[index]!;
      const { group } = start;
      if (!group) throw enrollmentError("GROUP_NOT_FOUND", `no group ${command.groupId}`, { field: "groupId" });
      requireMunicipality(command.actor, group.municipalityId);
      if (command.actor.role === "guardian" && !start.isGuardian) {
        throw enrollmentError("NOT_YOUR_CHILD", "you may apply only for a child whose guardian you are", { field: "childId" });
      }
      if (!start.childLocked) {
        throw enrollmentError("CERTIFICATE_MISSING", "the child has no certificate; apply for one in the registry first", { field: "childId" });
      }
      const timeZone = start.municipalityZone;
      if (!timeZone) throw enrollmentError("MUNICIPALITY_UNKNOWN", "enrollment has not yet heard of this municipality from the registry");
      started.push({ index, command, group, timeZone });
    } catch (error) {
      refuse(index, error);
    }
  });
  if (started.length === 0) return outcomes;

  // The queue locks of every group still in play, in one order (as `lockGroupQueues`); a group in
  // a campaign not yet drawn takes no first-come applications (read once the locks are held).
  const { facts, campaigns } = await applicantFacts(
    tx,
    started.map(({ command, group, timeZone }) => ({
      childId: command.childId,
      municipalityId: group.municipalityId,
      year: calendar(command.now, `year ${group.timeZone}`, () => localDateOf(command.now, group.timeZone).year),
      localDay: calendar(command.now, `day ${timeZone}`, () => localDay(command.now, timeZone)),
      transferOf: command.transferOf ?? null,
    })),
    [...new Set(started.map((s) => s.group.id))].sort(),
  );
  const campaignOf = new Map(campaigns.map((c) => [c.groupId, c]));

  // Decisions in order; what an earlier application of this call opened, the later ones see.
  const openedHere = new Map<string, { programId: string }[]>();
  const transfersHere = new Set<string>();
  const planned: { index: number; command: SubmitCommand; row: NewApplicationRow & { createdAt: Date }; financingYear: number | null }[] = [];
  // The ids' random bits for the whole call at once: uuid draws them through WebCrypto one id at a time otherwise.
  const random = randomBytes(16 * started.length);
  for (const [k, { index, command, group, timeZone }] of started.entries()) {
    try {
      const f = facts[k]!;
      const { actor, now } = command;
      const { rules, certificate } = f;
      if (!rules) throw enrollmentError("YEAR_SETTINGS_MISSING", "the municipality has not set its rules for the year yet");
      const transferOf = command.transferOf ?? null;
      if (transferOf && (f.openTransfer || transfersHere.has(transferOf))) {
        throw enrollmentError("TRANSFER_PENDING", "a transfer of this enrollment is under way already; withdraw it to choose another group", { field: "groupId" });
      }
      const opened = openedHere.get(command.childId) ?? [];
      const decision = decideApplication(
        {
          group,
          certificate,
          categoryOrder: rules.categories,
          maxOpenApplications: rules.maxOpenApplications,
          childCategories: f.categories,
          openApplications: [...f.openApplications, ...opened],
          activeEnrollments: f.activeEnrollments,
          transferOf,
        },
        timeZone,
        now,
      );
      const campaign = campaignOf.get(group.id);
      if (campaign) throw inCampaign(campaign);
      const id = uuidv7({ msecs: now.getTime(), random: random.subarray(16 * k, 16 * k + 16) });
      planned.push({
        index,
        command,
        financingYear: decision.financingYear,
        row: {
          id,
          municipalityId: group.municipalityId,
          groupId: group.id,
          programId: group.programId,
          providerId: group.providerId,
          childId: command.childId,
          certificateId: certificate!.id,
          // The guardian who acts; an operator acting on a transfer keeps the guardian of the enrollment's application.
          guardianId: actor.role === "guardian" ? guardianOf(command) : transferOf ? await guardianOfEnrollment(tx, transferOf) : null,
          submittedBy: actor.subject,
          submittedRole: actor.role === "guardian" ? "guardian" : "operator",
          status: decision.status,
          reviewDueAt: calendar(now, `review ${timeZone} ${rules.providerReviewWorkingDays}`, () => reviewDeadline(now, timeZone, rules.providerReviewWorkingDays)),
          categoryCode: decision.categoryCode,
          categoryRank: decision.categoryRank,
          conversionRequestId: decision.financingYear === null ? null : id,
          transferOf,
          createdAt: now,
        },
      });
      openedHere.set(command.childId, [...opened, { programId: group.programId }]);
      if (transferOf) transfersHere.add(transferOf);
    } catch (error) {
      refuse(index, error);
    }
  }
  if (planned.length === 0) return outcomes;

  const threshold = NOTICE_DEFAULTS.positionThreshold;
  const inserted = new Map((await insertApplications(tx, planned.map((p) => p.row), threshold)).map((a) => [a.id, a]));
  if (inserted.size < planned.length) {
    // A group joined a campaign while this waited for its queue lock (the INSERT left its rows out).
    const missing = planned.find((p) => !inserted.has(p.row.id))!;
    if (commands.length > 1) throw new Error(`group ${missing.row.groupId} joined a campaign during the submission; submit one by one`);
    const campaign = await undrawnCampaignOfGroup(tx, missing.row.groupId);
    throw campaign ? inCampaign({ groupId: missing.row.groupId, campaignId: campaign.id, closesAt: campaign.closesAt }) : new Error(`application ${missing.row.id} was not inserted`);
  }

  const entries: OutboxEntry[] = [];
  const dirty = new Set<string>();
  // Per group, the latest submission whose application may be near the head.
  const nearHead = new Map<string, SubmitCommand>();
  for (const { index, command, row, financingYear } of planned) {
    const { aheadUpTo, ...application } = inserted.get(row.id)!;
    const envelope = { ...command.origin, municipalityId: application.municipalityId, aggregateId: application.id };
    entries.push(outboxEntry(ApplicationSubmitted, envelope, {
      ...refOf(application),
      status: row.status,
      categoryCode: row.categoryCode,
      categoryRank: row.categoryRank,
      acceptedAt: application.acceptedAtText,
      reviewDueAt: row.reviewDueAt.toISOString(),
      submittedBy: application.submittedRole,
    }, command.now));
    if (financingYear !== null) {
      // The application's id is the request id: the registry's answer names it.
      entries.push(outboxEntry(CertificateConversionRequested, { ...envelope, aggregateId: row.certificateId }, {
        certificateId: row.certificateId,
        requestId: application.id,
        year: financingYear,
      }, command.now));
    }
    if (!command.indexedAfterCommit) dirty.add(application.groupId);
    // A short queue, or a category ahead of the head's: the new application may be near the head
    // from the start. Otherwise the first `threshold` of the queue are the same as before it came
    // (it sorts after every application of its own or a higher category), and nobody is told.
    if (aheadUpTo < threshold) nearHead.set(application.groupId, command);
    outcomes[index] = { status: "fulfilled", value: application };
  }
  for (const groupId of [...dirty].sort()) await markQueueDirty(tx, groupId);
  await appendToOutbox(tx, entries);
  // Once per group for the whole call: its applications became visible together.
  for (const [groupId, command] of nearHead) await noticeApproachingPositions(tx, groupId, command.now, command.origin, threshold);
  return outcomes;
}

/**
 * Remembers, for one call, what depends only on the local calendar day: the applications of a
 * batch arrive within a second or so, and working it out again for each (the zone's wall clock
 * through Intl, holidays) took some 7 % of the service's CPU in the benchmark. A local day begins at a whole
 * minute of UTC (zone offsets are whole minutes), so within one UTC minute it is the same.
 */
function perLocalMinute() {
  const known = new Map<string, unknown>();
  return <T>(now: Date, what: string, compute: () => T): T => {
    const key = `${Math.floor(now.getTime() / 60_000)} ${what}`;
    if (known.has(key)) return known.get(key) as T;
    const value = compute();
    known.set(key, value);
    return value;
  };
}

function inCampaign(campaign: { groupId: string; campaignId: string; closesAt: Date }) {
  return enrollmentError(
    "GROUP_IN_CAMPAIGN",
    `the group's seats are allocated by campaign ${campaign.campaignId}: rank it there before ${campaign.closesAt.toISOString()}; after the draw it takes applications again`,
    { field: "groupId", campaignId: campaign.campaignId },
  );
}

/** An event for the outbox, built as `emit` builds it. */
function outboxEntry<C extends EventContract>(contract: C, origin: EventOrigin, data: z.input<C["data"]>, now: Date): OutboxEntry {
  return { topic: contract.topic, event: newEvent(contract, origin, data, now) };
}

/** The provider's decision on an application of its group. */
export async function reviewApplication(
  tx: PoolClient,
  applicationId: string,
  decision: "confirmed" | "rejected",
  comment: string | null,
  authorize: (a: ApplicationRow) => void,
  now: Date,
  origin: Origin,
): Promise<ApplicationRow> {
  const found = await findApplication(tx, applicationId);
  if (!found) throw enrollmentError("APPLICATION_NOT_FOUND", `no application ${applicationId}`);
  authorize(found);
  await lockGroupQueue(tx, found.groupId);
  const a = (await findApplication(tx, applicationId, true))!;
  if (a.review !== "pending") throw enrollmentError("REVIEW_DONE", `the application was reviewed already (${a.review})`);
  if (!(QUEUE_STATUSES as readonly string[]).includes(a.status)) throw enrollmentError("APPLICATION_TRANSITION", `the application is ${a.status}`);
  await setApplicationStatus(tx, a.id, decision === "rejected" ? { status: "rejected", review: "rejected" } : { review: "confirmed" }, now);
  await markQueueDirty(tx, a.groupId);
  await emit(tx, ApplicationReviewed, { ...origin, municipalityId: a.municipalityId, aggregateId: a.id }, { ...refOf(a), decision, comment }, now);
  if (decision === "rejected") await notifyApplicationRefused(tx, a, "ENROLLMENT.REJECTED_BY_PROVIDER", comment, now, origin);
  await fillSeats(tx, a.groupId, now, origin);
  return (await findApplication(tx, a.id))!;
}

/**
 * Past the review deadline the application moves on as if confirmed (`auto_confirmed`): it had
 * its place in the queue from submission, and now it may be offered a seat.
 */
export async function autoConfirmOverdueReviews(tx: PoolClient, groupId: string, now: Date, origin: Origin): Promise<number> {
  await lockGroupQueue(tx, groupId);
  const { rows } = await tx.query<{ id: string }>(
    `SELECT id FROM applications WHERE group_id = $1 AND review = 'pending' AND status = ANY($2) AND review_due_at <= $3 ORDER BY id FOR UPDATE`,
    [groupId, QUEUE_STATUSES, now],
  );
  for (const { id } of rows) {
    const a = (await findApplication(tx, id))!;
    await setApplicationStatus(tx, id, { review: "auto_confirmed" }, now);
    await emit(tx, ApplicationReviewed, { ...origin, municipalityId: a.municipalityId, aggregateId: id }, { ...refOf(a), decision: "auto_confirmed", comment: null }, now);
  }
  if (rows.length > 0) await fillSeats(tx, groupId, now, origin);
  return rows.length;
}

/** The family (or an operator for it) withdraws an application that has no enrollment yet. */
export async function withdrawApplication(tx: PoolClient, applicationId: string, authorize: (a: ApplicationRow) => Promise<void>, now: Date, origin: Origin): Promise<ApplicationRow> {
  const found = await findApplication(tx, applicationId);
  if (!found) throw enrollmentError("APPLICATION_NOT_FOUND", `no application ${applicationId}`);
  await authorize(found);
  await lockGroupQueue(tx, found.groupId);
  const a = (await findApplication(tx, applicationId, true))!;
  if (!(QUEUE_STATUSES as readonly string[]).includes(a.status)) {
    throw enrollmentError("APPLICATION_TRANSITION", `an application that is ${a.status} cannot be withdrawn${a.status === "offered" ? "; decline the offer instead" : ""}`);
  }
  await setApplicationStatus(tx, a.id, { status: "withdrawn" }, now);
  await markQueueDirty(tx, a.groupId);
  await emit(tx, ApplicationWithdrawn, { ...origin, municipalityId: a.municipalityId, aggregateId: a.id }, { ...refOf(a), reason: "family" }, now);
  await fillSeats(tx, a.groupId, now, origin);
  return (await findApplication(tx, a.id))!;
}

/**
 * The registry answered a financing request. Financed (or already financed): every application
 * of the certificate awaiting financing goes on waiting as `queued`, in the place it has held
 * since submission. Refused: those applications are refused and leave the queue.
 */
export async function settleFinancing(
  tx: PoolClient,
  certificateId: string,
  outcome: { financed: true } | { financed: false; reason: string },
  now: Date,
  origin: Origin,
): Promise<number> {
  const { rows } = await tx.query<{ id: string; groupId: string }>(
    `SELECT id, group_id AS "groupId" FROM applications WHERE certificate_id = $1 AND status = 'awaiting_financing'`,
    [certificateId],
  );
  await lockGroupQueues(tx, rows.map((r) => r.groupId));
  for (const { id } of rows) {
    const a = (await findApplication(tx, id, true))!;
    if (a.status !== "awaiting_financing") continue;
    const envelope = { ...origin, municipalityId: a.municipalityId, aggregateId: a.id };
    if (outcome.financed) {
      await setApplicationStatus(tx, a.id, { status: "queued" }, now);
      await emit(tx, ApplicationFinancingSettled, envelope, { ...refOf(a), certificateId }, now);
    } else {
      const detail = `the registry refused to finance the certificate (${outcome.reason}); a financed program needs a financed certificate`;
      await setApplicationStatus(tx, a.id, { status: "refused", refusalCode: "ENROLLMENT.FINANCING_REFUSED", refusalDetail: detail }, now);
      await emit(tx, ApplicationRefused, envelope, { ...refOf(a), reason: "ENROLLMENT.FINANCING_REFUSED", detail }, now);
      await notifyApplicationRefused(tx, a, "ENROLLMENT.FINANCING_REFUSED", null, now, origin);
    }
    await markQueueDirty(tx, a.groupId);
    await fillSeats(tx, a.groupId, now, origin);
  }
  return rows.length;
}

/**
 * Recompute the category rank of the child's waiting applications (a new proof, an expired one,
 * a new municipal order) and move them in their queues. The child's row is locked first, then
 * the groups' queue locks in order: the same order a submission takes them.
 */
export async function rerankChild(tx: PoolClient, childId: string, now: Date, origin: Origin): Promise<number> {
  await lockChild(tx, childId);
  const { rows } = await tx.query<{ id: string; groupId: string }>(
    `SELECT id, group_id AS "groupId" FROM applications WHERE child_id = $1 AND status = ANY($2)`,
    [childId, QUEUE_STATUSES],
  );
  await lockGroupQueues(tx, rows.map((r) => r.groupId));
  let moved = 0;
  for (const { id } of rows) {
    if (await rerankApplication(tx, id, now, origin)) moved++;
  }
  return moved;
}

/** Re-rank one waiting application; the caller holds its group's queue lock. */
export async function rerankApplication(tx: Queryable, applicationId: string, now: Date, origin: Origin): Promise<boolean> {
  const a = await findApplication(tx, applicationId, true);
  if (!a || !(QUEUE_STATUSES as readonly string[]).includes(a.status)) return false;
  const group = await findGroup(tx, a.groupId);
  const settings = group && (await findRules(tx, a.municipalityId, localDateOf(now, group.timeZone).year));
  if (!settings?.rules) return false;
  const best = bestCategory(settings.rules.categories, await categoriesOn(tx, a.childId, localDay(now, settings.timeZone)));
  if (best.rank === a.categoryRank && best.code === a.categoryCode) return false;
  await tx.query("UPDATE applications SET category_code = $2, category_rank = $3, updated_at = $4 WHERE id = $1", [a.id, best.code, best.rank, now]);
  await markQueueDirty(tx, a.groupId);
  await emit(tx, ApplicationReranked, { ...origin, municipalityId: a.municipalityId, aggregateId: a.id }, {
    ...refOf(a),
    fromCategoryCode: a.categoryCode,
    toCategoryCode: best.code,
    categoryRank: best.rank,
  }, now);
  // A higher category moves this application up (or others down): approaches are told, fallbacks forgotten.
  await noticeApproachingPositions(tx, a.groupId, now, origin);
  return true;
}

/**
 * The certificate closed or moved to another municipality: the child's open applications there
 * are withdrawn (an open offer lapses as declined) and their seats pass on.
 */
export async function withdrawOpenApplicationsOfCertificate(
  tx: PoolClient,
  certificateId: string,
  reason: "certificate_closed" | "certificate_moved",
  now: Date,
  origin: Origin,
): Promise<number> {
  const { rows } = await tx.query<{ id: string; groupId: string }>(
    `SELECT id, group_id AS "groupId" FROM applications WHERE certificate_id = $1 AND status = ANY($2)`,
    [certificateId, OPEN_STATUSES],
  );
  return withdrawOpen(tx, rows, reason, now, origin);
}

/**
 * The group closed (its provider closed it, or the program was withdrawn): its open applications
 * are withdrawn and its open offers lapse, as when a certificate closes. The families are told
 * with an "application refused" notice (ENROLLMENT.GROUP_CLOSED): unlike a closed certificate,
 * nothing else tells them that the group they wait for is gone. The caller holds the queue lock.
 */
export async function withdrawOpenApplicationsOfGroup(tx: PoolClient, groupId: string, now: Date, origin: Origin): Promise<number> {
  const { rows } = await tx.query<{ id: string; groupId: string }>(
    `SELECT id, group_id AS "groupId" FROM applications WHERE group_id = $1 AND status = ANY($2) ORDER BY id`,
    [groupId, OPEN_STATUSES],
  );
  return withdrawOpen(tx, rows, "group_closed", now, origin);
}

async function withdrawOpen(
  tx: PoolClient,
  rows: readonly { id: string; groupId: string }[],
  reason: "certificate_closed" | "certificate_moved" | "group_closed",
  now: Date,
  origin: Origin,
): Promise<number> {
  await lockGroupQueues(tx, rows.map((r) => r.groupId));
  for (const { id } of rows) {
    const a = (await findApplication(tx, id, true))!;
    if (!(OPEN_STATUSES as readonly string[]).includes(a.status)) continue;
    const envelope = { ...origin, municipalityId: a.municipalityId, aggregateId: a.id };
    if (a.status === "offered") {
      const { rows: offers } = await tx.query<{ id: string }>(
        "UPDATE offers SET status = 'declined', decided_at = $2, decided_by = 'system' WHERE application_id = $1 AND status = 'open' RETURNING id",
        [a.id, now],
      );
      for (const offer of offers) await emit(tx, OfferLapsed, envelope, { ...refOf(a), offerId: offer.id, reason: "declined" }, now);
    }
    await setApplicationStatus(tx, a.id, { status: "withdrawn" }, now);
    await markQueueDirty(tx, a.groupId);
    await emit(tx, ApplicationWithdrawn, envelope, { ...refOf(a), reason }, now);
    if (reason === "group_closed") await notifyApplicationRefused(tx, a, "ENROLLMENT.GROUP_CLOSED", null, now, origin);
  }
  for (const groupId of new Set(rows.map((r) => r.groupId))) await fillSeats(tx, groupId, now, origin);
  return rows.length;
}
