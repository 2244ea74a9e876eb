import type { Pool, PoolClient, Queryable } from "@kruzhok/postgres";
import type { Contribution, SubjectEvent } from "../domain/subjects";
import type { Reach } from "../domain/cells";

// The facts statistics keeps: municipalities, populations, groups, subjects' events and their
// contributions. Each fact from another service is kept as of its latest event by event time
// (ties by event id), so the order events arrive in does not change what is kept.

export interface Place {
  municipalityId: string;
  regionCode: string;
  timeZone: string;
}

/** Keep municipalities' regions and zones (at most one row each); returns the regions they had (absent when not known). */
export async function upsertMunicipalities(
  tx: Queryable,
  rows: readonly (Place & { at: Date; eventId: string })[],
): Promise<Map<string, string>> {
  if (rows.length === 0) return new Map();
  const sorted = [...rows].sort((a, b) => (a.municipalityId < b.municipalityId ? -1 : 1));
  const before = await tx.query<{ municipalityId: string; regionCode: string }>(
    `SELECT municipality_id AS "municipalityId", region_code AS "regionCode" FROM municipalities WHERE municipality_id = ANY($1::uuid[])`,
    [sorted.map((r) => r.municipalityId)],
  );
  await tx.query(
    `INSERT INTO municipalities (municipality_id, region_code, time_zone, event_at, event_id)
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::uuid[])
     ON CONFLICT (municipality_id) DO UPDATE SET region_code = EXCLUDED.region_code, time_zone = EXCLUDED.time_zone, event_at = EXCLUDED.event_at, event_id = EXCLUDED.event_id
     WHERE (municipalities.event_at, municipalities.event_id) < (EXCLUDED.event_at, EXCLUDED.event_id)`,
    [sorted.map((r) => r.municipalityId), sorted.map((r) => r.regionCode), sorted.map((r) => r.timeZone), sorted.map((r) => r.at), sorted.map((r) => r.eventId)],
  );
  return new Map(before.rows.map((row) => [row.municipalityId, row.regionCode]));
}

/** Keep municipalities' yearly populations and budgets (at most one row per municipality and year). */
export async function upsertPopulations(tx: Queryable, rows: readonly { municipalityId: string; year: number; children: number; budget: number; at: Date; eventId: string }[]): Promise<void> {
  if (rows.length === 0) return;
  const sorted = [...rows].sort((a, b) => (a.municipalityId < b.municipalityId ? -1 : a.municipalityId > b.municipalityId ? 1 : a.year - b.year));
  await tx.query(
    `INSERT INTO populations (municipality_id, year, children, event_at, event_id, budget)
     SELECT * FROM unnest($1::uuid[], $2::int[], $3::int[], $4::timestamptz[], $5::uuid[], $6::bigint[])
     ON CONFLICT (municipality_id, year) DO UPDATE SET children = EXCLUDED.children, budget = EXCLUDED.budget, event_at = EXCLUDED.event_at, event_id = EXCLUDED.event_id
     WHERE (populations.event_at, populations.event_id) < (EXCLUDED.event_at, EXCLUDED.event_id)`,
    [sorted.map((r) => r.municipalityId), sorted.map((r) => r.year), sorted.map((r) => r.children), sorted.map((r) => r.at), sorted.map((r) => r.eventId), sorted.map((r) => r.budget)],
  );
}

/** Keep groups' direction and funding kind (at most one row per group). */
export async function upsertGroups(
  tx: Queryable,
  rows: readonly { groupId: string; municipalityId: string; direction: string; fundingKind: string; at: Date; eventId: string }[],
): Promise<void> {
  if (rows.length === 0) return;
  const sorted = [...rows].sort((a, b) => (a.groupId < b.groupId ? -1 : 1));
  await tx.query(
    `INSERT INTO groups (group_id, municipality_id, direction, funding_kind, event_at, event_id)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::uuid[])
     ON CONFLICT (group_id) DO UPDATE SET municipality_id = EXCLUDED.municipality_id, direction = EXCLUDED.direction,
       funding_kind = EXCLUDED.funding_kind, event_at = EXCLUDED.event_at, event_id = EXCLUDED.event_id
     WHERE (groups.event_at, groups.event_id) < (EXCLUDED.event_at, EXCLUDED.event_id)`,
    [sorted.map((r) => r.groupId), sorted.map((r) => r.municipalityId), sorted.map((r) => r.direction), sorted.map((r) => r.fundingKind), sorted.map((r) => r.at), sorted.map((r) => r.eventId)],
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

/** Record subjects' events; returns the `subjectKey|eventId` of those not recorded before. */
export async function insertSubjectEvents(tx: Queryable, rows: readonly ({ subjectKey: string } & SubjectEvent)[]): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const { rows: fresh } = await tx.query<{ key: string }>(
    `INSERT INTO subject_events (subject_key, event_id, kind, municipality_id, at, attrs)
     SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::uuid[], $5::timestamptz[], $6::jsonb[])
     ON CONFLICT DO NOTHING
     RETURNING subject_key || '|' || event_id AS key`,
    [rows.map((r) => r.subjectKey), rows.map((r) => r.eventId), rows.map((r) => r.kind), rows.map((r) => r.municipalityId), rows.map((r) => r.at), rows.map((r) => JSON.stringify(r.attrs))],
  );
  return new Set(fresh.map((row) => row.key));
}

/** Every event of each subject. */
export async function subjectEventsOf(tx: Queryable, subjectKeys: readonly string[]): Promise<Map<string, SubjectEvent[]>> {
  const events = new Map<string, SubjectEvent[]>(subjectKeys.map((key) => [key, []]));
  if (subjectKeys.length === 0) return events;
  const { rows } = await tx.query<SubjectEvent & { subjectKey: string }>(
    `SELECT subject_key AS "subjectKey", event_id AS "eventId", kind, municipality_id AS "municipalityId", at, attrs
     FROM subject_events WHERE subject_key = ANY($1::text[])`,
    [subjectKeys],
  );
  for (const { subjectKey, ...event } of rows) events.get(subjectKey)?.push(event);
  return events;
}

/** Replace the contributions of each subject given; returns the ones each had. */
export async function replaceContributions(tx: Queryable, contributions: ReadonlyMap<string, readonly Contribution[]>): Promise<Map<string, Contribution[]>> {
  const before = new Map<string, Contribution[]>([...contributions.keys()].map((key) => [key, []]));
  if (contributions.size === 0) return before;
  const { rows } = await tx.query<Contribution & { subjectKey: string }>(
    `DELETE FROM contributions WHERE subject_key = ANY($1::text[])
     RETURNING subject_key AS "subjectKey", municipality_id AS "municipalityId", measure, dims, group_id AS "groupId", birth_year AS "birthYear", at, delta, sample`,
    [[...contributions.keys()]],
  );
  for (const { subjectKey, ...contribution } of rows) before.get(subjectKey)?.push(contribution);
  const flat = [...contributions].flatMap(([subjectKey, list]) => list.map((c, i) => ({ subjectKey, seq: i + 1, ...c })));
  if (flat.length > 0) {
    await tx.query(
      `INSERT INTO contributions (subject_key, seq, municipality_id, measure, dims, group_id, birth_year, at, delta, sample)
       SELECT * FROM unnest($1::text[], $2::int[], $3::uuid[], $4::text[], $5::jsonb[], $6::uuid[], $7::int[], $8::timestamptz[], $9::int[], $10::float8[])`,
      [
        flat.map((c) => c.subjectKey),
        flat.map((c) => c.seq),
        flat.map((c) => c.municipalityId),
        flat.map((c) => c.measure),
        flat.map((c) => JSON.stringify(c.dims)),
        flat.map((c) => c.groupId),
        flat.map((c) => c.birthYear),
        flat.map((c) => c.at),
        flat.map((c) => c.delta),
        flat.map((c) => c.sample),
      ],
    );
  }
  return before;
}

/** A change to the contributions summed per municipality, breakdown and quarter hour (contribution_sums). */
export interface SumChange {
  municipalityId: string;
  /** The quarter hour's start (UTC). */
  quarter: Date;
  measure: string;
  dims: Record<string, string>;
  groupId: string | null;
  birthYear: number | null;
  delta: number;
  rows: number;
}

/** Note what replacing contributions changed in their sums, for the publisher to fold in (plain inserts: no consumer waits on another). */
export async function appendSumChanges(tx: Queryable, changes: readonly SumChange[]): Promise<void> {
  if (changes.length === 0) return;
  await tx.query(
    `INSERT INTO sum_changes (municipality_id, quarter, measure, dims, group_id, birth_year, delta, rows)
     SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::jsonb[], $5::uuid[], $6::int[], $7::bigint[], $8::int[])`,
    [
      changes.map((c) => c.municipalityId),
      changes.map((c) => c.quarter),
      changes.map((c) => c.measure),
      changes.map((c) => JSON.stringify(c.dims)),
      changes.map((c) => c.groupId),
      changes.map((c) => c.birthYear),
      changes.map((c) => c.delta),
      changes.map((c) => c.rows),
    ],
  );
}

/** The earliest contribution counted through any of these groups (their enrollments), per municipality. */
export async function earliestThroughGroups(tx: Queryable, groupIds: readonly string[]): Promise<{ municipalityId: string; at: Date }[]> {
  if (groupIds.length === 0) return [];
  const { rows } = await tx.query<{ municipalityId: string; at: Date }>(
    `SELECT municipality_id AS "municipalityId", min(at) AS at FROM contributions WHERE group_id = ANY($1::uuid[]) GROUP BY municipality_id`,
    [groupIds],
  );
  return rows;
}

/** The earliest contribution of each municipality that has any (one index probe each). */
export async function earliestIn(tx: Queryable, municipalityIds: readonly string[]): Promise<Map<string, Date>> {
  if (municipalityIds.length === 0) return new Map();
  const { rows } = await tx.query<{ municipalityId: string; at: Date | null }>(
    `SELECT m AS "municipalityId", (SELECT min(at) FROM contributions WHERE municipality_id = m) AS at FROM unnest($1::uuid[]) AS m`,
    [municipalityIds],
  );
  return new Map(rows.flatMap((row) => (row.at ? [[row.municipalityId, row.at] as const] : [])));
}

/** The service's position in the event's topic partition, from the inbox row the runner wrote in this transaction. */
export async function advancePositionsFromInbox(tx: Queryable, eventIds: readonly string[]): Promise<void> {
  if (eventIds.length === 0) return;
  await tx.query(
    `INSERT INTO positions (topic, kafka_partition, next_offset)
     SELECT topic, kafka_partition, max(kafka_offset) + 1 FROM inbox WHERE event_id = ANY($1::uuid[]) GROUP BY topic, kafka_partition
     ON CONFLICT (topic, kafka_partition) DO UPDATE SET next_offset = GREATEST(positions.next_offset, EXCLUDED.next_offset)`,
    [eventIds],
  );
}

/** The service's position in topic partitions: the offset after the last event applied there. */
export async function advancePositions(tx: Queryable, positions: readonly { topic: string; partition: number; nextOffset: bigint }[]): Promise<void> {
  if (positions.length === 0) return;
  await tx.query(
    `INSERT INTO positions (topic, kafka_partition, next_offset)
     SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[])
     ON CONFLICT (topic, kafka_partition) DO UPDATE SET next_offset = GREATEST(positions.next_offset, EXCLUDED.next_offset)`,
    [positions.map((p) => p.topic), positions.map((p) => p.partition), positions.map((p) => p.nextOffset.toString())],
  );
}

/**
 * The rest of this transaction looks rows up through their indexes. Every statement of a batch
 * reads or deletes the rows of its keys (`subject_key = ANY(<a thousand keys>)`); on tables that
 * have not been analyzed (a rebuild into an empty database, autovacuum off, as on the machines
 * here) the planner takes each of a thousand keys to match 0.5 % of the rows and scans the whole
 * table instead: measured, a batch's DELETE of contributions went from milliseconds to 50–170 ms
 * at a million rows, and the rebuild slowed as the tables grew.
 * REVIEW: remove when the service's tables are analyzed as they grow (autovacuum on, or an
 * ANALYZE after a rebuild's first minutes) and a rebuild keeps its rate without it.
 */
export async function preferIndexScans(tx: Queryable): Promise<void> {
  await tx.query("SET LOCAL enable_seqscan = off");
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

/** Note where the aggregates changed, for the publisher: each mark with the instant of a source event that made it. */
export interface PendingChange {
  municipalityId: string | null;
  regionCode: string | null;
  since: Date;
  sourceAt: Date;
  reach: Reach;
}

export async function markPending(tx: Queryable, marks: readonly PendingChange[]): Promise<void> {
  if (marks.length === 0) return;
  await tx.query(
    `INSERT INTO pending_changes (municipality_id, region_code, since, source_at, reach) SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[])`,
    [marks.map((m) => m.municipalityId), marks.map((m) => m.regionCode), marks.map((m) => m.since), marks.map((m) => m.sourceAt), marks.map((m) => m.reach)],
  );
}

/** Take every pending change (the caller holds the aggregates' lock). */
export async function takePending(tx: Queryable): Promise<PendingChange[]> {
  const { rows } = await tx.query<PendingChange>(
    `DELETE FROM pending_changes RETURNING municipality_id AS "municipalityId", region_code AS "regionCode", since, source_at AS "sourceAt", reach`,
  );
  return rows;
}
