import { LessonMarked, MarkReviewed, MonthSummarised, SignalRaised, SignalResolved } from "@kruzhok/contracts";
import { factOf, subjects } from "./facts";

/** A child's mark at a lesson is one subject: the lesson and the child together. */
const mark = (lessonId: string, childId: string) => ({ type: "mark" as const, id: `${lessonId}|${childId}` });
const signal = (signalId: string) => ({ type: "signal" as const, id: signalId });

/**
 * Marks (each with its lesson's start), their reviews, enrollments' closed months and fraud
 * signals. Notices and month closes add nothing the summaries do not carry.
 */
export function attendanceFacts() {
  return [
    factOf(LessonMarked, (event) =>
      subjects(...event.data.marks.map((m) => ({ subject: mark(event.data.lessonId, m.childId), kind: "mark.recorded" as const, attrs: { status: m.status, startsAt: event.data.startsAt } }))),
    ),
    factOf(MarkReviewed, (event) => subjects({ subject: mark(event.data.lessonId, event.data.childId), kind: "mark.reviewed", attrs: { status: event.data.status } })),
    factOf(MonthSummarised, (event) => {
      const d = event.data;
      const excused = d.excused.illness + d.excused.vacation + d.excused.quarantine + d.excused.repairs + d.excused.rehabilitation;
      return subjects({
        subject: { type: "summary", id: `${d.enrollmentId}|${d.month}` },
        kind: "month.summarised",
        attrs: { month: d.month, version: d.version, present: d.present, excused, unexcused: d.unexcused, unmarked: d.unmarked },
      });
    }),
    factOf(SignalRaised, (event) => subjects({ subject: signal(event.data.signalId), kind: "signal.raised", attrs: { kind: event.data.kind, causedAt: event.data.causedAt } })),
    factOf(SignalResolved, (event) => subjects({ subject: signal(event.data.signalId), kind: "signal.resolved", attrs: { outcome: event.data.outcome } })),
  ];
}
