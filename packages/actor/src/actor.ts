/**
 * Who acts, and what their role and scope let them do. No transport: the http kit turns a
 * verified token into an `Actor`, a consumer or a sweep names the actor it acts for (a campaign
 * draw acts as the family), and use cases decide with the checks here. A refusal is a domain
 * error (category `forbidden`, 403 at the edge) with a stable `AUTH.*` code.
 */
import { z } from "zod";
import { DomainError, registerErrorMessages, type DomainErrorDetails } from "@kruzhok/errors";

export const Roles = ["guardian", "provider", "operator", "municipality", "region", "ministry"] as const;
export const Role = z.enum(Roles);
export type Role = z.infer<typeof Role>;

/** How an operator acting for a family says the family asked (basis.ts reads it from a request). */
export const BasisKinds = ["in_person_visit", "written_request"] as const;
export type BasisKind = (typeof BasisKinds)[number];

export interface ActingBasis {
  kind: BasisKind;
  /** The written request's registration number, as the office wrote it. */
  reference: string | null;
}

/**
 * Who is acting. A guardian carries a guardianId, a provider a providerId, and every role but
 * region and ministry a municipalityId. A region official carries the region they govern
 * (`regionCode`); a ministry either one region it oversees or, a federal ministry, `allRegions`.
 * The http kit refuses a token of those roles that says neither, so an actor never reaches
 * further than its token says.
 */
export interface Actor {
  subject: string;
  role: Role;
  municipalityId?: string;
  providerId?: string;
  guardianId?: string;
  /** What an operator acting for a family stated (the Acting-Basis header); see basis.ts. */
  basis?: ActingBasis;
  /** region and ministry: the region whose municipalities they reach (the registry's `regionCode`). */
  regionCode?: string;
  /** A federal ministry: every region. Never on another role. */
  allRegions?: boolean;
}

/** Roles whose reach is not one municipality but a region (or, for a federal ministry, all of them). */
export const crossMunicipalRoles: ReadonlySet<Role> = new Set(["region", "ministry"]);

/**
 * Where a resource lives: its municipality, and that municipality's region as the service knows
 * it (from the registry's municipality.created). `regionCode` null or undefined: not known here
 * (yet), and a region-wide actor is refused, not let through.
 */
export interface Place {
  municipalityId: string;
  regionCode?: string | null | undefined;
}

/**
 * The codes of the refusals below, with the title their problem document carries (the same
 * titles clients saw when the http kit refused these itself).
 */
export const ActorErrorCodes = {
  "AUTH.FORBIDDEN_ROLE": { title: "Your role may not do this" },
  "AUTH.OTHER_MUNICIPALITY": { title: "The resource belongs to another municipality" },
  "AUTH.OTHER_REGION": { title: "The resource belongs to another region" },
} as const;
export type ActorErrorCode = keyof typeof ActorErrorCodes;

registerErrorMessages({
  "AUTH.FORBIDDEN_ROLE": { ru: "С вашей ролью это действие недоступно.", kk: "Сіздің рөліңізбен бұл әрекет қолжетімсіз." },
  "AUTH.OTHER_MUNICIPALITY": { ru: "Это относится к другому муниципалитету.", kk: "Бұл басқа муниципалитетке жатады." },
  "AUTH.OTHER_REGION": { ru: "Это относится к другому региону.", kk: "Бұл басқа өңірге жатады." },
  "AUTH.BASIS_REQUIRED": {
    ru: "Укажите основание действия за семью: личный визит или письменное обращение с его номером.",
    kk: "Отбасы атынан әрекеттің негізін көрсетіңіз: жеке келу немесе нөмірі бар жазбаша өтініш.",
  },
  "AUTH.BASIS_INVALID": {
    ru: "Основание указано с ошибкой: личный визит или письменное обращение с номером до 40 знаков.",
    kk: "Негіз қате көрсетілген: жеке келу немесе 40 таңбаға дейінгі нөмірі бар жазбаша өтініш.",
  },
});

/** A refusal for who the actor is: `actorError("AUTH.OTHER_MUNICIPALITY", message, { field: "guardianIds.0" })`. */
export function actorError(code: ActorErrorCode, message: string, details: DomainErrorDetails = {}): DomainError {
  return new DomainError(code, "forbidden", message, details);
}

/** The actor, who must hold one of `roles`; AUTH.FORBIDDEN_ROLE otherwise. */
export function requireRole(actor: Actor, ...roles: readonly Role[]): Actor {
  if (!roles.includes(actor.role)) {
    throw actorError("AUTH.FORBIDDEN_ROLE", `Role ${actor.role} may not do this; needs ${roles.join(" or ")}`);
  }
  return actor;
}

/** Does a region-wide actor's scope cover `regionCode`? An all-regions ministry covers every region, known or not. */
function coversRegion(actor: Actor, regionCode: string | null | undefined): boolean {
  if (actor.role === "ministry" && actor.allRegions === true) return true;
  return actor.regionCode !== undefined && regionCode !== undefined && regionCode !== null && actor.regionCode === regionCode;
}

/**
 * Does the actor reach a resource in `place`? Region and ministry: a municipality of their
 * region (a federal ministry: any); every other role: its own municipality only. A bare
 * municipality id is a place whose region is not known: only an all-regions ministry reaches it
 * among the region-wide roles.
 */
export function reaches(actor: Actor, place: Place | string): boolean {
  const { municipalityId, regionCode } = typeof place === "string" ? { municipalityId: place, regionCode: undefined } : place;
  if (crossMunicipalRoles.has(actor.role)) return coversRegion(actor, regionCode);
  return actor.municipalityId === municipalityId;
}

/**
 * Tenancy check for a resource in `place` (or of a bare municipality id): AUTH.OTHER_MUNICIPALITY
 * unless a municipal actor is at home there, AUTH.OTHER_REGION unless a region-wide actor's
 * region holds it (see `reaches`). A use case that lets region or ministry act passes the
 * municipality's region (`requireMunicipalityIn` looks it up only for them); one that does not
 * may pass the id, and a region-wide actor that got that far anyway is refused. `details` name
 * the command's field the resource came from, if any.
 */
export function requireMunicipality(actor: Actor, place: Place | string, details: DomainErrorDetails = {}): void {
  if (reaches(actor, place)) return;
  if (crossMunicipalRoles.has(actor.role)) {
    throw actorError("AUTH.OTHER_REGION", "The resource belongs to another region than yours", details);
  }
  throw actorError("AUTH.OTHER_MUNICIPALITY", "The resource belongs to another municipality", details);
}

/**
 * `requireMunicipality` when only the municipality's id is at hand: `regionOf` (the service's
 * own copy of the registry's municipalities) is asked for its region only when the actor's
 * reach is a region, so the common case costs no query.
 */
export async function requireMunicipalityIn(
  actor: Actor,
  municipalityId: string,
  regionOf: (municipalityId: string) => Promise<string | null | undefined>,
  details: DomainErrorDetails = {},
): Promise<void> {
  const regionCode = crossMunicipalRoles.has(actor.role) ? await regionOf(municipalityId) : undefined;
  requireMunicipality(actor, { municipalityId, regionCode }, details);
}

/**
 * A region-level act (creating a municipality of `regionCode`): a region official of that
 * region, or an all-regions ministry; AUTH.OTHER_REGION otherwise.
 */
export function requireRegion(actor: Actor, regionCode: string, details: DomainErrorDetails = {}): void {
  if (crossMunicipalRoles.has(actor.role) && coversRegion(actor, regionCode)) return;
  throw actorError("AUTH.OTHER_REGION", `Your sign-in does not reach region ${regionCode}`, details);
}
