import type { Queryable } from "@kruzhok/postgres";
import type { BatchAccount, BatchPending, BalanceDelta, BatchTransferRow } from "../domain/ledger-batch";
import type { BillRecord } from "./billing";
import type { FinancingRequestRow } from "./financing";
import { groupColumns, type GroupRow, type MunicipalityRow } from "./projections";
import { reservationColumns, type ReservationRow } from "./reservations";

// What billing a batch of month summaries reads and writes, a statement for each kind of row
// (usecases/billing-batch.ts). Look-ups by many keys are index probes, one per key (`unnest`
// CROSS JOIN LATERAL, with LIMIT 1 so that the planner cannot pull it up into a hash join): with `= ANY` of a batch's keys the planner chose whole-table scans of
// certificates, enrollments and accounts for every batch (the benchmark's pg_stat_user_tables),
// and its choice depends on statistics that a busy month's tables do not have where autovacuum is off.

const accountColumns = `id, currency, debits_pending AS "debitsPending", debits_posted AS "debitsPosted", credits_pending AS "creditsPending", credits_posted AS "creditsPosted",
  debits_must_not_exceed_credits AS "debitsMustNotExceedCredits", credits_must_not_exceed_debits AS "creditsMustNotExceedDebits"`;

/** The enrollment-months billed before (any version): those go through billMonth one by one. */
export async function billedBefore(db: Queryable, keys: readonly { enrollmentId: string; month: string }[]): Promise<Set<string>> {
  const { rows } = await db.query<{ key: string }>({
    name: "payments.batch.billed-before",
    // LATERAL … LIMIT 1, not EXISTS: the planner cannot turn it into a hash join over the whole table.
    text: `SELECT k.e || ':' || k.m AS key FROM unnest($1::uuid[], $2::text[]) AS k(e, m)
           CROSS JOIN LATERAL (SELECT 1 FROM billed_months b WHERE b.enrollment_id = k.e AND b.month = k.m LIMIT 1) AS b`,
    values: [keys.map((k) => k.enrollmentId), keys.map((k) => k.month)],
  });
  return new Set(rows.map((r) => r.key));
}

export async function municipalitiesById(db: Queryable, ids: readonly string[]): Promise<Map<string, MunicipalityRow>> {
  const { rows } = await db.query<MunicipalityRow>(`SELECT id, region_code AS "regionCode", time_zone AS "timeZone", currency FROM municipalities WHERE id = ANY($1::uuid[])`, [ids]);
  return new Map(rows.map((r) => [r.id, r]));
}

export async function groupsById(db: Queryable, ids: readonly string[]): Promise<Map<string, GroupRow>> {
  const { rows } = await db.query<GroupRow>(`SELECT g.* FROM unnest($1::uuid[]) AS k(id) CROSS JOIN LATERAL (SELECT ${groupColumns} FROM groups g WHERE g.id = k.id LIMIT 1) AS g`, [ids]);
  return new Map(rows.map((r) => [r.id, r]));
}

export interface ChildCertificate {
  id: string;
  childId: string;
  proofs: { code: string; validFrom: string; validUntil: string }[];
  compensationOrder: number | null;
}

/** Each child's certificate with what its family's fee depends on (familyFactsOf). */
export async function certificatesOfChildren(db: Queryable, childIds: readonly string[]): Promise<Map<string, ChildCertificate>> {
  const { rows } = await db.query<ChildCertificate>(
    `SELECT c.* FROM unnest($1::uuid[]) AS k(child)
       CROSS JOIN LATERAL (SELECT id, child_id AS "childId", category_proofs AS proofs, compensation_order AS "compensationOrder" FROM certificates c WHERE c.child_id = k.child LIMIT 1) AS c`,
    [childIds],
  );
  return new Map(rows.map((r) => [r.childId, r]));
}

/** financingFor of many certificates, by `${certificateId}:${year}:${municipalityId}`. */
export async function financingsFor(
  db: Queryable,
  keys: readonly { certificateId: string; year: number; municipalityId: string }[],
): Promise<Map<string, Pick<FinancingRequestRow, "certificateId" | "year" | "municipalityId" | "movedIn">>> {
  const { rows } = await db.query<{ key: string; certificateId: string; year: number; municipalityId: string; movedIn: boolean }>(
    `SELECT k.c || ':' || k.y || ':' || k.m AS key, f.certificate_id AS "certificateId", f.year, f.municipality_id AS "municipalityId", f.moved_in AS "movedIn"
       FROM unnest($1::uuid[], $2::int[], $3::uuid[]) AS k(c, y, m)
       CROSS JOIN LATERAL (SELECT * FROM financing_requests f WHERE f.certificate_id = k.c AND f.year = k.y AND f.status = 'committed'
                           ORDER BY (f.municipality_id = k.m) DESC, (f.released_at IS NULL) DESC, f.requested_at DESC LIMIT 1) AS f`,
    [keys.map((k) => k.certificateId), keys.map((k) => k.year), keys.map((k) => k.municipalityId)],
  );
  return new Map(rows.map(({ key, ...f }) => [key, f]));
}

/** rolloverDue of many certificates: the `${certificateId}:${year}` whose new year has not been rolled. */
export async function rolloversDue(db: Queryable, keys: readonly { certificateId: string; year: number }[]): Promise<Set<string>> {
  const { rows } = await db.query<{ key: string }>(
    `SELECT k.c || ':' || k.y AS key FROM unnest($1::uuid[], $2::int[]) AS k(c, y)
      CROSS JOIN LATERAL (SELECT 1 FROM financing_requests f WHERE f.certificate_id = k.c AND f.year = k.y - 1 AND f.status = 'committed' LIMIT 1) AS f
      LEFT JOIN LATERAL (SELECT 1 AS rolled FROM year_rollovers r WHERE r.certificate_id = k.c AND r.year = k.y LIMIT 1) AS r ON true
      WHERE r.rolled IS NULL`,
    [keys.map((k) => k.certificateId), keys.map((k) => k.year)],
  );
  return new Set(rows.map((r) => r.key));
}

/** The enrollments' reservations of any year, locked, by `${enrollmentId}:${year}`. */
export async function lockReservationsOf(db: Queryable, enrollmentIds: readonly string[]): Promise<Map<string, ReservationRow>> {
  const { rows } = await db.query<ReservationRow>(
    `SELECT r.* FROM unnest($1::uuid[]) AS k(enrollment)
       CROSS JOIN LATERAL (SELECT ${reservationColumns} FROM reservations r WHERE r.enrollment_id = k.enrollment ORDER BY year FOR UPDATE) AS r`,
    // Locked in the order given: sorted.
    [[...new Set(enrollmentIds)].sort()],
  );
  return new Map(rows.map((r) => [`${r.enrollmentId}:${r.year}`, r]));
}

/** Pending transfers by id, with whether they were posted or voided. */
export async function pendingTransfers(db: Queryable, ids: readonly string[]): Promise<Map<string, BatchPending>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<BatchPending & { kind: string }>(
    `SELECT t.id, t.debit_account_id AS "debitAccountId", t.credit_account_id AS "creditAccountId", t.amount, t.kind,
            r.pending_id IS NOT NULL AS resolved
       FROM unnest($1::uuid[]) AS k(id) CROSS JOIN LATERAL (SELECT * FROM ledger_transfers t WHERE t.id = k.id LIMIT 1) AS t
       LEFT JOIN LATERAL (SELECT pending_id FROM ledger_pending_resolutions r WHERE r.pending_id = t.id LIMIT 1) AS r ON true`,
    [ids],
  );
  // Only pending transfers can be voided; anything else is left out, and voiding it is refused as not found (billed alone, billMonth says why).
  return new Map(rows.filter((r) => r.kind === "pending").map(({ kind: _kind, ...p }) => [p.id, p]));
}

/**
 * Accounts by id, locked in id order (so that batches queue rather than deadlock). FOR NO KEY
 * UPDATE, which an UPDATE of their balances needs, and not FOR UPDATE: other transactions' new
 * transfers check their accounts exist (the foreign keys take KEY SHARE) without waiting for it.
 */
export async function lockAccounts(db: Queryable, ids: readonly string[]): Promise<Map<string, BatchAccount & { tid: string }>> {
  const { rows } = await db.query<BatchAccount & { tid: string }>(
    `SELECT a.* FROM unnest($1::uuid[]) AS k(id)
       CROSS JOIN LATERAL (SELECT ctid::text AS tid, ${accountColumns} FROM ledger_accounts a WHERE a.id = k.id FOR NO KEY UPDATE) AS a`,
    // Locked in the order given: sorted.
    [[...new Set(ids)].sort()],
  );
  return new Map(rows.map((r) => [r.id, r]));
}

/** Accounts by id, not locked: those of a batch that no decision reads (see billTogether). */
export async function readAccounts(db: Queryable, ids: readonly string[]): Promise<Map<string, BatchAccount>> {
  const { rows } = await db.query<BatchAccount>(
    `SELECT a.* FROM unnest($1::uuid[]) AS k(id) CROSS JOIN LATERAL (SELECT ${accountColumns} FROM ledger_accounts a WHERE a.id = k.id LIMIT 1) AS a`,
    [[...new Set(ids)]],
  );
  return new Map(rows.map((r) => [r.id, r]));
}

export async function enrollmentStarts(db: Queryable, ids: readonly string[]): Promise<Map<string, string | null>> {
  const { rows } = await db.query<{ id: string; on: string | null }>(
    `SELECT e.* FROM unnest($1::uuid[]) AS k(id) CROSS JOIN LATERAL (SELECT id, to_char(started_on, 'YYYY-MM-DD') AS on FROM enrollments e WHERE e.id = k.id LIMIT 1) AS e`,
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r.on]));
}

/** A batch's transfers in order (seq follows the array) and the pending transfers it resolved. */
export async function insertTransfers(
  db: Queryable,
  batch: { rows: readonly BatchTransferRow[]; resolutions: readonly { pendingId: string; transferId: string; kind: string }[] },
  now: Date,
): Promise<void> {
  const t = batch.rows;
  if (t.length > 0) {
    await db.query(
      `INSERT INTO ledger_transfers (id, municipality_id, debit_account_id, credit_account_id, amount, currency, kind, balancing_debit, pending_id, code, cause_event_id, cause_command, created_at)
       SELECT id, municipality, debit, credit, amount, currency, kind, balancing, pending, code, cause_event, cause_command, $1
         FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::bigint[], $7::text[], $8::text[], $9::bool[], $10::uuid[], $11::text[], $12::uuid[], $13::text[])
              WITH ORDINALITY AS u(id, municipality, debit, credit, amount, currency, kind, balancing, pending, code, cause_event, cause_command, n)
        ORDER BY n`,
      [
        now,
        t.map((r) => r.id),
        t.map((r) => r.municipalityId),
        t.map((r) => r.debitAccountId),
        t.map((r) => r.creditAccountId),
        t.map((r) => r.amount),
        t.map((r) => r.currency),
        t.map((r) => r.kind),
        t.map((r) => r.balancingDebit),
        t.map((r) => r.pendingId),
        t.map((r) => r.code),
        t.map((r) => r.causeEventId),
        t.map((r) => r.causeCommand),
      ],
    );
  }
  const r = batch.resolutions;
  if (r.length > 0) {
    await db.query(`INSERT INTO ledger_pending_resolutions (pending_id, transfer_id, kind) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[])`, [
      r.map((x) => x.pendingId),
      r.map((x) => x.transferId),
      r.map((x) => x.kind),
    ]);
  }
}

/**
 * Each account's balance changed by its net delta, in one statement whose new rows the CHECK
 * constraints judge. The accounts were locked by this transaction (lockAccounts), which gave
 * their row addresses: a row locked cannot move, so each is updated through a TID scan (a join
 * on ids was a hash join over every account); the id is checked too, and an account not found
 * where it was locked fails the batch.
 */
export async function applyBalanceDeltas(db: Queryable, deltas: readonly BalanceDelta[], locked: ReadonlyMap<string, { tid: string }>): Promise<void> {
  const d = deltas.filter((x) => x.debitsPending !== 0 || x.debitsPosted !== 0 || x.creditsPending !== 0 || x.creditsPosted !== 0);
  if (d.length === 0) return;
  const tids = d.map((x) => {
    const tid = locked.get(x.id)?.tid;
    if (tid === undefined) throw new Error(`account ${x.id} changed by a batch it was not locked for`);
    return tid;
  });
  const { rowCount } = await db.query(
    `UPDATE ledger_accounts a SET debits_pending = a.debits_pending + d.dp, debits_posted = a.debits_posted + d.dq,
            credits_pending = a.credits_pending + d.cp, credits_posted = a.credits_posted + d.cq
       FROM unnest($1::tid[], $2::uuid[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[]) AS d(tid, id, dp, dq, cp, cq) WHERE a.ctid = d.tid AND a.id = d.id`,
    [tids, d.map((x) => x.id), d.map((x) => x.debitsPending), d.map((x) => x.debitsPosted), d.map((x) => x.creditsPending), d.map((x) => x.creditsPosted)],
  );
  if (rowCount !== d.length) throw new Error(`a batch updated ${rowCount ?? 0} of its ${d.length} accounts: one moved since it was locked`);
}

export async function saveReservations(db: Queryable, rows: readonly ReservationRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `UPDATE reservations r SET pending_id = u.pending_id, amount = u.amount, seq = u.seq
       FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::bigint[], $5::int[]) AS u(enrollment_id, year, pending_id, amount, seq)
      WHERE r.enrollment_id = u.enrollment_id AND r.year = u.year`,
    [rows.map((x) => x.enrollmentId), rows.map((x) => x.year), rows.map((x) => x.pendingId), rows.map((x) => x.amount), rows.map((x) => x.seq)],
  );
}

/** A first bill of a batch: the bill as saved, and the register its line goes to. */
export type BilledRow = BillRecord & { registerId: string };

/** First bills of many enrollment-months: billed_months (a row billed meanwhile fails the batch) and their versions. */
export async function saveFirstBills(db: Queryable, rows: readonly BillRecord[], now: Date): Promise<void> {
  if (rows.length === 0) return;
  const col = <K extends keyof BillRecord>(key: K) => rows.map((r) => r[key]);
  await db.query(
    `INSERT INTO billed_months (enrollment_id, month, version, municipality_id, provider_id, certificate_id, lessons, certificate_amount, family_amount, uncovered_amount,
                                benefit_amount, compensation_amount, billed_at)
     SELECT e, m, v, mu, p, c, l, ca, fa, ua, ba, co, $13 FROM unnest($1::uuid[], $2::text[], $3::int[], $4::uuid[], $5::uuid[], $6::uuid[], $7::int[], $8::bigint[], $9::bigint[],
                                                                $10::bigint[], $11::bigint[], $12::bigint[]) AS u(e, m, v, mu, p, c, l, ca, fa, ua, ba, co)`,
    [
      col("enrollmentId"),
      col("month"),
      col("version"),
      col("municipalityId"),
      col("providerId"),
      col("certificateId"),
      col("lessons"),
      col("certificateAmount"),
      col("familyAmount"),
      col("uncoveredAmount"),
      col("benefitAmount"),
      col("compensationAmount"),
      now,
    ],
  );
  await db.query(`INSERT INTO billed_versions (enrollment_id, month, version, cause_event_id) SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::uuid[]) ON CONFLICT DO NOTHING`, [
    col("enrollmentId"),
    col("month"),
    col("version"),
    col("causeEventId"),
  ]);
}

/** The bills' register lines (a first bill's line is its whole month). */
export async function addLines(db: Queryable, rows: readonly BilledRow[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <K extends keyof BilledRow>(key: K) => rows.map((r) => r[key]);
  await db.query(
    `INSERT INTO register_lines (register_id, enrollment_id, certificate_id, lessons, certificate_amount, family_amount)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::int[], $5::bigint[], $6::bigint[])
     ON CONFLICT (register_id, enrollment_id) DO UPDATE SET lessons = register_lines.lessons + EXCLUDED.lessons,
       certificate_amount = register_lines.certificate_amount + EXCLUDED.certificate_amount, family_amount = register_lines.family_amount + EXCLUDED.family_amount`,
    [col("registerId"), col("enrollmentId"), col("certificateId"), col("lessons"), col("certificateAmount"), col("familyAmount")],
  );
}
