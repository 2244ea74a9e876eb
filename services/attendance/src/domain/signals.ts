import type { SignalKind, SignalOutcome } from "@kruzhok/contracts";
import { attendanceError } from "./errors";
import { parseLocalDate, isoWeekday, addDays, formatLocalDate } from "@kruzhok/time";
import type { AttendanceRules } from "./rules";

// Fraud signals, decided from the marks just written and what the store found around them.
// None blocks marking. Each finding has a key: the same finding marked again raises nothing new.

export interface Finding {
  kind: SignalKind;
  /** Unique per finding (the signals table's `finding`). */
  key: string;
  childId: string | null;
  groupIds: string[];
  providerIds: string[];
  lessonIds: string[];
  evidence: Record<string, unknown>;
}

export interface MarkedLesson {
  id: string;
  groupId: string;
  providerId: string;
  date: string;
  startsAt: Date;
  endsAt: Date;
  onSchedule: boolean;
}

/** A present mark of the same child in another lesson whose time overlaps the marked one. */
export interface OtherPresence {
  childId: string;
  lessonId: string;
  groupId: string;
  providerId: string;
  startsAt: Date;
  endsAt: Date;
}

/** A child present in two lessons whose times overlap, at any providers. */
export function overlappingLessons(lesson: MarkedLesson, others: readonly OtherPresence[]): Finding[] {
  return others
    .filter((o) => o.lessonId !== lesson.id && o.startsAt < lesson.endsAt && lesson.startsAt < o.endsAt)
    .map((o) => {
      const lessonIds = [lesson.id, o.lessonId].sort();
      return {
        kind: "overlapping_lessons" as const,
        key: `overlap:${o.childId}:${lessonIds.join(":")}`,
        childId: o.childId,
        groupIds: [...new Set([lesson.groupId, o.groupId])],
        providerIds: [...new Set([lesson.providerId, o.providerId])],
        lessonIds,
        evidence: {
          lessons: [
            { lessonId: lesson.id, groupId: lesson.groupId, providerId: lesson.providerId, startsAt: lesson.startsAt.toISOString(), endsAt: lesson.endsAt.toISOString() },
            { lessonId: o.lessonId, groupId: o.groupId, providerId: o.providerId, startsAt: o.startsAt.toISOString(), endsAt: o.endsAt.toISOString() },
          ],
        },
      };
    });
}

/** Marks on a date or at a time the group's schedule has no lesson. */
export function outsideSchedule(lesson: MarkedLesson, children: number): Finding[] {
  if (lesson.onSchedule || children === 0) return [];
  return [
    {
      kind: "outside_schedule",
      key: `outside:${lesson.id}`,
      childId: null,
      groupIds: [lesson.groupId],
      providerIds: [lesson.providerId],
      lessonIds: [lesson.id],
      evidence: { date: lesson.date, startsAt: lesson.startsAt.toISOString(), endsAt: lesson.endsAt.toISOString(), marks: children },
    },
  ];
}

/** Monday of the ISO week of a local date. */
export function weekOf(date: string): string {
  const d = parseLocalDate(date);
  return formatLocalDate(addDays(d, 1 - isoWeekday(d)));
}

/** A child present in more groups in one week than the municipality allows. */
export function tooManyGroups(
  childId: string,
  week: string,
  groups: readonly { groupId: string; providerId: string }[],
  rules: Pick<AttendanceRules, "maxGroupsPerWeek">,
): Finding[] {
  if (groups.length <= rules.maxGroupsPerWeek) return [];
  return [
    {
      kind: "too_many_groups",
      key: `groups:${childId}:${week}`,
      childId,
      groupIds: groups.map((g) => g.groupId),
      providerIds: [...new Set(groups.map((g) => g.providerId))],
      lessonIds: [],
      evidence: { weekOf: week, groups: groups.length, allowed: rules.maxGroupsPerWeek },
    },
  ];
}

/**
 * Every child present at every lesson of the group's month: checked when the month's last
 * scheduled lesson is marked. `lessons` are the month's scheduled lessons, `marked` how many of
 * them have marks, `absent` the absent marks among them.
 */
export function allPresentMonth(
  group: { id: string; providerId: string },
  month: string,
  counts: { lessons: number; marked: number; marks: number; absent: number },
): Finding[] {
  if (counts.lessons < 4 || counts.marked < counts.lessons || counts.absent > 0 || counts.marks === 0) return [];
  return [
    {
      kind: "all_present_month",
      key: `all-present:${group.id}:${month}`,
      childId: null,
      groupIds: [group.id],
      providerIds: [group.providerId],
      lessonIds: [],
      evidence: { month, lessons: counts.lessons, marks: counts.marks },
    },
  ];
}

/** Many marks entered at once for lessons long past. */
export function bulkLateEntry(
  group: { id: string; providerId: string },
  lessons: readonly { id: string; endsAt: Date; marks: number }[],
  now: Date,
  rules: Pick<AttendanceRules, "lateEntryDays" | "bulkLateMarks">,
): Finding[] {
  const late = lessons.filter((l) => now.getTime() - l.endsAt.getTime() > rules.lateEntryDays * 86_400_000);
  const marks = late.reduce((sum, l) => sum + l.marks, 0);
  if (marks < rules.bulkLateMarks) return [];
  const oldest = late.reduce((a, b) => (a.endsAt < b.endsAt ? a : b));
  return [
    {
      kind: "bulk_late_entry",
      key: `late:${group.id}:${now.toISOString()}`,
      childId: null,
      groupIds: [group.id],
      providerIds: [group.providerId],
      lessonIds: late.map((l) => l.id),
      evidence: { marks, lessons: late.length, oldestLessonEndedAt: oldest.endsAt.toISOString(), enteredAt: now.toISOString(), lateAfterDays: rules.lateEntryDays },
    },
  ];
}

/**
 * The municipality resolves a signal once: the same outcome again is a retry and changes
 * nothing; another outcome is refused (a resolution is not edited; a signal raised again by new
 * marks is a new finding).
 */
export function decideResolution(current: { resolution: SignalOutcome | null }, outcome: SignalOutcome): "resolve" | "unchanged" {
  if (current.resolution === null) return "resolve";
  if (current.resolution === outcome) return "unchanged";
  throw attendanceError("SIGNAL_RESOLVED", `the signal was already resolved as ${current.resolution}`, { field: "outcome" });
}

/** A signal as the provider it names reads it (see `signalForProvider`). */
export interface ProviderSignalView {
  id: string;
  kind: SignalKind;
  childId: string | null;
  groupIds: string[];
  lessonIds: string[];
  evidence: Record<string, unknown>;
  otherProviders: number;
  raisedAt: Date;
  resolution: SignalOutcome | null;
  resolvedAt: Date | null;
}

/**
 * What a provider may read of a signal about its groups: enough to check and mend its own marks,
 * nothing of another provider's (a child present elsewhere at the same time tells the provider
 * that another lesson overlaps, not whose), nor the municipality's reasons for its resolution
 * (staff notes, never published).
 */
export function signalForProvider(
  signal: { id: string; kind: SignalKind; childId: string | null; groupIds: string[]; providerIds: string[]; lessonIds: string[]; evidence: Record<string, unknown>; raisedAt: Date; resolution: SignalOutcome | null; resolvedAt: Date | null },
  providerId: string,
): ProviderSignalView {
  const otherProviders = signal.providerIds.filter((id) => id !== providerId).length;
  const common = { id: signal.id, kind: signal.kind, childId: signal.childId, otherProviders, raisedAt: signal.raisedAt, resolution: signal.resolution, resolvedAt: signal.resolvedAt };
  if (otherProviders === 0) return { ...common, groupIds: signal.groupIds, lessonIds: signal.lessonIds, evidence: signal.evidence };
  if (signal.kind === "overlapping_lessons") {
    const lessons = (signal.evidence.lessons as { lessonId: string; groupId: string; providerId: string; startsAt: string; endsAt: string }[] | undefined) ?? [];
    const own = lessons.filter((l) => l.providerId === providerId);
    return {
      ...common,
      groupIds: [...new Set(own.map((l) => l.groupId))],
      lessonIds: own.map((l) => l.lessonId),
      evidence: { lessons: own.map(({ lessonId, groupId, startsAt, endsAt }) => ({ lessonId, groupId, startsAt, endsAt })) },
    };
  }
  // Counts only (too many groups a week): which groups are whose is not the provider's to know.
  const counts = Object.fromEntries(Object.entries(signal.evidence).filter(([, value]) => typeof value === "number" || typeof value === "string"));
  return { ...common, groupIds: [], lessonIds: [], evidence: counts };
}
