/**
 * What an operator states when acting for a family at the office: the family came in person, or
 * sent a written request (with its registration number, if it has one). Sent in the
 * `Acting-Basis` header (`in_person_visit`, `written_request`, `written_request; ref=ВХ-2026/154`
 * percent-encoded), so that every route a family may use takes it the same way, with or without
 * a body. The family reads every act done for it, with its basis, in its audit trail.
 */
import { z } from "zod";
import { DomainError } from "@kruzhok/errors";
import { BasisKinds, type ActingBasis, type BasisKind, type Actor, type Role } from "./actor";


/** The header that carries it; what the http routes declare and the problem document names. */
export const ACTING_BASIS_HEADER = "acting-basis";

const REFERENCE = /^[\p{L}\p{N}№][\p{L}\p{N} ./№-]{0,39}$/u;

/** The header's value as a basis, or a message saying what is wrong with it. */
export function parseActingBasis(value: string): ActingBasis | string {
  const [kindPart, ...params] = value.split(";").map((part) => part.trim());
  if (!(BasisKinds as readonly string[]).includes(kindPart ?? "")) return `must start with ${BasisKinds.join(" or ")}`;
  let reference: string | null = null;
  for (const param of params) {
    const match = /^ref=(.*)$/.exec(param);
    if (!match || reference !== null) return "takes at most one parameter, ref=<the request's number>";
    let decoded: string;
    try {
      decoded = decodeURIComponent(match[1]!).normalize("NFC");
    } catch {
      return "ref must be percent-encoded UTF-8";
    }
    if (!REFERENCE.test(decoded)) return "ref must be 1 to 40 letters, digits, spaces and . / № -";
    reference = decoded;
  }
  return { kind: kindPart as BasisKind, reference };
}

/** The header as an http route validates it: absent, or a well-formed basis. */
export const ActingBasisHeader = z
  .string()
  .max(200)
  .superRefine((value, ctx) => {
    const parsed = parseActingBasis(value);
    if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed });
  })
  .describe("An operator acting for a family: in_person_visit, or written_request with ; ref=<its number> (percent-encoded)");

/** The actor, with the basis it stated attached (routes: from the Acting-Basis header). */
export function withBasis(actor: Actor, header: string | undefined): Actor {
  if (header === undefined) return actor;
  const parsed = parseActingBasis(header);
  if (typeof parsed === "string") throw new DomainError("AUTH.BASIS_INVALID", "validation", `Acting-Basis ${parsed}`, { field: ACTING_BASIS_HEADER });
  return { ...actor, basis: parsed };
}

/**
 * Acting for a family: an operator (the office's desk, acting at the family's request) must state
 * a basis, AUTH.BASIS_REQUIRED otherwise; a guardian acts for themself, and the municipality's
 * staff and the region act in their own authority. Returns the basis to record in the family's
 * audit trail, or null when the act is not one done at the family's request. `actingFor` names
 * the roles that act for the family in this act besides the operator (a provider enrolling a
 * family that walked in, on the paper the family signed at its desk).
 */
export function requireBasis(actor: Actor, actingFor: readonly Role[] = []): ActingBasis | null {
  if (actor.role !== "operator" && !actingFor.includes(actor.role)) return null;
  if (!actor.basis) {
    throw new DomainError("AUTH.BASIS_REQUIRED", "validation", `${actor.role === "operator" ? "An operator" : "Whoever"} acting for a family states the basis: Acting-Basis: in_person_visit, or written_request; ref=<its number>`, {
      field: ACTING_BASIS_HEADER,
    });
  }
  return actor.basis;
}
