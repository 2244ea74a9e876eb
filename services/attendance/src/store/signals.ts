import type { SignalKind, SignalOutcome } from "@kruzhok/contracts";
import type { Queryable } from "@kruzhok/postgres";
import type { Finding } from "../domain/signals";

/** Record findings not recorded before; returns the new ones with their ids. */
export async function insertSignals(db: Queryable, municipalityId: string, findings: readonly (Finding & { id: string })[], now: Date): Promise<(Finding & { id: string })[]> {
  if (findings.length === 0) return [];
  const { rows } = await db.query<{ finding: string }>(
    `INSERT INTO signals (id, municipality_id, kind, finding, child_id, group_ids, provider_ids, lesson_ids, evidence, raised_at)
     SELECT s.id, $1, s.kind, s.finding, s.child_id, ARRAY(SELECT jsonb_array_elements_text(s.groups))::uuid[],
            ARRAY(SELECT jsonb_array_elements_text(s.providers))::uuid[], ARRAY(SELECT jsonb_array_elements_text(s.lessons))::uuid[], s.evidence, $3
     FROM jsonb_to_recordset($2::jsonb) AS s(id uuid, kind text, finding text, child_id uuid, groups jsonb, providers jsonb, lessons jsonb, evidence jsonb)
     ON CONFLICT (finding) DO NOTHING RETURNING finding`,
    [
      municipalityId,
      JSON.stringify(
        findings.map((f) => ({ id: f.id, kind: f.kind, finding: f.key, child_id: f.childId, groups: f.groupIds, providers: f.providerIds, lessons: f.lessonIds, evidence: f.evidence })),
      ),
      now,
    ],
  );
  const added = new Set(rows.map((r) => r.finding));
  return findings.filter((f) => added.has(f.key));
}

export interface SignalRow {
  id: string;
  kind: SignalKind;
  childId: string | null;
  groupIds: string[];
  providerIds: string[];
  lessonIds: string[];
  evidence: Record<string, unknown>;
  raisedAt: Date;
  resolution: SignalOutcome | null;
  resolutionReason: string | null;
  resolvedAt: Date | null;
}

const SIGNAL_COLUMNS = `id, kind, child_id AS "childId", group_ids AS "groupIds", provider_ids AS "providerIds", lesson_ids AS "lessonIds", evidence, raised_at AS "raisedAt",
  resolution, resolution_reason AS "resolutionReason", resolved_at AS "resolvedAt"`;

/** A municipality's signals, newest first; `open` keeps the unresolved (true) or the resolved (false) only. */
export async function listSignals(db: Queryable, municipalityId: string, filter: { kind?: SignalKind | undefined; open?: boolean | undefined }, limit: number): Promise<SignalRow[]> {
  const { rows } = await db.query<SignalRow>(
    `SELECT ${SIGNAL_COLUMNS}
     FROM signals WHERE municipality_id = $1 AND ($2::text IS NULL OR kind = $2) AND ($3::boolean IS NULL OR (resolution IS NULL) = $3)
     ORDER BY raised_at DESC, id LIMIT $4`,
    [municipalityId, filter.kind ?? null, filter.open ?? null, limit],
  );
  return rows;
}

/** The signals naming a provider (the GIN index on provider_ids), newest first. */
export async function listProviderSignals(db: Queryable, providerId: string, filter: { kind?: SignalKind | undefined; open?: boolean | undefined }, limit: number): Promise<SignalRow[]> {
  const { rows } = await db.query<SignalRow>(
    `SELECT ${SIGNAL_COLUMNS}
     FROM signals WHERE provider_ids @> ARRAY[$1::uuid] AND ($2::text IS NULL OR kind = $2) AND ($3::boolean IS NULL OR (resolution IS NULL) = $3)
     ORDER BY raised_at DESC, id LIMIT $4`,
    [providerId, filter.kind ?? null, filter.open ?? null, limit],
  );
  return rows;
}

/** One signal and its municipality, locked for its resolution. */
export async function lockSignal(db: Queryable, signalId: string): Promise<(SignalRow & { municipalityId: string }) | undefined> {
  const { rows } = await db.query<SignalRow & { municipalityId: string }>(
    `SELECT ${SIGNAL_COLUMNS}, municipality_id AS "municipalityId" FROM signals WHERE id = $1 FOR UPDATE`,
    [signalId],
  );
  return rows[0];
}

export async function saveResolution(db: Queryable, signalId: string, resolution: { outcome: SignalOutcome; reason: string; by: string }, now: Date): Promise<void> {
  await db.query("UPDATE signals SET resolution = $2, resolution_reason = $3, resolved_by = $4, resolved_at = $5 WHERE id = $1", [signalId, resolution.outcome, resolution.reason, resolution.by, now]);
}
