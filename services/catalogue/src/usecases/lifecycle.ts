import { CertificationExpiring } from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import { daysBetween, parseLocalDate } from "@kruzhok/time";
import { announceGroupClosed } from "../store/announcements";
import { markGroupClosed } from "../store/groups";
import { certificationsToWarn, endedGroups, markWarned } from "../store/lifecycle";
import type { CatalogueDeps } from "../deps";
import { inTransaction } from "./transaction";

/** Days before a certification's last day that its provider is warned. */
export const CERTIFICATION_WARNING_DAYS = 30;

/**
 * One round of what ends by the calendar, each in its municipality's zone:
 * - a group whose last day is over closes (out of search, no applications), announced, so that
 *   enrollment completes its enrollments and attendance stops making lessons;
 * - a financed program's provider is warned 30 days before its certification's last day (once per
 *   certification: a renewed one is warned of again). From the day after it, search shows its
 *   groups taking no applications and enrollment refuses certificate applications and contracts,
 *   each by the local date itself.
 * Rows are claimed with SKIP LOCKED: two catalogues sweeping share the work.
 */
export async function sweepCalendar(deps: CatalogueDeps, options: { batch?: number } = {}): Promise<{ groupsClosed: number; warned: number }> {
  const batch = options.batch ?? 500;
  const cause: Cause = {};
  const total = { groupsClosed: 0, warned: 0 };
  for (;;) {
    const round = await inTransaction(deps, cause, async (write) => {
      const { tx, now } = write;
      const ended = await endedGroups(tx, now, batch);
      for (const group of ended) {
        if (!(await markGroupClosed(tx, group.groupId, now))) continue;
        // A draft's groups were never announced; a withdrawn program's were closed with it.
        if (group.programStatus !== "published") continue;
        const { groupId, programId, providerId, municipalityId } = group;
        await announceGroupClosed(tx, { groupId, programId, providerId, municipalityId }, "closed", cause, now);
        write.altersSearchIn(municipalityId);
      }
      const warn = await certificationsToWarn(tx, now, CERTIFICATION_WARNING_DAYS, batch);
      for (const program of warn) {
        const daysLeft = daysBetween(parseLocalDate(program.today), parseLocalDate(program.expiresOn));
        await emit(
          tx,
          CertificationExpiring,
          { ...cause, municipalityId: program.municipalityId, aggregateId: program.programId },
          { programId: program.programId, providerId: program.providerId, expiresOn: program.expiresOn, daysLeft },
          now,
        );
      }
      await markWarned(tx, warn.map((p) => p.programId));
      return { groupsClosed: ended.length, warned: warn.length };
    });
    total.groupsClosed += round.groupsClosed;
    total.warned += round.warned;
    if (round.groupsClosed < batch && round.warned < batch) return total;
  }
}
