import type { Pool, PoolClient, Queryable } from "@kruzhok/postgres";
import type { Contribution, SubjectEvent } from "../domain/subjects";

// The facts statistics keeps: municipalities, populations, groups, subjects' events and their
// contributions. Each fact from another service is kept as of its latest event by event time
// (ties by event id), so the order events arrive in does not change what is kept.

export interface Place {
  municipalityId: string;
  regionCode: string;
  timeZone: string;
}

/** Keep a municipality's region and zone; returns its region before (null when it was not known). */
export async function upsertMunicipality(
  tx: Queryable,
  place: Place & { at: Date; eventId: string },
): Promise<{ before: string | null }> {
  const before = await tx.query<{ regionCode: string }>("SELECT region_code AS \"regionCode\" FROM municipalities WHERE municipality_id = $1", [place.municipalityId]);
  await tx.query(
    `INSERT INTO municipalities (municipality_id, region_code, time_zone, event_at, event_id) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (municipality_id) DO UPDATE SET region_code = EXCLUDED.region_code, time_zone = EXCLUDED.time_zone, event_at = EXCLUDED.event_at, event_id = EXCLUDED.event_id
     WHERE (municipalities.event_at, municipalities.event_id) < (EXCLUDED.event_at, EXCLUDED.event_id)`,
    [place.municipalityId, place.regionCode, place.timeZone, place.at, place.eventId],
  );
  return { before: before.rows[0]?.regionCode ?? null };
}

export async function upsertPopulation(tx: Queryable, row: { municipalityId: string; year: number; children: number; at: Date; eventId: string }): Promise<void> {
  await tx.query(
    `INSERT INTO populations (municipality_id, year, children, event_at, event_id) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (municipality_id, year) DO UPDATE SET children = EXCLUDED.children, event_at = EXCLUDED.event_at, event_id = EXCLUDED.event_id
     WHERE (populations.event_at, populations.event_id) < (EXCLUDED.event_at, EXCLUDED.event_id)`,
    [row.municipalityId, row.year, row.children, row.at, row.eventId],
  );
}

export async function upsertGroup(
  tx: Queryable,
  row: { groupId: string; municipalityId: string; direction: string; fundingKind: string; at: Date; eventId: string },
): Promise<void> {
  await tx.query(
    `INSERT INTO groups (group_id, municipality_id, direction, funding_kind, event_at, event_id) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (group_id) DO UPDATE SET municipality_id = EXCLUDED.municipality_id, direction = EXCLUDED.direction,
       funding_kind = EXCLUDED.funding_kind, event_at = EXCLUDED.event_at, event_id = EXCLUDED.event_id
     WHERE (groups.event_at, groups.event_id) < (EXCLUDED.event_at, EXCLUDED.event_id)`,
    [row.groupId, row.municipalityId, row.direction, row.fundingKind, row.at, row.eventId],
  );
}

/** Where each municipality is; those not heard of yet are absent. */
export async function placesOf(tx: Queryable, municipalityIds: readonly string[]): Promise<Map<string, Place>> {
  const { rows } = await tx.query<Place>(
    `SELECT municipality_id AS "municipalityId", region_code AS "regionCode", time_zone AS "timeZone"
     FROM municipalities WHERE municipality_id = ANY($1::uuid[])`,
    [municipalityIds],
  );
  return new Map(rows.map((row) => [row.municipalityId, row]));
}

/** Record an event of a subject; false when it was recorded already. */
export async function insertSubjectEvent(tx: Queryable, subjectKey: string, event: SubjectEvent): Promise<boolean> {
  const result = await tx.query(
    `INSERT INTO subject_events (subject_key, event_id, kind, municipality_id, at, attrs) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT DO NOTHING`,
    [subjectKey, event.eventId, event.kind, event.municipalityId, event.at, JSON.stringify(event.attrs)],
  );
  return result.rowCount === 1;
}

export async function subjectEvents(tx: Queryable, subjectKey: string): Promise<SubjectEvent[]> {
  const { rows } = await tx.query<SubjectEvent>(
    `SELECT event_id AS "eventId", kind, municipality_id AS "municipalityId", at, attrs FROM subject_events WHERE subject_key = $1`,
    [subjectKey],
  );
  return rows;
}

/** Replace a subject's contributions; returns the ones it had. */
export async function replaceContributions(tx: Queryable, subjectKey: string, contributions: readonly Contribution[]): Promise<Contribution[]> {
  const { rows } = await tx.query<Contribution>(
    `DELETE FROM contributions WHERE subject_key = $1
     RETURNING municipality_id AS "municipalityId", measure, dims, group_id AS "groupId", birth_year AS "birthYear", at, delta, sample`,
    [subjectKey],
  );
  if (contributions.length > 0) {
    await tx.query(
      `INSERT INTO contributions (subject_key, seq, municipality_id, measure, dims, group_id, birth_year, at, delta, sample)
       SELECT $1, c.ordinality, c.municipality_id, c.measure, c.dims, c.group_id, c.birth_year, c.at, c.delta, c.sample
       FROM unnest($2::uuid[], $3::text[], $4::jsonb[], $5::uuid[], $6::int[], $7::timestamptz[], $8::int[], $9::float8[])
         WITH ORDINALITY AS c(municipality_id, measure, dims, group_id, birth_year, at, delta, sample, ordinality)`,
      [
        subjectKey,
        contributions.map((c) => c.municipalityId),
        contributions.map((c) => c.measure),
        contributions.map((c) => JSON.stringify(c.dims)),
        contributions.map((c) => c.groupId),
        contributions.map((c) => c.birthYear),
        contributions.map((c) => c.at),
        contributions.map((c) => c.delta),
        contributions.map((c) => c.sample),
      ],
    );
  }
  return rows;
}

/** The earliest contribution counted through a group (its enrollments), per municipality. */
export async function earliestThroughGroup(tx: Queryable, groupId: string): Promise<{ municipalityId: string; at: Date }[]> {
  const { rows } = await tx.query<{ municipalityId: string; at: Date }>(
    `SELECT municipality_id AS "municipalityId", min(at) AS at FROM contributions WHERE group_id = $1 GROUP BY municipality_id`,
    [groupId],
  );
  return rows;
}

/** The earliest contribution of a municipality, if it has any. */
export async function earliestIn(tx: Queryable, municipalityId: string): Promise<Date | null> {
  const { rows } = await tx.query<{ at: Date | null }>("SELECT min(at) AS at FROM contributions WHERE municipality_id = $1", [municipalityId]);
  return rows[0]?.at ?? null;
}

/** The service's position in the event's topic partition, from the inbox row the runner wrote in this transaction. */
export async function advancePosition(tx: Queryable, eventId: string): Promise<void> {
  await tx.query(
    `INSERT INTO positions (topic, kafka_partition, next_offset)
     SELECT topic, kafka_partition, kafka_offset + 1 FROM inbox WHERE event_id = $1
     ON CONFLICT (topic, kafka_partition) DO UPDATE SET next_offset = GREATEST(positions.next_offset, EXCLUDED.next_offset)`,
    [eventId],
  );
}

/**
 * One writer of a subject at a time: its events are read and its contributions replaced in one
 * go, so two events of one child on two partitions must not interleave. Other subjects flow.
 */
export async function lockSubjects(tx: Queryable, subjectKeys: readonly string[]): Promise<void> {
  if (subjectKeys.length === 0) return;
  // In one order, so that two transactions locking the same two subjects cannot deadlock.
  await tx.query("SELECT pg_advisory_xact_lock(4242006, hashtext(k)) FROM unnest($1::text[]) AS k ORDER BY k", [[...subjectKeys].sort()]);
}

/**
 * The publisher's round: one publisher at a time (a lock held by its connection, taken before
 * its transaction begins), in a repeatable-read transaction, so that its snapshot is taken after
 * the previous round committed and every block of the round is computed from one state of the
 * facts. Changes committed during the round wait, noted, for the next one.
 */
export async function asPublisher<T>(pool: Pool, work: (tx: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query("SELECT pg_advisory_lock(4242007)");
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ");
      try {
        const result = await work(client);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => (broken = true));
        throw error;
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock(4242007)").catch(() => (broken = true));
    }
  } catch (error) {
    broken = true;
    throw error;
  } finally {
    // A connection that failed may still hold the lock: it is closed, not reused.
    client.release(broken);
  }
}

/** Note where the aggregates changed, for the publisher. */
export async function markPending(tx: Queryable, municipalities: ReadonlyMap<string, Date>, regions: ReadonlyMap<string, Date>, sourceAt: Date): Promise<void> {
  const rows = [...[...municipalities].map(([id, since]) => [id, null, since] as const), ...[...regions].map(([code, since]) => [null, code, since] as const)];
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO pending_changes (municipality_id, region_code, since, source_at) SELECT u.*, $4::timestamptz FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS u`,
    [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2]), sourceAt],
  );
}

/** Take every pending change (the caller holds the aggregates' lock). */
export async function takePending(tx: Queryable): Promise<{ municipalityId: string | null; regionCode: string | null; since: Date; sourceAt: Date }[]> {
  const { rows } = await tx.query<{ municipalityId: string | null; regionCode: string | null; since: Date; sourceAt: Date }>(
    `DELETE FROM pending_changes RETURNING municipality_id AS "municipalityId", region_code AS "regionCode", since, source_at AS "sourceAt"`,
  );
  return rows;
}
