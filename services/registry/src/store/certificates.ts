import type { Queryable } from "@kruzhok/postgres";
import type { Certificate, ClosedReason, Funding } from "../domain/certificate";
import type { ApplicationStatus } from "../domain/issuance";
import type { PersonOnFile } from "../domain/person-match";
import { childColumns, type ChildRow } from "./people";

export interface CertificateRow {
  id: string;
  number: string;
  childId: string;
  municipalityId: string;
  status: Certificate["status"];
  funding: Funding;
  financedYear: number | null;
  suspendedReason: string | null;
  closedReason: ClosedReason | null;
  closedComment: string | null;
  issuedAt: Date;
  updatedAt: Date;
}

const columns = `id, number, child_id AS "childId", municipality_id AS "municipalityId", status, funding,
  financed_year AS "financedYear", suspended_reason AS "suspendedReason", closed_reason AS "closedReason",
  closed_comment AS "closedComment", issued_at AS "issuedAt", updated_at AS "updatedAt"`;

/** The row an INSERT or UPDATE of a locked row returned; none means a bug, not a user's mistake. */
function returned<T>(rows: T[], what: string): T {
  const [row] = rows;
  if (row === undefined) throw new Error(`the ${what} row was not written`);
  return row;
}

/** The row as the domain's state machine sees it. */
export function certificateState(row: CertificateRow): Certificate {
  const { funding, financedYear } = row;
  switch (row.status) {
    case "active":
      return { status: "active", funding, financedYear };
    case "suspended":
      return { status: "suspended", funding, financedYear, suspendedReason: row.suspendedReason ?? "" };
    case "closed":
      return { status: "closed", funding, financedYear, closedReason: row.closedReason ?? "decision" };
    default: {
      const exhaustive: never = row.status;
      return exhaustive;
    }
  }
}

/** The next serial of the region; gaps from rolled-back issues are harmless. */
export async function nextSerial(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ serial: number }>(`SELECT nextval('certificate_serial_seq') AS serial`);
  return Number(rows[0]?.serial);
}

export interface NewCertificate {
  id: string;
  number: string;
  childId: string;
  municipalityId: string;
  now: Date;
}

/** Undefined when the child holds a certificate already (one per child in the region). */
export async function insertCertificate(db: Queryable, c: NewCertificate): Promise<CertificateRow | undefined> {
  const { rows } = await db.query<CertificateRow>(
    `INSERT INTO certificates (id, number, child_id, municipality_id, status, funding, issued_at, updated_at)
     VALUES ($1, $2, $3, $4, 'active', 'accounting', $5, $5) ON CONFLICT (child_id) DO NOTHING RETURNING ${columns}`,
    [c.id, c.number, c.childId, c.municipalityId, c.now],
  );
  return rows[0];
}

/** With `forUpdate`, the row stays locked to the end of the transaction: one change at a time. */
export async function findCertificate(db: Queryable, id: string, forUpdate = false): Promise<CertificateRow | undefined> {
  const { rows } = await db.query<CertificateRow>(`SELECT ${columns} FROM certificates WHERE id = $1${forUpdate ? " FOR UPDATE" : ""}`, [id]);
  return rows[0];
}

export async function findCertificateOfChild(db: Queryable, childId: string): Promise<CertificateRow | undefined> {
  const { rows } = await db.query<CertificateRow>(`SELECT ${columns} FROM certificates WHERE child_id = $1`, [childId]);
  return rows[0];
}

/** Write a state the domain decided, with where the certificate lives now. */
export async function saveCertificate(
  db: Queryable,
  id: string,
  state: Certificate,
  where: { municipalityId: string; closedComment?: string | null },
  now: Date,
): Promise<CertificateRow> {
  const { rows } = await db.query<CertificateRow>(
    `UPDATE certificates SET status = $2, funding = $3, financed_year = $4, suspended_reason = $5, closed_reason = $6,
       closed_comment = COALESCE($7, closed_comment), municipality_id = $8, updated_at = $9
     WHERE id = $1 RETURNING ${columns}`,
    [
      id,
      state.status,
      state.funding,
      state.financedYear,
      state.status === "suspended" ? state.suspendedReason : null,
      state.status === "closed" ? state.closedReason : null,
      where.closedComment ?? null,
      where.municipalityId,
      now,
    ],
  );
  return returned(rows, "certificate");
}

export interface ApplicationRow {
  id: string;
  childId: string;
  municipalityId: string;
  status: ApplicationStatus;
  similarChildId: string;
  reason: string;
  certificateId: string | null;
  decidedAt: Date | null;
  decisionComment: string | null;
  createdAt: Date;
}

const applicationColumns = `id, child_id AS "childId", municipality_id AS "municipalityId", status,
  similar_child_id AS "similarChildId", reason, certificate_id AS "certificateId", decided_at AS "decidedAt",
  decision_comment AS "decisionComment", created_at AS "createdAt"`;

export interface NewHeldApplication {
  id: string;
  childId: string;
  municipalityId: string;
  similarChildId: string;
  reason: string;
  now: Date;
}

type Jsonified<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

// The writes of one issuance batch in one statement (a round trip rather than two): the
// certificates and the held applications. Rows come back as JSON, one array each.
const WRITE_ISSUANCE = `
WITH certificate AS (
  INSERT INTO certificates (id, number, child_id, municipality_id, status, funding, issued_at, updated_at)
  SELECT n.id, n.number, n.child_id, n.municipality_id, 'active', 'accounting', n.at, n.at
    FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::timestamptz[]) AS n(id, number, child_id, municipality_id, at)
  ON CONFLICT (child_id) DO NOTHING RETURNING ${columns}
), held AS (
  INSERT INTO certificate_applications (id, child_id, municipality_id, status, similar_child_id, reason, created_at)
  SELECT n.id, n.child_id, n.municipality_id, 'held', n.similar_child_id, n.reason, n.at
    FROM unnest($6::uuid[], $7::uuid[], $8::uuid[], $9::uuid[], $10::text[], $11::timestamptz[])
      AS n(id, child_id, municipality_id, similar_child_id, reason, at)
  RETURNING ${applicationColumns}
)
SELECT (SELECT COALESCE(json_agg(c), '[]') FROM certificate c) AS certificates,
       (SELECT COALESCE(json_agg(h), '[]') FROM held h) AS held`;

/**
 * Write what an issuance batch decided, in one statement: the certificates (a child that holds
 * one already is left out of the result) and the held applications.
 */
export async function writeIssuance(
  db: Queryable,
  writes: { certificates: readonly NewCertificate[]; held: readonly NewHeldApplication[] },
): Promise<{ certificates: CertificateRow[]; held: ApplicationRow[] }> {
  const { certificates: list, held } = writes;
  if (list.length === 0 && held.length === 0) return { certificates: [], held: [] };
  const { rows } = await db.query<{ certificates: Jsonified<CertificateRow>[]; held: Jsonified<ApplicationRow>[] }>({
    // Named: parsed and planned once per connection, not on every batch of an opening day.
    name: "registry.write-issuance",
    text: WRITE_ISSUANCE,
    values: [
      list.map((c) => c.id),
      list.map((c) => c.number),
      list.map((c) => c.childId),
      list.map((c) => c.municipalityId),
      list.map((c) => c.now),
      held.map((a) => a.id),
      held.map((a) => a.childId),
      held.map((a) => a.municipalityId),
      held.map((a) => a.similarChildId),
      held.map((a) => a.reason),
      held.map((a) => a.now),
    ],
  });
  const [row] = rows;
  if (!row) throw new Error("the issuance writes returned no row");
  return {
    certificates: row.certificates.map((c) => ({ ...c, issuedAt: new Date(c.issuedAt), updatedAt: new Date(c.updatedAt) })),
    held: row.held.map((a) => ({ ...a, createdAt: new Date(a.createdAt), decidedAt: a.decidedAt === null ? null : new Date(a.decidedAt) })),
  };
}

/** What deciding an application for a child's certificate needs to know, read in one statement. */
export interface IssuanceFacts {
  child: ChildRow;
  municipality: { id: string; code: string; timeZone: string };
  /** The child holds a certificate already. */
  certified: boolean;
  /** The child's application waiting for an operator, if any. */
  held: ApplicationRow | undefined;
  /** Other children born the same day who hold a certificate: the domain decides which may be this child. */
  certifiedSameDay: PersonOnFile[];
  /** The child's other record this one was merged into, if an operator merged it. */
  mergedInto: string | null;
  /** A fresh serial when the child may be issued a certificate now; unused ones leave harmless gaps. */
  serial: number | undefined;
}

interface IssuanceFactsRow extends ChildRow {
  municipalityCode: string;
  timeZone: string;
  certified: boolean;
  held: (Omit<ApplicationRow, "createdAt" | "decidedAt"> & { createdAt: string; decidedAt: string | null }) | null;
  certifiedSameDay: PersonOnFile[];
  mergedInto: string | null;
  serial: string | number | null;
}

/**
 * Everything issuance reads about `childIds`, in one statement: the child, its identity, whether
 * it holds a certificate or has an application held, its municipality, the certified children born the same day,
 * and (only when it may be issued one) a serial. Children not found are missing from the result.
 *
 * Run it as a statement of its own AFTER `lockSameDay`: under READ COMMITTED a statement sees
 * what was committed when it started, so a read in the same statement as the lock could miss
 * the certificate a child born the same day committed while we waited for the lock.
 */
export async function issuanceFacts(db: Queryable, childIds: readonly string[]): Promise<IssuanceFacts[]> {
  const { rows } = await db.query<IssuanceFactsRow>({
    // Named: planning this statement took longer than running it (4-6 ms a batch, BENCHMARKS.md).
    name: "registry.issuance-facts",
    text: `SELECT ${childColumns},
            c.merged_into AS "mergedInto",
            m.code AS "municipalityCode", m.time_zone AS "timeZone", f.certified, f.held,
            COALESCE((SELECT json_agg(json_build_object('id', n.id, 'lastName', n.last_name, 'firstName', n.first_name,
                                                        'birthDate', to_char(n.birth_date, 'YYYY-MM-DD')))
                        FROM children n
                       WHERE n.birth_date = c.birth_date AND n.id <> c.id
                         -- One probe of the certificates' unique index per child born that day, whatever the
                         -- statistics say: as a join, a planner without fresh statistics (a bulk import,
                         -- autovacuum behind) hashed the whole certificates table for every child, 0.75 ms
                         -- of Postgres CPU an issuance (BENCHMARKS.md, 2026-12-04).
                         AND (SELECT true FROM certificates s WHERE s.child_id = n.id)), '[]') AS "certifiedSameDay",
            CASE WHEN NOT f.certified AND f.held IS NULL THEN nextval('certificate_serial_seq') END AS serial
       FROM children c
       JOIN municipalities m ON m.id = c.municipality_id
       -- OFFSET 0 keeps the subquery whole, so each fact is computed once per child.
       CROSS JOIN LATERAL (
         SELECT EXISTS (SELECT 1 FROM certificates s WHERE s.child_id = c.id) AS certified,
                (SELECT row_to_json(a) FROM (SELECT ${applicationColumns} FROM certificate_applications
                                              WHERE child_id = c.id AND status = 'held') AS a) AS held
         OFFSET 0
       ) AS f
      WHERE c.id = ANY($1::uuid[])`,
    values: [childIds],
  });
  return rows.map((row) => {
    const { municipalityCode, timeZone, certified, held, certifiedSameDay, mergedInto, serial, ...child } = row;
    return {
      child,
      municipality: { id: child.municipalityId, code: municipalityCode, timeZone },
      certified,
      held: held ? { ...held, createdAt: new Date(held.createdAt), decidedAt: held.decidedAt === null ? null : new Date(held.decidedAt) } : undefined,
      certifiedSameDay,
      mergedInto,
      serial: serial === null ? undefined : Number(serial),
    };
  });
}

export async function findApplication(db: Queryable, id: string, forUpdate = false): Promise<ApplicationRow | undefined> {
  const { rows } = await db.query<ApplicationRow>(
    `SELECT ${applicationColumns} FROM certificate_applications WHERE id = $1${forUpdate ? " FOR UPDATE" : ""}`,
    [id],
  );
  return rows[0];
}

export async function listApplications(db: Queryable, municipalityId: string, status: ApplicationStatus): Promise<ApplicationRow[]> {
  const { rows } = await db.query<ApplicationRow>(
    `SELECT ${applicationColumns} FROM certificate_applications WHERE municipality_id = $1 AND status = $2 ORDER BY created_at, id`,
    [municipalityId, status],
  );
  return rows;
}

/** Write an operator's decision on a held application (see the domain's `decideHeldApplication`). */
export async function recordApplicationDecision(
  db: Queryable,
  id: string,
  d: { status: Exclude<ApplicationStatus, "held">; certificateId: string | null; decidedBy: string; comment: string | null; now: Date },
): Promise<ApplicationRow> {
  const { rows } = await db.query<ApplicationRow>(
    `UPDATE certificate_applications SET status = $2, certificate_id = $3, decided_by = $4, decision_comment = $5, decided_at = $6
      WHERE id = $1 RETURNING ${applicationColumns}`,
    [id, d.status, d.certificateId, d.decidedBy, d.comment, d.now],
  );
  return returned(rows, "application");
}

/** Mark a locked certificate financed for `year`, after a place under the cap was taken. */
export async function markFinanced(db: Queryable, id: string, year: number, now: Date): Promise<CertificateRow> {
  const { rows } = await db.query<CertificateRow>(
    `UPDATE certificates SET funding = 'financed', financed_year = $2, updated_at = $3 WHERE id = $1 RETURNING ${columns}`,
    [id, year, now],
  );
  return returned(rows, "certificate");
}

export interface EndingCertificate {
  certificateId: string;
  childId: string;
  municipalityId: string;
  /** The child's 18th birthday: the day the certificate closes. */
  endsOn: string;
  /** The municipality's local date when the row was read. */
  today: string;
}

/**
 * Open certificates whose child turns 18 within a month of the municipality's local today
 * (`noticed`: those not told yet) or has turned 18 (`ended`); locked, and skipped by a concurrent
 * sweep. Birth dates are bounded first by the UTC date (a day either way covers every zone), so
 * the birth-date index does the narrowing.
 */
export async function certificatesEnding(db: Queryable, now: Date, which: "notice" | "close", limit: number): Promise<EndingCertificate[]> {
  const local = `($1::timestamptz AT TIME ZONE m.time_zone)::date`;
  const due =
    which === "notice"
      ? `NOT c.ending_noticed AND (ch.birth_date + interval '18 years' - interval '1 month')::date <= ${local} AND (ch.birth_date + interval '18 years')::date > ${local}`
      : `(ch.birth_date + interval '18 years')::date <= ${local}`;
  const slack = which === "notice" ? `interval '1 month 2 days'` : `interval '2 days'`;
  const { rows } = await db.query<EndingCertificate>(
    `SELECT c.id AS "certificateId", c.child_id AS "childId", c.municipality_id AS "municipalityId",
            to_char(ch.birth_date + interval '18 years', 'YYYY-MM-DD') AS "endsOn", to_char(${local}, 'YYYY-MM-DD') AS today
       FROM children ch JOIN certificates c ON c.child_id = ch.id JOIN municipalities m ON m.id = c.municipality_id
      WHERE ch.birth_date <= ($1::timestamptz AT TIME ZONE 'UTC')::date - interval '18 years' + ${slack}
        AND c.status <> 'closed' AND ${due}
      ORDER BY ch.birth_date, c.id
      LIMIT $2 FOR UPDATE OF c SKIP LOCKED`,
    [now, limit],
  );
  return rows;
}

export async function markEndingNoticed(db: Queryable, certificateIds: readonly string[]): Promise<void> {
  if (certificateIds.length === 0) return;
  await db.query(`UPDATE certificates SET ending_noticed = true WHERE id = ANY($1::uuid[])`, [certificateIds]);
}
