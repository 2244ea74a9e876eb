// The floor of marking on this machine: a lesson's rows written by pgbench itself, with no HTTP,
// no Node and no Kafka, in the attendance database the run just used (its real tables, indexes
// and outbox). What Postgres alone needs per lesson bounds what any service on top can reach:
// issue 14 asks for lessons/s >= 40 % of the app+outbox ceiling, so this figure beside that
// ceiling says how much of the machine is left for everything else a marked lesson costs.
import { runPgbench } from "../ceilings/measure";
import { withCpu, type CpuUse } from "../lib/cpu";

export interface LessonFloor {
  lessonsPerTransaction: number;
  lessonsPerSecond: number;
  cpu: CpuUse;
  settings: string;
}

/**
 * One lesson of `children` as marking writes it (writeMarks and openLesson): the lesson row (its
 * unique key), the marks (both indexes), their change record and the ~4 KB outbox event; no reads.
 * Ids are fresh each time, as new lessons are.
 */
function lessonStatement(children: number, payloadBytes: number): string {
  const payload = "x".repeat(payloadBytes);
  return `WITH l AS (
      INSERT INTO lessons (id, group_id, municipality_id, provider_id, date, start_time, starts_at, ends_at, kind, on_schedule)
      VALUES (gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), current_date - 30, '10:00', now() - interval '30 days', now() - interval '30 days' + interval '45 minutes', 'class', true)
      ON CONFLICT (group_id, date, start_time) DO UPDATE SET group_id = EXCLUDED.group_id RETURNING id, group_id, municipality_id, date, starts_at, ends_at),
    o AS (INSERT INTO outbox (event_id, topic, message_key, type, payload) VALUES (gen_random_uuid(), 'bench.floor', gen_random_uuid()::text, 'attendance.lesson.marked', '${payload}')),
    w AS (INSERT INTO marks (lesson_id, child_id, enrollment_id, group_id, municipality_id, date, starts_at, ends_at, status, review, marked_by, marked_at)
      SELECT l.id, gen_random_uuid(), gen_random_uuid(), l.group_id, l.municipality_id, l.date, l.starts_at, l.ends_at, 'present', 'none', 'bench', now()
      FROM l, generate_series(1, ${children})
      ON CONFLICT (lesson_id, child_id) DO UPDATE SET status = EXCLUDED.status RETURNING lesson_id, child_id)
    INSERT INTO mark_changes (lesson_id, changes, changed_by, role, changed_at)
    SELECT min(lesson_id::text)::uuid, jsonb_agg(jsonb_build_object('childId', child_id, 'oldStatus', NULL, 'newStatus', 'present', 'oldReview', NULL, 'newReview', 'none')), 'bench', 'provider', now() FROM w;`.replace(/\s+/g, " ");
}

/** pgbench writing lessons into `databaseUrl`'s attendance tables: `perTransaction` lessons a commit (the service's batches are up to 16). */
export async function measureLessonFloor(databaseUrl: string, { children = 15, perTransaction = 16, clients = 8, durationS = 10, payloadBytes = 4_000 } = {}): Promise<LessonFloor> {
  const script = ["BEGIN;", ...Array.from({ length: perTransaction }, () => lessonStatement(children, payloadBytes)), "END;", ""].join("\n");
  const [result, cpu] = await withCpu(() => runPgbench(databaseUrl, script, { clients, durationS }));
  return {
    lessonsPerTransaction: perTransaction,
    lessonsPerSecond: result.tps * perTransaction,
    cpu,
    settings: `pgbench -n -c ${clients} -j 2 -T ${durationS}; 1 tx = ${perTransaction} lessons of ${children} marks (lesson, marks, change record, ~${Math.round(payloadBytes / 1000)} KB outbox row)`,
  };
}
