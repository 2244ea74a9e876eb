import { v7 as uuidv7 } from "uuid";
import type { Queryable } from "@kruzhok/postgres";
import type { CategoryPlan, CategoryRecord } from "../domain/categories";

// Categories in force (child_categories: verified only) and the claims that wait for an
// operator or were decided (category_claims). Dates as text, as everywhere in the registry.

export type ClaimStatus = "pending" | "verified" | "rejected" | "withdrawn";

export interface ClaimRow extends CategoryRecord {
  id: string;
  childId: string;
  municipalityId: string;
  status: ClaimStatus;
  claimedBy: string;
  claimedAt: Date;
  decidedBy: string | null;
  decidedAt: Date | null;
  reason: string | null;
}

const claimColumns = `q.id, q.child_id AS "childId", c.municipality_id AS "municipalityId", q.code, q.proof,
  to_char(q.valid_from, 'YYYY-MM-DD') AS "validFrom", to_char(q.valid_until, 'YYYY-MM-DD') AS "validUntil",
  q.status, q.claimed_by AS "claimedBy", q.claimed_at AS "claimedAt", q.decided_by AS "decidedBy", q.decided_at AS "decidedAt", q.reason`;

export async function findClaim(db: Queryable, id: string, forUpdate = false): Promise<ClaimRow | undefined> {
  const { rows } = await db.query<ClaimRow>(
    `SELECT ${claimColumns} FROM category_claims q JOIN children c ON c.id = q.child_id WHERE q.id = $1 ${forUpdate ? "FOR UPDATE OF q" : ""}`,
    [id],
  );
  return rows[0];
}

/** A child's claims, newest first: what waits, and what was decided and why. */
export async function claimsOfChild(db: Queryable, childId: string, limit = 50): Promise<ClaimRow[]> {
  const { rows } = await db.query<ClaimRow>(
    `SELECT ${claimColumns} FROM category_claims q JOIN children c ON c.id = q.child_id
      WHERE q.child_id = $1 ORDER BY q.claimed_at DESC, q.id DESC LIMIT $2`,
    [childId, limit],
  );
  return rows;
}

export interface WaitingClaim extends ClaimRow {
  child: { firstName: string; lastName: string; patronymic: string | null; birthDate: string };
}

/** The claims waiting for the office of `municipalityId`, oldest first (the order they are worked through), after the cursor. */
export async function waitingClaims(db: Queryable, municipalityId: string, limit: number, after?: { claimedAt: Date; id: string }): Promise<WaitingClaim[]> {
  const { rows } = await db.query<WaitingClaim>(
    `SELECT ${claimColumns}, json_build_object('firstName', c.first_name, 'lastName', c.last_name, 'patronymic', c.patronymic,
            'birthDate', to_char(c.birth_date, 'YYYY-MM-DD')) AS child
       FROM category_claims q JOIN children c ON c.id = q.child_id
      WHERE q.status = 'pending' AND c.municipality_id = $1
        AND ($3::timestamptz IS NULL OR (q.claimed_at, q.id) > ($3, $4::uuid))
      ORDER BY q.claimed_at, q.id LIMIT $2`,
    [municipalityId, limit, after?.claimedAt ?? null, after?.id ?? null],
  );
  return rows;
}

export async function pendingRecords(db: Queryable, childId: string): Promise<CategoryRecord[]> {
  const { rows } = await db.query<CategoryRecord>(
    `SELECT code, proof, to_char(valid_from, 'YYYY-MM-DD') AS "validFrom", to_char(valid_until, 'YYYY-MM-DD') AS "validUntil"
       FROM category_claims WHERE child_id = $1 AND status = 'pending'`,
    [childId],
  );
  return rows;
}

async function insertClaims(db: Queryable, childId: string, records: readonly CategoryRecord[], status: "pending" | "verified", by: string, now: Date): Promise<void> {
  if (records.length === 0) return;
  await db.query(
    `INSERT INTO category_claims (id, child_id, code, proof, valid_from, valid_until, status, claimed_by, claimed_at, decided_by, decided_at)
     SELECT r.id, $1, r.code, r.proof, r."validFrom"::date, r."validUntil"::date, $2, $3, $4,
            CASE WHEN $2 = 'pending' THEN NULL ELSE $3 END, CASE WHEN $2 = 'pending' THEN NULL ELSE $4::timestamptz END
       FROM json_to_recordset($5::json) AS r(id uuid, code text, proof jsonb, "validFrom" text, "validUntil" text)`,
    [childId, status, by, now, JSON.stringify(records.map((r) => ({ ...r, id: uuidv7({ msecs: now.getTime() }) })))],
  );
}

/** Put a verified record in force (replacing the code's earlier one), with who verified it. */
export async function putVerified(db: Queryable, childId: string, records: readonly CategoryRecord[], by: string, now: Date): Promise<void> {
  if (records.length === 0) return;
  await db.query(
    `INSERT INTO child_categories (child_id, code, proof, valid_from, valid_until, verified_by, verified_at)
     SELECT $1, r.code, r.proof, r."validFrom"::date, r."validUntil"::date, $2, $3
       FROM json_to_recordset($4::json) AS r(code text, proof jsonb, "validFrom" text, "validUntil" text)
     ON CONFLICT (child_id, code) DO UPDATE SET proof = EXCLUDED.proof, valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until,
       verified_by = EXCLUDED.verified_by, verified_at = EXCLUDED.verified_at, expiry_noticed = false, expiry_announced = false`,
    [childId, by, now, JSON.stringify(records)],
  );
}

/** Carry out a plan of the domain's `planCategories`: `by` is the actor's subject, kept on every claim and record. */
export async function applyCategoryPlan(db: Queryable, childId: string, plan: CategoryPlan, by: string, now: Date): Promise<void> {
  if (plan.remove.length > 0) await db.query(`DELETE FROM child_categories WHERE child_id = $1 AND code = ANY($2::text[])`, [childId, plan.remove]);
  const replaced = [...plan.withdraw, ...plan.pending.map((r) => r.code)];
  if (replaced.length > 0) {
    await db.query(
      `UPDATE category_claims SET status = 'withdrawn', decided_by = $3, decided_at = $4
        WHERE child_id = $1 AND code = ANY($2::text[]) AND status = 'pending'`,
      [childId, replaced, by, now],
    );
  }
  await insertClaims(db, childId, plan.verify, "verified", by, now);
  await putVerified(db, childId, plan.verify, by, now);
  await insertClaims(db, childId, plan.pending, "pending", by, now);
}

/** Record the office's decision on a pending claim. */
export async function decideClaim(db: Queryable, id: string, status: "verified" | "rejected", by: string, now: Date, reason: string | null): Promise<void> {
  await db.query(`UPDATE category_claims SET status = $2, decided_by = $3, decided_at = $4, reason = $5 WHERE id = $1 AND status = 'pending'`, [id, status, by, now, reason]);
}

export interface EndingCategory {
  childId: string;
  municipalityId: string;
  code: string;
  validUntil: string;
  /** The municipality's local date when the record was read. */
  today: string;
}

/**
 * Verified categories whose last day is within `noticeDays` of the municipality's local today and
 * whose family was not told yet; locked and skipped by a concurrent sweep.
 */
export async function categoriesEndingSoon(db: Queryable, now: Date, noticeDays: number, limit: number): Promise<EndingCategory[]> {
  const { rows } = await db.query<EndingCategory>(
    `SELECT k.child_id AS "childId", c.municipality_id AS "municipalityId", k.code, to_char(k.valid_until, 'YYYY-MM-DD') AS "validUntil",
            to_char(($1::timestamptz AT TIME ZONE m.time_zone)::date, 'YYYY-MM-DD') AS today
       FROM child_categories k JOIN children c ON c.id = k.child_id JOIN municipalities m ON m.id = c.municipality_id
      WHERE NOT k.expiry_noticed AND NOT k.expiry_announced
        AND k.valid_until - $2::int <= ($1::timestamptz AT TIME ZONE m.time_zone)::date
        AND k.valid_until >= ($1::timestamptz AT TIME ZONE m.time_zone)::date
      ORDER BY k.valid_until, k.child_id, k.code
      LIMIT $3 FOR UPDATE OF k SKIP LOCKED`,
    [now, noticeDays, limit],
  );
  return rows;
}

/** Verified categories past their last day in the municipality's zone, not yet announced; locked and skipped by a concurrent sweep. */
export async function categoriesEnded(db: Queryable, now: Date, limit: number): Promise<EndingCategory[]> {
  const { rows } = await db.query<EndingCategory>(
    `SELECT k.child_id AS "childId", c.municipality_id AS "municipalityId", k.code, to_char(k.valid_until, 'YYYY-MM-DD') AS "validUntil",
            to_char(($1::timestamptz AT TIME ZONE m.time_zone)::date, 'YYYY-MM-DD') AS today
       FROM child_categories k JOIN children c ON c.id = k.child_id JOIN municipalities m ON m.id = c.municipality_id
      WHERE NOT k.expiry_announced AND k.valid_until < ($1::timestamptz AT TIME ZONE m.time_zone)::date
      ORDER BY k.valid_until, k.child_id, k.code
      LIMIT $2 FOR UPDATE OF k SKIP LOCKED`,
    [now, limit],
  );
  return rows;
}

export async function markEnding(db: Queryable, rows: readonly Pick<EndingCategory, "childId" | "code">[], column: "expiry_noticed" | "expiry_announced"): Promise<void> {
  if (rows.length === 0) return;
  await db.query(
    `UPDATE child_categories k SET ${column} = true FROM json_to_recordset($1::json) AS r("childId" uuid, code text)
      WHERE k.child_id = r."childId" AND k.code = r.code`,
    [JSON.stringify(rows.map(({ childId, code }) => ({ childId, code })))],
  );
}

