import type { Queryable } from "@kruzhok/postgres";
import type { CategoryRecord } from "../domain/categories";
import type { DocumentKind } from "../domain/documents";

export interface Person {
  firstName: string;
  lastName: string;
  patronymic: string | null;
}

export interface GuardianRow extends Person {
  id: string;
  municipalityId: string;
  phone: string | null;
  email: string | null;
  document: { kind: DocumentKind; number: string };
  /** The family's language for messages; null: the municipality's currency decides. */
  language: FamilyLanguage | null;
}

export type FamilyLanguage = "ru" | "kk";

const guardianColumns = `id, municipality_id AS "municipalityId", first_name AS "firstName", last_name AS "lastName",
  patronymic, phone, email, json_build_object('kind', document_kind, 'number', document_number) AS document, language`;

/** False when the guardian is registered already: by this id, or by the same document. */
export async function insertGuardian(db: Queryable, g: GuardianRow, documentHash: string): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO guardians (id, municipality_id, first_name, last_name, patronymic, phone, email, document_kind, document_number, document_hash, language)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
    [g.id, g.municipalityId, g.firstName, g.lastName, g.patronymic, g.phone, g.email, g.document.kind, g.document.number, documentHash, g.language],
  );
  return result.rowCount === 1;
}

export async function findGuardian(db: Queryable, id: string): Promise<GuardianRow | undefined> {
  const { rows } = await db.query<GuardianRow>(`SELECT ${guardianColumns} FROM guardians WHERE id = $1`, [id]);
  return rows[0];
}

/** Where each of `ids` is registered; ids not found are missing from the map. */
export async function guardianMunicipalities(db: Queryable, ids: readonly string[]): Promise<Map<string, string>> {
  const { rows } = await db.query<{ id: string; municipalityId: string }>(
    `SELECT id, municipality_id AS "municipalityId" FROM guardians WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return new Map(rows.map((row) => [row.id, row.municipalityId]));
}

export interface ChildRow extends Person {
  id: string;
  municipalityId: string;
  birthDate: string;
  document: { kind: DocumentKind; number: string };
  guardianIds: string[];
  /** Guardians named by the guardian who registered the child, not yet confirmed: not guardians yet. */
  invitedGuardianIds: string[];
  categories: CategoryRecord[];
}

export interface NewChild extends Omit<ChildRow, "guardianIds" | "invitedGuardianIds" | "categories"> {
  normalisedDocument: string;
  documentHash: string;
}

// Dates as text: pg would turn a `date` into a JS Date at local midnight of this process.
// Exported for reads that return a child beside other facts (issuance); `c` is the child.
export const childColumns = `c.id, c.municipality_id AS "municipalityId", c.first_name AS "firstName", c.last_name AS "lastName",
  c.patronymic, to_char(c.birth_date, 'YYYY-MM-DD') AS "birthDate",
  json_build_object('kind', c.document_kind, 'number', c.document_number) AS document,
  ARRAY(SELECT g.guardian_id::text FROM child_guardians g WHERE g.child_id = c.id ORDER BY g.guardian_id) AS "guardianIds",
  ARRAY(SELECT i.guardian_id::text FROM co_guardian_invitations i WHERE i.child_id = c.id ORDER BY i.guardian_id) AS "invitedGuardianIds",
  COALESCE((SELECT json_agg(json_build_object('code', k.code, 'proof', k.proof,
      'validFrom', to_char(k.valid_from, 'YYYY-MM-DD'), 'validUntil', to_char(k.valid_until, 'YYYY-MM-DD')) ORDER BY k.code)
    FROM child_categories k WHERE k.child_id = c.id), '[]') AS categories`;

/** False when a child with the same document is registered anywhere in the region. */
export async function insertChild(db: Queryable, child: NewChild, guardianIds: readonly string[]): Promise<boolean> {
  const inserted = await db.query(
    `INSERT INTO children (id, municipality_id, first_name, last_name, patronymic, birth_date, document_kind, document_number,
       normalised_document, document_hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (document_hash) DO NOTHING`,
    [
      child.id,
      child.municipalityId,
      child.firstName,
      child.lastName,
      child.patronymic,
      child.birthDate,
      child.document.kind,
      child.document.number,
      child.normalisedDocument,
      child.documentHash,
    ],
  );
  if (inserted.rowCount !== 1) return false;
  await db.query(`INSERT INTO child_guardians (child_id, guardian_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`, [child.id, guardianIds]);
  return true;
}

export async function findChild(db: Queryable, id: string): Promise<ChildRow | undefined> {
  const { rows } = await db.query<ChildRow>(`SELECT ${childColumns} FROM children c WHERE c.id = $1`, [id]);
  return rows[0];
}

/** A guardian's children; only those living in `municipalityId` when given (an office's view). */
export async function childrenOfGuardian(db: Queryable, guardianId: string, municipalityId?: string): Promise<ChildRow[]> {
  const { rows } = await db.query<ChildRow>(
    `SELECT ${childColumns} FROM children c JOIN child_guardians cg ON cg.child_id = c.id
      WHERE cg.guardian_id = $1 AND ($2::uuid IS NULL OR c.municipality_id = $2) ORDER BY c.created_at, c.id`,
    [guardianId, municipalityId ?? null],
  );
  return rows;
}

/** Guardians named by `invitedBy` for the child, waiting for their (or the office's) confirmation. */
export async function insertInvitations(db: Queryable, childId: string, guardianIds: readonly string[], invitedBy: string, now: Date): Promise<void> {
  if (guardianIds.length === 0) return;
  await db.query(
    `INSERT INTO co_guardian_invitations (child_id, guardian_id, invited_by, created_at) SELECT $1, unnest($2::uuid[]), $3, $4 ON CONFLICT DO NOTHING`,
    [childId, guardianIds, invitedBy, now],
  );
}

/** An invitation accepted: the guardianship exists from now. False when there was no such invitation. */
export async function acceptInvitation(db: Queryable, childId: string, guardianId: string): Promise<boolean> {
  const removed = await db.query(`DELETE FROM co_guardian_invitations WHERE child_id = $1 AND guardian_id = $2`, [childId, guardianId]);
  if (removed.rowCount !== 1) return false;
  await db.query(`INSERT INTO child_guardians (child_id, guardian_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [childId, guardianId]);
  return true;
}

/** Merge the duplicate record into the child it is: the duplicate points at it, and the child's guardians become `guardianIds`. */
export async function mergeChildInto(db: Queryable, duplicateId: string, childId: string, guardianIds: readonly string[]): Promise<void> {
  await db.query(`UPDATE children SET merged_into = $2 WHERE id = $1`, [duplicateId, childId]);
  await db.query(`INSERT INTO child_guardians (child_id, guardian_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`, [childId, guardianIds]);
}

export async function moveChild(db: Queryable, childId: string, municipalityId: string): Promise<void> {
  await db.query(`UPDATE children SET municipality_id = $2 WHERE id = $1`, [childId, municipalityId]);
}

/**
 * The child's guardians registered in `from` move to `to` with it, unless another of their
 * children still lives in `from` (a family split between two municipalities keeps its record
 * where it was). Returns the guardians moved.
 */
export async function moveGuardiansWithChild(db: Queryable, childId: string, from: string, to: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE guardians g SET municipality_id = $3
      WHERE g.id IN (SELECT guardian_id FROM child_guardians WHERE child_id = $1) AND g.municipality_id = $2
        AND NOT EXISTS (SELECT 1 FROM child_guardians cg JOIN children c ON c.id = cg.child_id
                         WHERE cg.guardian_id = g.id AND c.id <> $1 AND c.municipality_id = $2 AND c.merged_into IS NULL)
      RETURNING g.id`,
    [childId, from, to],
  );
  return rows.map((r) => r.id);
}

/**
 * Serialize applications of children born the same day until COMMIT, so that two suspected
 * duplicates (see the domain's `samePersonAs`) applying at once cannot both slip through, and
 * one child applying twice at once is serialized too. Keys are locked in ascending order:
 * transactions applying for several children at once then always wait in the same direction and never deadlock. Postgres evaluates
 * a volatile function of the select list after ORDER BY, so the order holds.
 */
export async function lockSameDay(db: Queryable, childIds: readonly string[]): Promise<void> {
  await db.query({
    name: "registry.lock-same-day",
    text: `SELECT pg_advisory_xact_lock(k.key)
       FROM (SELECT DISTINCT hashtextextended('born ' || birth_date::text, 0) AS key FROM children WHERE id = ANY($1::uuid[])) AS k
      ORDER BY k.key`,
    values: [childIds],
  });
}

/** Lock a child's row: category replacements of one child happen one at a time. */
export async function lockChild(db: Queryable, id: string): Promise<boolean> {
  const result = await db.query(`SELECT 1 FROM children WHERE id = $1 FOR UPDATE`, [id]);
  return result.rowCount === 1;
}

export interface GuardianContact {
  email: string | null;
  phone: string | null;
  language: FamilyLanguage | null;
}

/**
 * How to reach a guardian, for notifications delivered here because contacts never leave the
 * registry. Undefined when the guardian is unknown.
 */
export async function guardianContact(db: Queryable, guardianId: string): Promise<GuardianContact | undefined> {
  const { rows } = await db.query<GuardianContact>(`SELECT email, phone, language FROM guardians WHERE id = $1`, [guardianId]);
  return rows[0];
}

export async function setGuardianLanguage(db: Queryable, guardianId: string, language: FamilyLanguage): Promise<void> {
  await db.query("UPDATE guardians SET language = $2 WHERE id = $1", [guardianId, language]);
}
