import type { Pool } from "@kruzhok/postgres";
import { withTransaction } from "@kruzhok/postgres";
import { lockGroupQueue } from "../store/applications";
import { groupsWithOffersToWarn } from "../store/notifications";
import { groupsWithExpiredOffers } from "../store/offers";
import { autoConfirmOverdueReviews, rerankChild } from "./applications";
import { drawDueCampaigns } from "./campaigns";
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
  /** Allocation campaigns closed and drawn because their window is over. */
  drawnCampaigns: number;
  /** Waiting applications moved because a category's proof ran out or came into force. */
  reranked: number;
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
 * date is over complete; children whose category ran out (or came into force) today move in
 * their queues; campaigns whose window is over are closed and drawn. One transaction
 * per group (two per campaign: the close, then the draw), so one busy
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
  let reranked = 0;
  for (const childId of await childrenWithCategoryChangesOn(pool, now)) {
    reranked += await withTransaction(pool, (tx) => rerankChild(tx, childId, now, {}));
  }
  const drawnCampaigns = await drawDueCampaigns(pool, now);
  return { expiredOffers, autoConfirmed, expiringNotices, completedEnrollments, drawnCampaigns, reranked };
}

/**
 * Children with a waiting application whose ranking category is no longer the best one in force
 * on today's local date of the municipality: its proof ran out (a low-income proof lasts a year),
 * or a better category's validity began. Nothing announces these dates as they pass, so the
 * sweep looks for them; `rerankChild` then decides exactly as for a changed proof.
 */
async function childrenWithCategoryChangesOn(pool: Pool, now: Date): Promise<string[]> {
  const { rows } = await pool.query<{ childId: string }>(
    `WITH waiting AS (
       SELECT DISTINCT a.child_id, a.category_code, a.category_rank, a.municipality_id,
              (($1::timestamptz) AT TIME ZONE m.time_zone)::date AS today
         FROM applications a JOIN municipalities m ON m.id = a.municipality_id
        WHERE a.status IN ('awaiting_financing', 'queued')
     ),
     best AS (
       SELECT w.child_id, w.category_code, w.category_rank,
              (SELECT min(array_position(y.categories, k.code)) - 1
                 FROM child_categories k
                 JOIN LATERAL (SELECT categories FROM municipality_years
                                WHERE municipality_id = w.municipality_id AND year <= extract(year FROM w.today)
                                ORDER BY year DESC LIMIT 1) y ON true
                WHERE k.child_id = w.child_id AND array_position(y.categories, k.code) IS NOT NULL
                  AND (k.valid_from IS NULL OR k.valid_from <= w.today) AND (k.valid_until IS NULL OR k.valid_until >= w.today)) AS best_rank
         FROM waiting w
     )
     SELECT DISTINCT child_id AS "childId" FROM best
      WHERE (category_code IS NULL AND best_rank IS NOT NULL)
         OR (category_code IS NOT NULL AND (best_rank IS NULL OR best_rank <> category_rank))
      ORDER BY 1`,
    [now],
  );
  return rows.map((r) => r.childId);
}
