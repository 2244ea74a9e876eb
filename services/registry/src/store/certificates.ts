import type { Queryable } from "@kruzhok/postgres";
import type { Certificate, ClosedReason, Funding } from "../domain/certificate";

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

export type ApplicationStatus = "held" | "approved" | "rejected";

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

export async function insertHeldApplication(
  db: Queryable,
  a: { id: string; childId: string; municipalityId: string; similarChildId: string; reason: string; now: Date },
): Promise<ApplicationRow> {
  const { rows } = await db.query<ApplicationRow>(
    `INSERT INTO certificate_applications (id, child_id, municipality_id, status, similar_child_id, reason, created_at)
     VALUES ($1, $2, $3, 'held', $4, $5, $6) RETURNING ${applicationColumns}`,
    [a.id, a.childId, a.municipalityId, a.similarChildId, a.reason, a.now],
  );
  return returned(rows, "application");
}

export async function findHeldApplicationOfChild(db: Queryable, childId: string): Promise<ApplicationRow | undefined> {
  const { rows } = await db.query<ApplicationRow>(
    `SELECT ${applicationColumns} FROM certificate_applications WHERE child_id = $1 AND status = 'held'`,
    [childId],
  );
  return rows[0];
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

export async function decideApplication(
  db: Queryable,
  id: string,
  d: { status: "approved" | "rejected"; certificateId: string | null; decidedBy: string; comment: string | null; now: Date },
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
