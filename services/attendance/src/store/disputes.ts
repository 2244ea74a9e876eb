import type { Queryable } from "@kruzhok/postgres";
import type { MarkStatus } from "@kruzhok/contracts";

/** A mark a family disputes, waiting for the municipality's staff to say what it is. */
export interface DisputeRow {
  lessonId: string;
  childId: string;
  groupId: string;
  providerId: string;
  date: string;
  start: string;
  startsAt: Date;
  status: MarkStatus;
  /** When the family disputed it (its latest change), and the family's note if any. */
  disputedAt: Date | null;
  note: string | null;
}

/** The municipality's disputed marks of lessons between two local dates, oldest lesson first. */
export async function disputedMarks(db: Queryable, municipalityId: string, first: string, last: string, limit: number): Promise<DisputeRow[]> {
  const { rows } = await db.query<DisputeRow>(
    `SELECT m.lesson_id AS "lessonId", m.child_id AS "childId", m.group_id AS "groupId", l.provider_id AS "providerId",
            to_char(m.date, 'YYYY-MM-DD') AS date, l.start_time AS start, m.starts_at AS "startsAt", m.status,
            c.changed_at AS "disputedAt", c.note
       FROM marks m JOIN lessons l ON l.id = m.lesson_id
       LEFT JOIN LATERAL (
         SELECT changed_at, note FROM mark_changes mc
          WHERE mc.lesson_id = m.lesson_id AND mc.changes @> jsonb_build_array(jsonb_build_object('childId', m.child_id::text, 'newReview', 'disputed'))
          ORDER BY seq DESC LIMIT 1
       ) c ON true
      WHERE m.municipality_id = $1 AND m.review = 'disputed' AND m.date BETWEEN $2 AND $3
      ORDER BY m.starts_at, m.child_id LIMIT $4`,
    [municipalityId, first, last, limit],
  );
  return rows;
}
