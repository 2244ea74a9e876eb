import { v7 as uuidv7 } from "uuid";
import { actorError, requireBasis, requireMunicipality, requireRole, type Actor } from "@kruzhok/actor";
import { ChildGuardiansChanged } from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import type { Queryable } from "@kruzhok/postgres";
import { assertBornBy, assertDocumentFitsAge, assertMinor } from "../domain/age";
import type { CategoryClaim } from "../domain/categories";
import { documentHash, documentProblem, normaliseDocument, type DocumentKind } from "../domain/documents";
import { registryError } from "../domain/errors";
import { guardiansAtRegistration } from "../domain/guardianship";
import { findCertificateOfChild } from "../store/certificates";
import { findMunicipality, type MunicipalityRow } from "../store/municipalities";
import {
  findChild,
  findGuardian,
  acceptInvitation,
  guardianMunicipalities,
  insertChild,
  insertInvitations,
  insertGuardian,
  lockChild,
  setGuardianLanguage,
  type ChildRow,
  type FamilyLanguage,
  type GuardianRow,
} from "../store/people";
import type { RegistryDeps } from "../deps";
import { assertActsForGuardian, homeMunicipality, officeRoles, recordFamilyAct } from "./access";
import { claimCategories } from "./categories";
import { inTransaction, type Write } from "./transaction";

interface Document {
  kind: DocumentKind;
  number: string;
}

export interface GuardianRegistration {
  firstName: string;
  lastName: string;
  patronymic?: string | undefined;
  phone?: string | undefined;
  email?: string | undefined;
  document: Document;
  municipalityId: string;
  language?: FamilyLanguage | undefined;
}

/** A child this transaction has just written or locked. */
async function reread(tx: Queryable, id: string): Promise<ChildRow> {
  const child = await findChild(tx, id);
  if (!child) throw new Error(`child ${id} vanished inside its transaction`);
  return child;
}

function assertDocument(document: Document, birthDate?: string): void {
  const problem = documentProblem(document.kind, document.number, birthDate);
  if (problem) throw registryError("DOCUMENT_INVALID", `the ${document.kind} number ${problem}`, { field: "document.number" });
}

async function municipalityOf(db: Queryable, id: string, field?: string): Promise<MunicipalityRow> {
  const municipality = await findMunicipality(db, id);
  if (!municipality) throw registryError("MUNICIPALITY_NOT_FOUND", `no municipality ${id}`, field ? { field } : {});
  return municipality;
}

/**
 * A guardian registers once in the region: a guardian for themselves (the record takes the id
 * of their token), an office for a visitor. The same document typed differently is the same
 * guardian: matched by the normalised document's hash.
 */
export async function registerGuardian(deps: RegistryDeps, actor: Actor, command: GuardianRegistration, cause: Cause): Promise<GuardianRow> {
  requireMunicipality(requireRole(actor, "guardian", ...officeRoles), command.municipalityId);
  requireBasis(actor);
  return inTransaction(deps, cause, (write) => registerGuardianIn(write, actor, command));
}

/**
 * `registerGuardian` in a transaction the caller holds (a bulk import's row): the same rules and
 * the same trail; the caller has checked the role and the municipality.
 */
export async function registerGuardianIn({ tx, now }: Write, actor: Actor, command: GuardianRegistration): Promise<GuardianRow> {
  await municipalityOf(tx, command.municipalityId, "municipalityId");
  assertDocument(command.document);
  const guardian: GuardianRow = {
    id: actor.role === "guardian" && actor.guardianId ? actor.guardianId : uuidv7(),
    municipalityId: command.municipalityId,
    firstName: command.firstName,
    lastName: command.lastName,
    patronymic: command.patronymic ?? null,
    phone: command.phone ?? null,
    email: command.email ?? null,
    document: command.document,
    language: command.language ?? null,
  };
  if (!(await insertGuardian(tx, guardian, documentHash(command.document.kind, command.document.number)))) {
    throw registryError(
      "GUARDIAN_ALREADY_REGISTERED",
      "this guardian is registered already (the same person or the same identity document); sign in or ask the office to find the record",
    );
  }
  await recordFamilyAct(tx, actor, { action: "guardian.registered", subjectId: guardian.id, municipalityId: guardian.municipalityId, guardianId: guardian.id, now });
  return guardian;
}

export interface ChildRegistration {
  firstName: string;
  lastName: string;
  patronymic?: string | undefined;
  birthDate: string;
  document: Document;
  guardianIds: string[];
  categories: CategoryClaim[];
}

/**
 * Register a child in the municipality of whoever registers it (a guardian's own, or the
 * office's), with guardians of that municipality only. A child registers once in the region:
 * the same document anywhere is refused without saying whose it is.
 */
export async function registerChild(deps: RegistryDeps, actor: Actor, command: ChildRegistration, cause: Cause): Promise<ChildRow> {
  requireRole(actor, "guardian", ...officeRoles);
  return inTransaction(deps, cause, (write) => registerChildIn(write, actor, command));
}

/** `registerChild` in a transaction the caller holds (a bulk import's row): the same rules and the same trail. */
export async function registerChildIn({ tx, now }: Write, actor: Actor, command: ChildRegistration): Promise<ChildRow> {
  const child = await register(tx, actor, command, now);
  // An operator's basis is asked once the child is known to be its office's (and the child's row rolls back without one).
  await recordFamilyAct(tx, actor, { action: "child.registered", subjectId: child.id, municipalityId: child.municipalityId, childId: child.id, now });
  return child;
}

async function register(tx: Queryable, actor: Actor, command: ChildRegistration, now: Date): Promise<ChildRow> {
  let municipalityId: string;
  let registeredBy: { guardianId: string } | "office" = "office";
  if (actor.role === "guardian") {
    const self = actor.guardianId ? await findGuardian(tx, actor.guardianId) : undefined;
    if (!self) throw registryError("GUARDIAN_NOT_FOUND", "register yourself as a guardian (POST /guardians) before registering a child");
    if (!command.guardianIds.includes(self.id)) {
      throw registryError("NOT_YOUR_CHILD", "a guardian registers only their own child: include your own id in guardianIds", { field: "guardianIds" });
    }
    municipalityId = self.municipalityId;
    registeredBy = { guardianId: self.id };
  } else {
    municipalityId = homeMunicipality(actor);
  }
  const { linked, invited } = guardiansAtRegistration(registeredBy, command.guardianIds);
  const homes = await guardianMunicipalities(tx, [...linked, ...invited]);
  command.guardianIds.forEach((id, index) => {
    const home = homes.get(id);
    const field = `guardianIds.${index}`;
    if (home === undefined) throw registryError("GUARDIAN_NOT_FOUND", `guardian ${id} is not registered; register the guardian first`, { field });
    if (home !== municipalityId) {
      throw actorError("AUTH.OTHER_MUNICIPALITY", "The guardian is registered in another municipality", { field });
    }
  });

  const municipality = await municipalityOf(tx, municipalityId);
  assertBornBy(command.birthDate, now, municipality.timeZone);
  assertMinor(command.birthDate, now, municipality.timeZone);
  assertDocumentFitsAge(command.document.kind, command.birthDate, now, municipality.timeZone);
  assertDocument(command.document, command.birthDate);

  const id = uuidv7();
  const inserted = await insertChild(
    tx,
    {
      id,
      municipalityId,
      firstName: command.firstName,
      lastName: command.lastName,
      patronymic: command.patronymic ?? null,
      birthDate: command.birthDate,
      document: command.document,
      normalisedDocument: normaliseDocument(command.document.kind, command.document.number),
      documentHash: documentHash(command.document.kind, command.document.number),
    },
    linked,
  );
  if (!inserted) {
    throw registryError(
      "CHILD_ALREADY_REGISTERED",
      "a child with this document is registered already; a child is registered once in the region — ask the office if you cannot find the record",
      { field: "document.number" },
    );
  }
  // The family's claims wait for the office; the office's own are verified as it registers the child.
  // None claimed: a child written a moment ago has nothing to verify, withdraw or remove (and a
  // bulk import's 10,000 rows save the look-ups).
  if (command.categories.length > 0) await claimCategories(tx, actor, { id, municipalityId, categories: [] }, command.categories, now);
  if (registeredBy !== "office") await insertInvitations(tx, id, invited, registeredBy.guardianId, now);
  return reread(tx, id);
}

/**
 * An invited co-guardian confirms the guardianship: the guardian themself, or the office of the
 * child's municipality (with the basis it states, written to the family's trail). Once the child
 * holds a certificate, the new list is announced so every service lets the guardian act.
 */
export async function confirmCoGuardian(deps: RegistryDeps, actor: Actor, command: { childId: string; guardianId: string }, cause: Cause): Promise<ChildRow> {
  requireRole(actor, "guardian", ...officeRoles);
  const { childId, guardianId } = command;
  return inTransaction(deps, cause, async ({ tx, now }) => {
    if (!(await lockChild(tx, childId))) throw registryError("CHILD_NOT_FOUND", `no child ${childId}`);
    const child = await reread(tx, childId);
    if (actor.role === "guardian") {
      if (actor.guardianId !== guardianId) throw registryError("NOT_YOUR_INVITATION", "only the invited guardian (or the office) may confirm this guardianship");
    } else {
      requireMunicipality(actor, child.municipalityId);
    }
    if (!child.invitedGuardianIds.includes(guardianId)) {
      throw registryError("INVITATION_NOT_FOUND", `guardian ${guardianId} is not invited as a guardian of this child; ask the guardian who registered the child to name them`, {
        field: "guardianId",
      });
    }
    await recordFamilyAct(tx, actor, { action: "child.guardian-confirmed", subjectId: guardianId, municipalityId: child.municipalityId, childId, now });
    await acceptInvitation(tx, childId, guardianId);
    const updated = await reread(tx, childId);
    const certificate = await findCertificateOfChild(tx, childId);
    if (certificate) {
      await emit(
        tx,
        ChildGuardiansChanged,
        { ...cause, municipalityId: certificate.municipalityId, aggregateId: childId },
        { childId, certificateId: certificate.id, guardianIds: updated.guardianIds },
        now,
      );
    }
    return updated;
  });
}

/**
 * The guardian chooses the family's language (or the office records the choice, with its basis):
 * every message to the family is written in it from now on.
 */
export async function chooseLanguage(deps: RegistryDeps, actor: Actor, command: { guardianId: string; language: FamilyLanguage }, cause: Cause): Promise<GuardianRow> {
  requireRole(actor, "guardian", ...officeRoles);
  return inTransaction(deps, cause, async ({ tx, now }) => {
    const guardian = await findGuardian(tx, command.guardianId);
    if (!guardian) throw registryError("GUARDIAN_NOT_FOUND", `no guardian ${command.guardianId}`);
    assertActsForGuardian(actor, guardian);
    await recordFamilyAct(tx, actor, { action: "guardian.language-chosen", subjectId: guardian.id, municipalityId: guardian.municipalityId, guardianId: guardian.id, now });
    await setGuardianLanguage(tx, guardian.id, command.language);
    return { ...guardian, language: command.language };
  });
}
