import type { Queryable } from "@kruzhok/postgres";

/** What an operator may do for a family, as its audit trail names it. */
export type FamilyAction = "guardian.registered" | "guardian.language-chosen" | "child.registered" | "child.categories-replaced" | "child.guardian-confirmed" | "child.category-verified" | "child.category-rejected" | "child.looked-up" | "certificate.applied" | "certificate.financing-requested";

export interface FamilyActRow {
  id: string;
  municipalityId: string;
  childId: string | null;
  guardianId: string | null;
  action: FamilyAction;
  /** The guardian, child or certificate acted on. */
  subjectId: string;
  actorSubject: string;
  actorRole: string;
  basisKind: "in_person_visit" | "written_request";
  basisReference: string | null;
  at: Date;
}

export async function insertFamilyActs(db: Queryable, acts: readonly FamilyActRow[]): Promise<void> {
  if (acts.length === 0) return;
  await db.query({
    name: "registry.family-acts",
    text: `INSERT INTO family_audit (id, municipality_id, child_id, guardian_id, action, subject_id, actor_subject, actor_role, basis_kind, basis_reference, at)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::uuid[], $7::text[], $8::text[], $9::text[], $10::text[], $11::timestamptz[])`,
    values: [
      acts.map((a) => a.id),
      acts.map((a) => a.municipalityId),
      acts.map((a) => a.childId),
      acts.map((a) => a.guardianId),
      acts.map((a) => a.action),
      acts.map((a) => a.subjectId),
      acts.map((a) => a.actorSubject),
      acts.map((a) => a.actorRole),
      acts.map((a) => a.basisKind),
      acts.map((a) => a.basisReference),
      acts.map((a) => a.at),
    ],
  });
}

const columns = `id, municipality_id AS "municipalityId", child_id AS "childId", guardian_id AS "guardianId", action, subject_id AS "subjectId",
  actor_subject AS "actorSubject", actor_role AS "actorRole", basis_kind AS "basisKind", basis_reference AS "basisReference", at`;

/** A child's trail, in the order it was written. */
export async function familyAuditOfChild(db: Queryable, childId: string): Promise<FamilyActRow[]> {
  const { rows } = await db.query<FamilyActRow>(`SELECT ${columns} FROM family_audit WHERE child_id = $1 ORDER BY seq`, [childId]);
  return rows;
}

/** A guardian's own trail (their registration), in the order it was written. */
export async function familyAuditOfGuardian(db: Queryable, guardianId: string): Promise<FamilyActRow[]> {
  const { rows } = await db.query<FamilyActRow>(`SELECT ${columns} FROM family_audit WHERE guardian_id = $1 ORDER BY seq`, [guardianId]);
  return rows;
}
