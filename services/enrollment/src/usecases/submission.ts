import { randomBytes } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import type { z } from "zod";
import { requireBasis, requireMunicipality, type Actor } from "@kruzhok/actor";
import { ApplicationSubmitted, CertificateConversionRequested, type EventContract } from "@kruzhok/contracts";
import { appendToOutbox, newEvent, type Cause, type EventOrigin, type OutboxEntry } from "@kruzhok/messaging";
import { onCommit, type PoolClient } from "@kruzhok/postgres";
import { localDateOf } from "@kruzhok/time";
import { applicationRef, decideApplication, decideIntake, groupInCampaign, type CampaignHold } from "../domain/application";
import { localDay, reviewDeadline } from "../domain/deadlines";
import { workingCalendar, type WorkingCalendar } from "../domain/holidays";
import { inForceOn } from "../domain/settings";
import { enrollmentError } from "../domain/errors";
import { guardianOfEnrollment, type ApplicationRow, type NewApplicationRow } from "../store/applications";
import { undrawnCampaignOfGroup } from "../store/campaigns";
import { findEnrollment } from "../store/enrollments";
import type { GroupRow } from "../store/projections";
import { applicantFacts, insertApplications, startSubmissions, type ApplicantFacts } from "../store/submission";
import { submissionSettings } from "../store/settings";
import { insertFamilyActs } from "../store/audit";
import { familyActOf, requireFamily } from "./access";
import { addToIndex, type Log, type QueueIndexDeps } from "./indexing";
import { NOTICE_DEFAULTS, noticeApproachingPositions } from "./notifications";
import type { PositionLookups } from "./positions";

// The submission of applications: a family (or an operator for it) applies for a child to a
// group. Many submissions share a transaction (usecases/submission-batcher.ts), so every step
// below handles a list with a statement or two whatever its length, and decides each
// application as if it had been submitted alone, after the ones before it.

export interface SubmitCommand {
  childId: string;
  groupId: string;
  /**
   * A transfer: the child's active enrollment it leaves. The new application reuses the child's
   * certificate and guardian; the same-program and schedule rules ignore that enrollment, which
   * continues until the new enrollment starts (see acceptOffer).
   */
  transferOf?: string | undefined;
}

/** One application to submit: who asks, for what, when, and what caused it. */
export interface Submission {
  actor: Actor;
  command: SubmitCommand;
  now: Date;
  cause: Cause;
  /** Where a failure after COMMIT is told (the request's log); the deps' log otherwise. */
  log?: Log | undefined;
  /**
   * A campaign's draw applies for the family that filed its choices: the operator who filed them
   * for a family stated the basis then (its trail holds it); nobody acts for the family now.
   */
  byCampaign?: string | undefined;
}

/** What a submission needs besides its transaction: the queue index, and the position lookups it teaches. */
export interface SubmissionDeps extends QueueIndexDeps {
  positions: PositionLookups;
}

/** Submit one application in the caller's transaction: `submitApplications` with its refusal thrown. */
export async function submitApplication(tx: PoolClient, deps: SubmissionDeps, submission: Submission): Promise<ApplicationRow> {
  return settled(await submitApplications(tx, deps, [submission]));
}

/**
 * Submit several applications in the caller's transaction (`writeApplications`); each one
 * accepted is, once the transaction commits, added to the Redis queue index (its group marked
 * dirty if that fails) and learnt by the position lookups, so that the family's first lookup
 * needs no Postgres query.
 */
export async function submitApplications(tx: PoolClient, deps: SubmissionDeps, submissions: readonly Submission[]): Promise<PromiseSettledResult<ApplicationRow>[]> {
  const outcomes = await writeApplications(tx, submissions);
  outcomes.forEach((outcome, index) => {
    if (outcome.status === "rejected") return;
    const { actor, log } = submissions[index]!;
    const application = outcome.value;
    onCommit(tx, async () => {
      await addToIndex({ ...deps, log: log ?? deps.log }, application);
      deps.positions.learnSubmitted(application, actor.role === "guardian" ? actor.guardianId : undefined);
    });
  });
  return outcomes;
}

/**
 * The family (or an operator for it) moves the child from its enrollment to another group: an
 * application reusing the child's certificate, which queues as any other; the enrollment ends
 * when the new one starts.
 */
export async function requestTransfer(
  tx: PoolClient,
  deps: SubmissionDeps,
  actor: Actor,
  command: { enrollmentId: string; groupId: string },
  now: Date,
  cause: Cause,
): Promise<ApplicationRow> {
  const enrollment = await findEnrollment(tx, command.enrollmentId);
  if (!enrollment) throw enrollmentError("ENROLLMENT_NOT_FOUND", `no enrollment ${command.enrollmentId}`);
  await requireFamily(tx, actor, enrollment);
  return submitApplication(tx, deps, { actor, command: { childId: enrollment.childId, groupId: command.groupId, transferOf: enrollment.id }, now, cause });
}

/** Decide and write one application in the caller's transaction: `writeApplications` with its refusal thrown. */
export async function writeApplication(tx: PoolClient, submission: Submission): Promise<ApplicationRow> {
  return settled(await writeApplications(tx, [submission]));
}

/**
 * Decide and write several applications in the caller's transaction, in a few statements
 * whatever their number (store/submission.ts), and announce each (outbox, position notices).
 * The Redis index is the caller's: `submitApplications` adds the new members after COMMIT; the
 * campaign draw, whose transaction changes the queues further, has its groups copied whole.
 *
 * Every check runs under the children's row locks (so two concurrent submissions of one child
 * cannot both pass the cap or the same-program rule); the groups' queue locks are taken after
 * them and held until COMMIT, and the INSERT stamps `accepted_at` with the database clock row by
 * row under them: so in each group the order of accepted_at is the order in which applications
 * became visible.
 *
 * Outcomes come back in the order of `submissions`, one each, as if the applications had been
 * submitted one after another in that order: an application of this call counts as open for the
 * ones of the same child after it. A refusal is that application's outcome (nothing is written
 * for it), not an error of the call; the call throws only when the database does, or when a group
 * joined a campaign while this waited for its lock and several applications were submitted (the
 * caller then knows nothing was written, and submits them one by one).
 */
export async function writeApplications(tx: PoolClient, submissions: readonly Submission[]): Promise<PromiseSettledResult<ApplicationRow>[]> {
  const outcomes = new Outcomes<ApplicationRow>(submissions.length);
  const calendar = perLocalMinute();
  const admitted = await admit(tx, submissions, outcomes);
  if (admitted.length === 0) return outcomes.all();
  const facts = await readFacts(tx, admitted, calendar);
  const settings = await readSettings(tx, admitted, calendar);
  const planned = decideInOrder(admitted, facts, outcomes, calendar, settings);
  if (planned.length === 0) return outcomes.all();
  const written = await insert(tx, planned, submissions.length, settings);
  await announce(tx, written, outcomes, settings);
  return outcomes.all();
}

/** One outcome per submission, in their order: a refusal, or what was written. */
class Outcomes<T> {
  private readonly outcomes: PromiseSettledResult<T>[];
  constructor(length: number) {
    this.outcomes = new Array<PromiseSettledResult<T>>(length);
  }
  refuse(index: number, reason: unknown): void {
    this.outcomes[index] = { status: "rejected", reason };
  }
  fulfil(index: number, value: T): void {
    this.outcomes[index] = { status: "fulfilled", value };
  }
  all(): PromiseSettledResult<T>[] {
    return this.outcomes;
  }
}

/** The one outcome of a single submission, its refusal thrown. */
function settled(outcomes: readonly PromiseSettledResult<ApplicationRow>[]): ApplicationRow {
  const [outcome] = outcomes;
  if (!outcome) throw new Error("a submission came back without an outcome");
  if (outcome.status === "rejected") throw outcome.reason;
  return outcome.value;
}

/** A submission that passed `admit`: its group, and the zone of the group's municipality. */
interface Admitted {
  index: number;
  submission: Submission;
  group: GroupRow;
  zone: string;
}

/**
 * Step 1, under the children's row locks (taken here, in id order): the group exists, the actor
 * may apply for the child there (their municipality; a guardian only for their own child), and
 * enrollment knows the child and the municipality (`decideIntake`).
 */
async function admit(tx: PoolClient, submissions: readonly Submission[], outcomes: Outcomes<ApplicationRow>): Promise<Admitted[]> {
  const starts = await startSubmissions(
    tx,
    submissions.map(({ actor, command }) => ({ childId: command.childId, groupId: command.groupId, guardianId: actor.role === "guardian" ? (actor.guardianId ?? null) : null })),
  );
  const admitted: Admitted[] = [];
  submissions.forEach((submission, index) => {
    try {
      const { actor, command } = submission;
      const start = starts[index]!;
      const { group } = start;
      if (!group) {
        throw enrollmentError("GROUP_NOT_FOUND", `no group ${command.groupId}; if the provider opened it just now, enrollment has not heard of it yet: retry with the same Idempotency-Key in a moment`, {
          field: "groupId",
          awaitingNews: true,
        });
      }
      requireMunicipality(actor, group.municipalityId);
      if (actor.role === "guardian" && !start.isGuardian) {
        throw enrollmentError("NOT_YOUR_CHILD", "you may apply only for a child whose guardian you are", { field: "childId" });
      }
      // An operator applying for a family states the basis (written to the family's trail in step 5).
      if (!submission.byCampaign) requireBasis(actor);
      const zone = decideIntake({ childKnown: start.childLocked, municipalityZone: start.municipalityZone });
      admitted.push({ index, submission, group, zone });
    } catch (error) {
      outcomes.refuse(index, error);
    }
  });
  return admitted;
}

/** What the decision of an admitted submission reads. */
interface Facts {
  applicant: ApplicantFacts;
  /** A transfer an operator submits keeps the guardian of the enrollment's application. */
  transferGuardian: string | null;
}

/**
 * Step 2: the queue locks of every group still in play, in one order (as `lockGroupQueues`),
 * then each applicant's facts read under them, and the groups among them that a campaign not yet
 * drawn holds.
 */
async function readFacts(tx: PoolClient, admitted: readonly Admitted[], calendar: Calendar): Promise<{ facts: Facts[]; campaigns: Map<string, CampaignHold> }> {
  const { facts, campaigns } = await applicantFacts(
    tx,
    admitted.map(({ submission: { command, now }, group, zone }) => ({
      childId: command.childId,
      municipalityId: group.municipalityId,
      year: calendar(now, `year ${group.timeZone}`, () => localDateOf(now, group.timeZone).year),
      localDay: calendar(now, `day ${zone}`, () => localDay(now, zone)),
      transferOf: command.transferOf ?? null,
    })),
    [...new Set(admitted.map((s) => s.group.id))].sort(),
  );
  const withGuardians: Facts[] = [];
  for (const [k, { submission }] of admitted.entries()) {
    const { actor, command } = submission;
    const transferGuardian = actor.role !== "guardian" && command.transferOf ? await guardianOfEnrollment(tx, command.transferOf) : null;
    withGuardians.push({ applicant: facts[k]!, transferGuardian });
  }
  return { facts: withGuardians, campaigns: new Map(campaigns.map((c) => [c.groupId, c])) };
}

/**
 * What the municipalities of the batch set for themselves, as in force when each application is
 * submitted: the position threshold on its local day (the moment its family may be told), and the
 * working calendar whose every day counts as the version in force on that day has it (a deadline
 * runs over days ahead, and a version already set for them says what they are).
 */
interface BatchSettings {
  threshold(municipalityId: string, localDay: string): number;
  calendarOf(municipalityId: string, zone: string, now: Date): WorkingCalendar;
}

/** One query for the batch's municipalities: a municipality with no version in force gets today's defaults. */
async function readSettings(tx: PoolClient, admitted: readonly Admitted[], calendar: Calendar): Promise<BatchSettings> {
  const years = [...new Set(admitted.flatMap(({ submission: { now }, zone }) => [localDateOf(now, zone).year, localDateOf(now, zone).year + 1]))];
  // Each municipality's earliest local day of the batch: the versions in force from it on.
  const since = new Map<string, string>();
  for (const { submission: { now }, group, zone } of admitted) {
    const day = calendar(now, `day ${zone}`, () => localDay(now, zone));
    const known = since.get(group.municipalityId);
    if (known === undefined || day < known) since.set(group.municipalityId, day);
  }
  const found = await submissionSettings(tx, [...since].map(([municipalityId, day]) => ({ municipalityId, since: day })), years);
  return {
    threshold: (municipalityId, day) => inForceOn(found.get(municipalityId)?.notices ?? [], day)?.positionThreshold ?? NOTICE_DEFAULTS.positionThreshold,
    calendarOf: (municipalityId, zone, now) => {
      const year = localDateOf(now, zone).year;
      return workingCalendar(zone, [year, year + 1], found.get(municipalityId)?.calendars ?? []);
    },
  };
}

/** An application decided, ready to be written. */
interface Planned {
  index: number;
  submission: Submission;
  /** The submission's local day in its municipality's zone. */
  localDay: string;
  row: NewApplicationRow & { createdAt: Date };
  financingYear: number | null;
}

/**
 * Step 3: each admitted submission decided (`decideApplication`) in order; what an earlier one
 * of this call opened (an application, a transfer), the later ones of the same child see.
 */
function decideInOrder(
  admitted: readonly Admitted[],
  { facts, campaigns }: { facts: readonly Facts[]; campaigns: ReadonlyMap<string, CampaignHold> },
  outcomes: Outcomes<ApplicationRow>,
  calendar: Calendar,
  settings: BatchSettings,
): Planned[] {
  const openedHere = new Map<string, { programId: string }[]>();
  const transfersHere = new Set<string>();
  const planned: Planned[] = [];
  // The ids' random bits for the whole call at once: uuid draws them through WebCrypto one id at a time otherwise.
  const random = randomBytes(16 * admitted.length);
  for (const [k, { index, submission, group, zone }] of admitted.entries()) {
    try {
      const { actor, command, now } = submission;
      const { applicant, transferGuardian } = facts[k]!;
      const { rules, certificate } = applicant;
      const transferOf = command.transferOf ?? null;
      const opened = openedHere.get(command.childId) ?? [];
      const decision = decideApplication(
        {
          group,
          certificate,
          rules: rules && { categoryOrder: rules.categories, maxOpenApplications: rules.maxOpenApplications },
          childCategories: applicant.categories,
          openApplications: [...applicant.openApplications, ...opened],
          activeEnrollments: applicant.activeEnrollments,
          transferOf,
          transferPending: transferOf !== null && (applicant.openTransfer !== undefined || transfersHere.has(transferOf)),
          campaign: campaigns.get(group.id),
        },
        zone,
        now,
      );
      const reviewDays = rules!.providerReviewWorkingDays;
      const id = uuidv7({ msecs: now.getTime(), random: random.subarray(16 * k, 16 * k + 16) });
      planned.push({
        index,
        submission,
        localDay: calendar(now, `day ${zone}`, () => localDay(now, zone)),
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
          guardianId: actor.role === "guardian" ? (actor.guardianId ?? null) : transferGuardian,
          submittedBy: actor.subject,
          submittedRole: actor.role === "guardian" || actor.role === "provider" ? actor.role : "operator",
          status: decision.status,
          reviewDueAt: calendar(now, `review ${group.municipalityId} ${reviewDays}`, () =>
            reviewDeadline(now, zone, reviewDays, settings.calendarOf(group.municipalityId, zone, now)),
          ),
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
      outcomes.refuse(index, error);
    }
  }
  return planned;
}

/** An application written, with how many waited ahead of it in its group (up to the notice threshold). */
interface Written extends Planned {
  application: ApplicationRow;
  aheadUpTo: number;
}

/**
 * Step 4: the INSERT. A group that joined a campaign while this waited for its queue lock has
 * its rows left out: with several submissions nothing is kept (the caller submits them one by
 * one); a lone one is refused as any application to a campaign's group.
 */
async function insert(tx: PoolClient, planned: readonly Planned[], submitted: number, settings: BatchSettings): Promise<Written[]> {
  // Counted up to the largest threshold of the batch: each row is then judged by its own municipality's.
  const upTo = Math.max(...planned.map((p) => settings.threshold(p.row.municipalityId, p.localDay)));
  const inserted = new Map((await insertApplications(tx, planned.map((p) => p.row), upTo)).map((a) => [a.id, a]));
  const missing = planned.find((p) => !inserted.has(p.row.id));
  if (missing) {
    if (submitted > 1) throw new Error(`group ${missing.row.groupId} joined a campaign during the submission; submit one by one`);
    const campaign = await undrawnCampaignOfGroup(tx, missing.row.groupId);
    throw campaign ? groupInCampaign({ groupId: missing.row.groupId, campaignId: campaign.id, closesAt: campaign.closesAt }) : new Error(`application ${missing.row.id} was not inserted`);
  }
  return planned.map((p) => {
    const { aheadUpTo, ...application } = inserted.get(p.row.id)!;
    return { ...p, application, aheadUpTo };
  });
}

/**
 * Step 5: the events (ApplicationSubmitted; CertificateConversionRequested when the program
 * needs financing the certificate does not have) in one outbox write, and the families now near
 * the head of a queue told, once per group for the whole call.
 */
async function announce(tx: PoolClient, written: readonly Written[], outcomes: Outcomes<ApplicationRow>, settings: BatchSettings): Promise<void> {
  const entries: OutboxEntry[] = [];
  // Per group, the latest submission whose application may be near the head, and the group's municipality's threshold.
  const nearHead = new Map<string, Submission & { threshold: number }>();
  for (const { index, submission, localDay: day, row, financingYear, application, aheadUpTo } of written) {
    const { now, cause } = submission;
    const origin = { ...cause, municipalityId: application.municipalityId, aggregateId: application.id };
    entries.push(outboxEntry(ApplicationSubmitted, origin, {
      ...applicationRef(application),
      status: row.status,
      acceptedAt: application.acceptedAtText,
      reviewDueAt: row.reviewDueAt.toISOString(),
      submittedBy: application.submittedRole,
    }, now));
    if (financingYear !== null) {
      // The application's id is the request id: the registry's answer names it.
      entries.push(outboxEntry(CertificateConversionRequested, { ...origin, aggregateId: row.certificateId }, {
        certificateId: row.certificateId,
        requestId: application.id,
        year: financingYear,
      }, now));
    }
    // A short queue, or a category ahead of the head's: the new application may be near the head
    // from the start. Otherwise the first `threshold` of the queue are the same as before it came
    // (it sorts after every application of its own or a higher category), and nobody is told.
    const threshold = settings.threshold(application.municipalityId, day);
    if (aheadUpTo < threshold) nearHead.set(application.groupId, { ...submission, threshold });
    outcomes.fulfil(index, application);
  }
  await appendToOutbox(tx, entries);
  // What operators applied for families, in their trails (the basis was required in step 1).
  await insertFamilyActs(
    tx,
    written.flatMap(({ submission, application }) => {
      if (submission.actor.role === "guardian" || submission.byCampaign) return [];
      const act = familyActOf(submission.actor, application, { action: "application.submitted", subjectId: application.id, now: submission.now });
      return act ? [act] : [];
    }),
  );
  // Once per group for the whole call: its applications became visible together.
  for (const [groupId, { now, cause, threshold }] of nearHead) await noticeApproachingPositions(tx, groupId, now, cause, threshold);
}

/** An event for the outbox, built as `emit` builds it. */
function outboxEntry<C extends EventContract>(contract: C, origin: EventOrigin, data: z.input<C["data"]>, now: Date): OutboxEntry {
  return { topic: contract.topic, event: newEvent(contract, origin, data, now) };
}

type Calendar = <T>(now: Date, what: string, compute: () => T) => T;

/**
 * Remembers, for one call, what depends only on the local calendar day: the applications of a
 * batch arrive within a second or so, and working it out again for each (the zone's wall clock
 * through Intl, holidays) was a measurable share of the service's CPU on an opening day
 * (BENCHMARKS.md). A local day begins at a whole minute of UTC (zone offsets are whole
 * minutes), so within one UTC minute it is the same.
 */
function perLocalMinute(): Calendar {
  const known = new Map<string, unknown>();
  return <T>(now: Date, what: string, compute: () => T): T => {
    const key = `${Math.floor(now.getTime() / 60_000)} ${what}`;
    if (known.has(key)) return known.get(key) as T;
    const value = compute();
    known.set(key, value);
    return value;
  };
}
