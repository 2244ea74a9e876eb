import { actorError, requireRole, type Actor } from "@kruzhok/actor";
import { withTransaction, type Pool } from "@kruzhok/postgres";
import { childrenWithCategoryChangesOn, groupsWithOverdueReviews, lockGroupQueue } from "../store/applications";
import { closedGroupsPastEnd, enrollmentsDueToLeave } from "../store/enrollments";
import { groupsWithOffersToWarn } from "../store/notifications";
import { groupsWithExpiredOffers } from "../store/offers";
import { ofRegion, type RegionScoped } from "../store/regions";
import { autoConfirmOverdueReviews, rerankChild } from "./applications";
import { drawDueCampaigns } from "./campaigns";
import { completeEnrollmentsOfClosedGroup } from "./groups";
import { NOTICE_DEFAULTS, warnExpiringOffers } from "./notifications";
import { endLeftEnrollment, expireOffers } from "./offers";

export interface SweepResult {
  expiredOffers: number;
  autoConfirmed: number;
  /** Offers whose families were reminded that the deadline is near. */
  expiringNotices: number;
  /** Enrollments of closed groups completed because the group's end date is over. */
  completedEnrollments: number;
  /** Allocation campaigns closed and drawn because their window is over. */
  drawnCampaigns: number;
  /** Waiting applications moved because a category's proof ran out or came into force. */
  reranked: number;
  /** Enrollments left for a transfer, ended because their last day (the day before the new group starts) is over. */
  leftEnrollments: number;
}

export interface SweepOptions {
  /** How long before an offer's deadline its family is reminded, whatever the municipalities set (unset: each municipality's setting). */
  offerExpiringLeadMs?: number;
  /** Only the due work of this region's municipalities (a region official's sweep); all of it otherwise. */
  regionCode?: string;
}

/**
 * The periodic work, as one function of `now` (main.ts runs it on an interval; tests and the
 * operator endpoint call it directly): offers past their deadline expire and pass their seats
 * on; applications past their review deadline move on as auto-confirmed; families whose offer
 * expires within the lead are reminded, once per offer; enrollments of closed groups whose end
 * date is over complete; children whose category ran out (or came into force) today move in
 * their queues; campaigns whose window is over are closed and drawn. One transaction
 * per group (two per campaign: the close, then the draw), so one busy
 * group does not hold the others.
 */
export async function sweep(pool: Pool, now: Date, options: SweepOptions = {}): Promise<SweepResult> {
  const { regionCode } = options;
  const scoped = async (kind: RegionScoped, ids: Promise<string[]>) => (regionCode === undefined ? ids : ofRegion(pool, kind, await ids, regionCode));
  let expiredOffers = 0;
  let autoConfirmed = 0;
  let expiringNotices = 0;
  for (const groupId of await scoped("groups", groupsWithExpiredOffers(pool, now))) {
    expiredOffers += await withTransaction(pool, (tx) => expireOffers(tx, groupId, now, {}));
  }
  for (const groupId of await scoped("groups", groupsWithOverdueReviews(pool, now))) {
    autoConfirmed += await withTransaction(pool, (tx) => autoConfirmOverdueReviews(tx, groupId, now, {}));
  }
  const leadMs = options.offerExpiringLeadMs;
  for (const groupId of await scoped("groups", groupsWithOffersToWarn(pool, now, { overrideMs: leadMs, defaultMs: NOTICE_DEFAULTS.offerExpiringLeadMs }))) {
    expiringNotices += await withTransaction(pool, async (tx) => {
      // The queue lock orders the reminder with the offer's acceptance, decline or expiry.
      await lockGroupQueue(tx, groupId);
      return warnExpiringOffers(tx, groupId, now, {}, leadMs);
    });
  }
  let completedEnrollments = 0;
  for (const groupId of await scoped("groups", closedGroupsPastEnd(pool, now))) {
    completedEnrollments += await withTransaction(pool, (tx) => completeEnrollmentsOfClosedGroup(tx, groupId, now, {}));
  }
  const leaving = await enrollmentsDueToLeave(pool, now);
  const leavingInScope = new Set(await scoped("groups", Promise.resolve([...new Set(leaving.map((d) => d.groupId))])));
  let leftEnrollments = 0;
  for (const due of leaving.filter((d) => leavingInScope.has(d.groupId))) {
    leftEnrollments += await withTransaction(pool, (tx) => endLeftEnrollment(tx, due, now));
  }
  // Nothing announces a category's proof running out or one coming into force: the sweep looks
  // for them, and `rerankChild` decides exactly as for a changed proof.
  let reranked = 0;
  for (const childId of await scoped("children", childrenWithCategoryChangesOn(pool, now))) {
    reranked += await withTransaction(pool, (tx) => rerankChild(tx, childId, now, {}));
  }
  const drawnCampaigns = await drawDueCampaigns(pool, now, (ids) => scoped("campaigns", Promise.resolve(ids)));
  return { expiredOffers, autoConfirmed, expiringNotices, completedEnrollments, drawnCampaigns, reranked, leftEnrollments };
}

/**
 * A region official runs the sweep now rather than at its next interval, over its own region's
 * municipalities (another region's due work waits for that region's sweep, or the interval's).
 */
export async function sweepNow(pool: Pool, actor: Actor, now: Date): Promise<SweepResult> {
  const { regionCode } = requireRole(actor, "region");
  // The kit refuses a region token without its region; an actor made by hand without one reaches nothing.
  if (regionCode === undefined) throw actorError("AUTH.OTHER_REGION", "Your sign-in names no region");
  return sweep(pool, now, { regionCode });
}
