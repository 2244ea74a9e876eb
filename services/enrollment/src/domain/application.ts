import { localDateOf, parseLocalDate } from "@kruzhok/time";
import { enrollmentError } from "./errors";
import { bestCategory } from "./queue";

// The rules a new application must pass, as one pure decision over what the service knows:
// (command, state, now) -> the application's initial state, or a domain error saying why not.

export interface Slot {
  weekday: number;
  start: string;
  end: string;
}

export interface GroupState {
  id: string;
  municipalityId: string;
  programId: string;
  status: "open" | "closed";
  accepting: boolean;
  startsOn: string;
  endsOn: string;
  ageMin: number;
  ageMax: number;
  fundingKind: "financed" | "free" | "paid";
  slots: readonly Slot[];
}

export interface CertificateState {
  municipalityId: string;
  status: "active" | "suspended" | "closed";
  funding: "accounting" | "financed";
  financedYear: number | null;
  birthYear: number;
}

export interface ActiveEnrollment {
  id: string;
  groupId: string;
  programId: string;
  startsOn: string;
  endsOn: string;
  slots: readonly Slot[];
}

export interface ApplicantState {
  group: GroupState;
  certificate: CertificateState | undefined;
  /** Ordered category codes of the municipality's current year. */
  categoryOrder: readonly string[];
  maxOpenApplications: number;
  /** Codes of the child's categories valid today. */
  childCategories: readonly string[];
  openApplications: readonly { programId: string }[];
  activeEnrollments: readonly ActiveEnrollment[];
  /** A transfer: the id of the active enrollment the child leaves when this application's enrollment starts. */
  transferOf?: string | null;
}

export interface NewApplication {
  status: "awaiting_financing" | "queued";
  categoryCode: string | null;
  categoryRank: number;
  /** The year whose financing is asked for when the status is awaiting_financing. */
  financingYear: number | null;
}

/**
 * Ages from the birth year only (the registry keeps birth dates to itself): on the group's
 * start date the child is `startYear - birthYear` or one less, depending on the birthday. The
 * application passes when either age is within the program's range, so no child who may be
 * eligible is refused here; the provider's review, which sees the documents, catches a child
 * born on the wrong side of the range's edge. REVIEW: exact once the registry publishes the
 * age on a date (or the birth date) in CertificateIssued.
 */
export function possibleAges(birthYear: number, on: string): { min: number; max: number } {
  const years = parseLocalDate(on).year - birthYear;
  return { min: years - 1, max: years };
}

function minutes(time: string): number {
  const [h, m] = time.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/** Two weekly schedules clash when their date ranges overlap and two slots on one weekday overlap in time. */
export function schedulesClash(a: { startsOn: string; endsOn: string; slots: readonly Slot[] }, b: { startsOn: string; endsOn: string; slots: readonly Slot[] }): boolean {
  if (a.endsOn < b.startsOn || b.endsOn < a.startsOn) return false;
  return a.slots.some((x) => b.slots.some((y) => x.weekday === y.weekday && minutes(x.start) < minutes(y.end) && minutes(y.start) < minutes(x.end)));
}

/**
 * The enrollments a new placement is checked against (same program, schedule clash): all the
 * child's active ones except the one a transfer leaves, which ends when the new one starts.
 */
export function enrollmentsKept<E extends { id: string }>(active: readonly E[], transferOf: string | null | undefined): E[] {
  return transferOf ? active.filter((e) => e.id !== transferOf) : [...active];
}

/**
 * The child's certificate is in force in `municipalityId`: present, not closed, not suspended, of
 * that municipality. `fields` name the request fields a refusal points at.
 */
export function assertCertificateInForce(
  certificate: CertificateState | undefined,
  municipalityId: string,
  fields: { child: string; municipality: string },
): asserts certificate is CertificateState {
  if (!certificate || certificate.status === "closed") {
    throw enrollmentError("CERTIFICATE_MISSING", "the child has no certificate in force; apply for one in the registry first", { field: fields.child });
  }
  if (certificate.status === "suspended") {
    throw enrollmentError("CERTIFICATE_SUSPENDED", "the child's certificate is suspended; it must be resumed first", { field: fields.child });
  }
  if (certificate.municipalityId !== municipalityId) {
    throw enrollmentError("CERTIFICATE_OTHER_MUNICIPALITY", "the child's certificate belongs to another municipality", { field: fields.municipality });
  }
}

/** The child may be of the program's age on the group's start date (see `possibleAges`). */
export function assertAgeFits(birthYear: number, group: Pick<GroupState, "id" | "startsOn" | "ageMin" | "ageMax">, field: string): void {
  const ages = possibleAges(birthYear, group.startsOn);
  if (ages.max < group.ageMin || ages.min > group.ageMax) {
    throw enrollmentError(
      "AGE_OUTSIDE_RANGE",
      `on group ${group.id}'s start date ${group.startsOn} the child is ${ages.min}-${ages.max}; the program takes ${group.ageMin}-${group.ageMax}`,
      { field },
    );
  }
}

export function decideApplication(state: ApplicantState, zone: string, now: Date): NewApplication {
  const { group, certificate } = state;
  if (state.transferOf) {
    const leaving = state.activeEnrollments.find((e) => e.id === state.transferOf);
    if (!leaving) throw enrollmentError("ENROLLMENT_NOT_ACTIVE", "only an active enrollment can be transferred; this one has ended");
    if (leaving.groupId === group.id) throw enrollmentError("TRANSFER_SAME_GROUP", "the child is enrolled in this group already; choose another group", { field: "groupId" });
  }
  const activeEnrollments = enrollmentsKept(state.activeEnrollments, state.transferOf);
  if (group.status !== "open" || !group.accepting) {
    throw enrollmentError("GROUP_NOT_ACCEPTING", "the group takes no applications now (closed, or its provider or certification is not in force)");
  }
  assertCertificateInForce(certificate, group.municipalityId, { child: "childId", municipality: "groupId" });
  assertAgeFits(certificate.birthYear, group, "groupId");
  if (activeEnrollments.some((e) => e.programId === group.programId)) {
    throw enrollmentError("ALREADY_ENROLLED_IN_PROGRAM", "the child is already enrolled in this program", { field: "groupId" });
  }
  if (state.openApplications.some((a) => a.programId === group.programId)) {
    throw enrollmentError("ALREADY_APPLYING_TO_PROGRAM", "the child already has an open application to this program", { field: "groupId" });
  }
  if (state.openApplications.length >= state.maxOpenApplications) {
    throw enrollmentError(
      "TOO_MANY_OPEN_APPLICATIONS",
      `the municipality allows ${state.maxOpenApplications} open applications per child; withdraw one first`,
    );
  }
  if (activeEnrollments.some((e) => schedulesClash(e, group))) {
    throw enrollmentError("SCHEDULE_CLASH", "the group's lessons overlap lessons of a group the child is enrolled in", { field: "groupId" });
  }
  const category = bestCategory(state.categoryOrder, state.childCategories);
  const year = localDateOf(now, zone).year;
  const needsFinancing = group.fundingKind === "financed" && !(certificate.funding === "financed" && certificate.financedYear !== null && certificate.financedYear >= year);
  return {
    status: needsFinancing ? "awaiting_financing" : "queued",
    categoryCode: category.code,
    categoryRank: category.rank,
    financingYear: needsFinancing ? year : null,
  };
}
