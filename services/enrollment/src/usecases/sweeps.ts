import type { Pool } from "@kruzhok/postgres";
import { withTransaction } from "@kruzhok/postgres";
import { lockGroupQueue } from "../store/applications";
import { groupsWithOffersToWarn } from "../store/notifications";
import { groupsWithExpiredOffers } from "../store/offers";
import { autoConfirmOverdueReviews } from "./applications";
import { closedGroupsPastEnd, completeEnrollmentsOfClosedGroup } from "./groups";
import { NOTICE_DEFAULTS, warnExpiringOffers } from "./notifications";
import { expireOffers } from "./offers";

export interface SweepResult {
  expiredOffers: number;
  autoConfirmed: number;
  /** Offers whose families were reminded that the deadline is near. */
  expiringNotices: number;
  /** Enrollments of closed groups completed because the group's end date is over. */
  completedEnrollments: number;
}

export interface SweepOptions {
  /** How long before an offer's deadline its family is reminded. */
  offerExpiringLeadMs?: number;
}

/**
 * The periodic work, as one function of `now` (main.ts runs it on an interval; tests and the
 * operator endpoint call it directly): offers past their deadline expire and pass their seats
 * on; applications past their review deadline move on as auto-confirmed; families whose offer
 * expires within the lead are reminded, once per offer; enrollments of closed groups whose end
 * date is over complete. One transaction per group, so one busy
 * group does not hold the others.
 */
export async function sweep(pool: Pool, now: Date, options: SweepOptions = {}): Promise<SweepResult> {
  let expiredOffers = 0;
  let autoConfirmed = 0;
  let expiringNotices = 0;
  for (const groupId of await groupsWithExpiredOffers(pool, now)) {
    expiredOffers += await withTransaction(pool, (tx) => expireOffers(tx, groupId, now, {}));
  }
  const { rows } = await pool.query<{ groupId: string }>(
    `SELECT DISTINCT group_id AS "groupId" FROM applications
      WHERE review = 'pending' AND status IN ('awaiting_financing', 'queued') AND review_due_at <= $1 ORDER BY 1`,
    [now],
  );
  for (const { groupId } of rows) {
    autoConfirmed += await withTransaction(pool, (tx) => autoConfirmOverdueReviews(tx, groupId, now, {}));
  }
  const leadMs = options.offerExpiringLeadMs ?? NOTICE_DEFAULTS.offerExpiringLeadMs;
  for (const groupId of await groupsWithOffersToWarn(pool, now, leadMs)) {
    expiringNotices += await withTransaction(pool, async (tx) => {
      // The queue lock orders the reminder with the offer's acceptance, decline or expiry.
      await lockGroupQueue(tx, groupId);
      return warnExpiringOffers(tx, groupId, now, {}, leadMs);
    });
  }
  let completedEnrollments = 0;
  for (const groupId of await closedGroupsPastEnd(pool, now)) {
    completedEnrollments += await withTransaction(pool, (tx) => completeEnrollmentsOfClosedGroup(tx, groupId, now, {}));
  }
  return { expiredOffers, autoConfirmed, expiringNotices, completedEnrollments };
}
