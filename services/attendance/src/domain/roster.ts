import { localDate } from "./schedule";

/**
 * An enrollment as attendance knows it: started and ended at the instants enrollment announced
 * them (either may be unknown yet: its event has not come, or came out of order).
 */
export interface EnrollmentSpan {
  id: string;
  childId: string;
  groupId: string;
  startedAt: Date | null;
  endedAt: Date | null;
}

/**
 * The local dates the child is on the group's roster: from the day the enrollment started to
 * the day before it ended (an expulsion or a move takes effect on its own day). Null start: not
 * on the roster yet (its start was not heard of, even if its end was).
 */
export function rosterSpan(e: Pick<EnrollmentSpan, "startedAt" | "endedAt">, zone: string): { from: string; until: string | null } | null {
  if (!e.startedAt) return null;
  return { from: localDate(e.startedAt, zone), until: e.endedAt ? localDate(e.endedAt, zone) : null };
}

/** Whether the child is on the roster on `date` (until is exclusive). */
export function onRosterOn(e: Pick<EnrollmentSpan, "startedAt" | "endedAt">, zone: string, date: string): boolean {
  const span = rosterSpan(e, zone);
  return span !== null && span.from <= date && (span.until === null || date < span.until);
}

/**
 * How an announcement changes what is known of an enrollment, whatever order the events come in
 * and however often: the earliest start and the earliest end heard of are kept, so a replayed
 * start after an end never puts the child back on the roster.
 */
export function applyEnrollmentEvent(
  known: Pick<EnrollmentSpan, "startedAt" | "endedAt"> | undefined,
  event: { kind: "started" | "ended"; at: Date },
): { startedAt: Date | null; endedAt: Date | null } {
  const startedAt = known?.startedAt ?? null;
  const endedAt = known?.endedAt ?? null;
  const earliest = (a: Date | null, b: Date) => (a && a.getTime() <= b.getTime() ? a : b);
  return event.kind === "started" ? { startedAt: earliest(startedAt, event.at), endedAt } : { startedAt, endedAt: earliest(endedAt, event.at) };
}
