import { LessonMarked, MarkReviewed, MonthSummarised, SignalRaised, SignalResolved } from "@kruzhok/contracts";
import type { SubjectFact } from "../../usecases/record";
import { factOf } from "./facts";

/** A child's mark at a lesson is one subject: the lesson and the child together. */
const mark = (lessonId: string, childId: string) => ({ type: "mark" as const, id: `${lessonId}|${childId}` });

/**
 * Marks (each with its lesson's start), their reviews, enrollments' closed months and fraud
 * signals. Notices and month closes add nothing the summaries do not carry.
 */
export function attendanceFacts() {
  return [
    factOf(LessonMarked, (event) => ({
      kind: "subjects",
      facts: event.data.marks.map((m): SubjectFact => ({ subject: mark(event.data.lessonId, m.childId), kind: "mark.recorded", attrs: { status: m.status, startsAt: event.data.startsAt } })),
    })),
    factOf(MarkReviewed, (event) => ({
      kind: "subjects",
      facts: [{ subject: mark(event.data.lessonId, event.data.childId), kind: "mark.reviewed", attrs: { status: event.data.status } }],
    })),
    factOf(MonthSummarised, (event) => {
      const d = event.data;
      const excused = d.excused.illness + d.excused.vacation + d.excused.quarantine + d.excused.repairs + d.excused.rehabilitation;
      return {
        kind: "subjects",
        facts: [{
          subject: { type: "summary", id: `${d.enrollmentId}|${d.month}` },
          kind: "month.summarised",
          attrs: { month: d.month, version: d.version, present: d.present, excused, unexcused: d.unexcused, unmarked: d.unmarked },
        }],
      };
    }),
    factOf(SignalRaised, (event) => ({
      kind: "subjects",
      facts: [{ subject: { type: "signal", id: event.data.signalId }, kind: "signal.raised", attrs: { kind: event.data.kind, causedAt: event.data.causedAt } }],
    })),
    factOf(SignalResolved, (event) => ({
      kind: "subjects",
      facts: [{ subject: { type: "signal", id: event.data.signalId }, kind: "signal.resolved", attrs: { outcome: event.data.outcome } }],
    })),
  ];
}
