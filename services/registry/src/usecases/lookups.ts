import { v7 as uuidv7 } from "uuid";
import { requireBasis, requireRole, type Actor } from "@kruzhok/actor";
import type { Cause } from "@kruzhok/messaging";
import type { Queryable } from "@kruzhok/postgres";
import { documentHash, type DocumentKind } from "../domain/documents";
import { registryError } from "../domain/errors";
import { insertFamilyActs } from "../store/audit";
import { insertLookup, searchChildren, type FoundChild, type PersonLookupRow } from "../store/lookups";
import type { RegistryDeps } from "../deps";
import { familyActOf, homeMunicipality, officeRoles } from "./access";
import { inTransaction } from "./transaction";

// The office finds a family, and every look-up of personal data it makes is written down: who,
// on what basis, looking for what, shown whom. The family sees an operator's search that found
// it in its own trail (GET /children/{id}/audit).

export interface PersonQuery {
  name?: string | undefined;
  birthDate?: string | undefined;
  document?: string | undefined;
  certificate?: string | undefined;
}

const DOCUMENT_KINDS: readonly DocumentKind[] = ["birth_certificate", "snils", "iin", "passport"];
export const SEARCH_LIMIT = 50;

/** What a look-up row says about who looked: the actor, and its basis when it stated one. */
function lookupBy(actor: Actor, municipalityId: string, now: Date): Pick<PersonLookupRow, "id" | "municipalityId" | "actorSubject" | "actorRole" | "basisKind" | "basisReference" | "at"> {
  return {
    id: uuidv7({ msecs: now.getTime() }),
    municipalityId,
    actorSubject: actor.subject,
    actorRole: actor.role,
    basisKind: actor.basis?.kind ?? null,
    basisReference: actor.basis?.reference ?? null,
    at: now,
  };
}

/**
 * Search the children of the office's municipality by name (each word begins a word of the
 * child's or a guardian's names), birth date, document number (the child's or a guardian's, of
 * any kind) and certificate number; every criterion given must hold. An operator states the
 * basis (the family at the desk, or its written request). The look-up is written with what was
 * asked (the document number only as its hashes) and whom it showed, in the search's transaction.
 */
export async function findFamilies(deps: RegistryDeps, actor: Actor, query: PersonQuery, cause: Cause): Promise<FoundChild[]> {
  requireRole(actor, ...officeRoles);
  const municipalityId = homeMunicipality(actor);
  requireBasis(actor);
  const nameWords = query.name?.split(" ").filter((w) => w.length > 0);
  if (!nameWords?.length && !query.birthDate && !query.document && !query.certificate) {
    throw registryError("SEARCH_TOO_BROAD", "give a name, a birth date, a document number or a certificate number to search by", { field: "name" });
  }
  const documentHashes = query.document ? DOCUMENT_KINDS.map((kind) => documentHash(kind, query.document!)) : undefined;
  const certificateNumber = query.certificate?.toUpperCase();
  return inTransaction(deps, cause, async ({ tx, now }) => {
    const found = await searchChildren(tx, municipalityId, { nameWords, birthDate: query.birthDate, documentHashes, certificateNumber }, SEARCH_LIMIT);
    const criteria = { name: query.name ?? null, birthDate: query.birthDate ?? null, documentHashes: documentHashes ?? null, certificate: certificateNumber ?? null };
    await insertLookup(tx, {
      ...lookupBy(actor, municipalityId, now),
      kind: "search",
      criteria,
      childIds: found.map((c) => c.id),
      guardianIds: [...new Set(found.flatMap((c) => c.guardians.map((g) => g.id)))],
    });
    const acts = found.flatMap((child) => familyActOf(actor, { action: "child.looked-up", subjectId: child.id, municipalityId, childId: child.id, now }) ?? []);
    await insertFamilyActs(tx, acts);
    return found;
  });
}

/** An office read a child's or a guardian's record: written down, as every look-up of personal data is. */
export async function recordRead(db: Queryable, actor: Actor, read: { kind: "child" | "guardian"; id: string; municipalityId: string }, now: Date): Promise<void> {
  if (actor.role === "guardian") return;
  await insertLookup(db, {
    ...lookupBy(actor, read.municipalityId, now),
    kind: read.kind,
    criteria: { id: read.id },
    childIds: read.kind === "child" ? [read.id] : [],
    guardianIds: read.kind === "guardian" ? [read.id] : [],
  });
}

/** The office listed waiting category claims (children's names and proofs): written down as a look-up. */
export async function recordClaimsListed(db: Queryable, actor: Actor, municipalityId: string, childIds: readonly string[], now: Date): Promise<void> {
  await insertLookup(db, {
    ...lookupBy(actor, municipalityId, now),
    kind: "search",
    criteria: { list: "category-claims" },
    childIds: [...new Set(childIds)],
    guardianIds: [],
  });
}
