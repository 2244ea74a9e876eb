import type { Queryable } from "@kruzhok/postgres";

// The office's search for a family, and the trail of every look-up of personal data.

export interface PersonCriteria {
  /** Words that each begin a word of the child's or a guardian's names (ё and е alike, any case). */
  nameWords?: string[] | undefined;
  birthDate?: string | undefined;
  /** Hashes of the typed document number read as each kind of document (see domain/documents). */
  documentHashes?: string[] | undefined;
  certificateNumber?: string | undefined;
}

export interface FoundChild {
  id: string;
  firstName: string;
  lastName: string;
  patronymic: string | null;
  birthDate: string;
  document: { kind: string; number: string };
  certificate: { id: string; number: string; status: string } | null;
  guardians: { id: string; firstName: string; lastName: string; patronymic: string | null; phone: string | null; email: string | null }[];
}

const folded = (column: string) => `lower(translate(${column}, 'Ёё', 'Ее'))`;
/** A name's words as ' word word ', so that ' ' || w finds a word beginning with w. */
const wordsOf = (alias: string) => `' ' || ${folded(`${alias}.last_name || ' ' || ${alias}.first_name || ' ' || coalesce(${alias}.patronymic, '')`)}`;

/** Children of `municipalityId` (not merged into another record) matching every criterion given, by name. */
export async function searchChildren(db: Queryable, municipalityId: string, criteria: PersonCriteria, limit: number): Promise<FoundChild[]> {
  const words = (criteria.nameWords ?? []).map((w) => w.toLowerCase().replaceAll("ё", "е"));
  const { rows } = await db.query<FoundChild>(
    `SELECT c.id, c.first_name AS "firstName", c.last_name AS "lastName", c.patronymic, to_char(c.birth_date, 'YYYY-MM-DD') AS "birthDate",
            json_build_object('kind', c.document_kind, 'number', c.document_number) AS document,
            CASE WHEN ce.id IS NULL THEN NULL ELSE json_build_object('id', ce.id, 'number', ce.number, 'status', ce.status) END AS certificate,
            COALESCE((SELECT json_agg(json_build_object('id', g.id, 'firstName', g.first_name, 'lastName', g.last_name, 'patronymic', g.patronymic,
                                                        'phone', g.phone, 'email', g.email) ORDER BY g.last_name, g.id)
                        FROM child_guardians cg JOIN guardians g ON g.id = cg.guardian_id WHERE cg.child_id = c.id), '[]') AS guardians
       FROM children c LEFT JOIN certificates ce ON ce.child_id = c.id
      WHERE c.municipality_id = $1 AND c.merged_into IS NULL
        AND ($2::date IS NULL OR c.birth_date = $2::date)
        AND ($3::text IS NULL OR ce.number = $3)
        AND ($4::text[] IS NULL OR c.document_hash = ANY($4)
             OR EXISTS (SELECT 1 FROM child_guardians cg JOIN guardians g ON g.id = cg.guardian_id WHERE cg.child_id = c.id AND g.document_hash = ANY($4)))
        AND NOT EXISTS (
          SELECT 1 FROM unnest($5::text[]) AS w(word)
           WHERE position(' ' || w.word IN ${wordsOf("c")}) = 0
             AND NOT EXISTS (SELECT 1 FROM child_guardians cg JOIN guardians g ON g.id = cg.guardian_id
                              WHERE cg.child_id = c.id AND position(' ' || w.word IN ${wordsOf("g")}) > 0))
      ORDER BY c.last_name, c.first_name, c.birth_date, c.id
      LIMIT $6`,
    [municipalityId, criteria.birthDate ?? null, criteria.certificateNumber ?? null, criteria.documentHashes ?? null, words, limit],
  );
  return rows;
}

export interface PersonLookupRow {
  id: string;
  municipalityId: string;
  actorSubject: string;
  actorRole: string;
  basisKind: "in_person_visit" | "written_request" | null;
  basisReference: string | null;
  /** applicants: a provider read the children of its groups. */
  kind: "search" | "child" | "guardian" | "applicants";
  criteria: Record<string, unknown>;
  childIds: string[];
  guardianIds: string[];
  at: Date;
}

export async function insertLookup(db: Queryable, row: PersonLookupRow): Promise<void> {
  await db.query(
    `INSERT INTO person_lookups (id, municipality_id, actor_subject, actor_role, basis_kind, basis_reference, kind, criteria, child_ids, guardian_ids, at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [row.id, row.municipalityId, row.actorSubject, row.actorRole, row.basisKind, row.basisReference, row.kind, JSON.stringify(row.criteria), row.childIds, row.guardianIds, row.at],
  );
}

/** The municipality's look-ups, newest first. */
export async function lookupsOf(db: Queryable, municipalityId: string, limit: number, childId?: string): Promise<PersonLookupRow[]> {
  const { rows } = await db.query<PersonLookupRow>(
    `SELECT id, municipality_id AS "municipalityId", actor_subject AS "actorSubject", actor_role AS "actorRole", basis_kind AS "basisKind",
            basis_reference AS "basisReference", kind, criteria, child_ids::text[] AS "childIds", guardian_ids::text[] AS "guardianIds", at
       FROM person_lookups WHERE municipality_id = $1 AND ($3::uuid IS NULL OR child_ids @> ARRAY[$3::uuid]) ORDER BY seq DESC LIMIT $2`,
    [municipalityId, limit, childId ?? null],
  );
  return rows;
}
