import { ageOn, localDateOf, parseLocalDate } from "@kruzhok/time";
import { localDay } from "./deadlines";
import { enrollmentError } from "./errors";
import { bestCategory } from "./queue";

// The rules a new application must pass, as pure decisions over what the service knows:
// (command, state, now) -> the application's initial state, or a domain error saying why not.

/** What every event about an application names it by. */
export function applicationRef(a: { id: string; childId: string; groupId: string; programId: string; providerId: string }) {
  return { applicationId: a.id, childId: a.childId, groupId: a.groupId, programId: a.programId, providerId: a.providerId };
}

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
  /** A financed program's certification's last day; null for free and paid programs. */
  certificationExpiresOn: string | null;
}

/**
 * A group of a financed program takes certificate applications, makes offers and signs contracts
 * only while its certification is in force on the municipality's local date (`zone`).
 */
export function certificationInForce(group: Pick<GroupState, "certificationExpiresOn">, zone: string, now: Date): boolean {
  return group.certificationExpiresOn === null || localDay(now, zone) <= group.certificationExpiresOn;
}

/** `certificationInForce`, or ENROLLMENT.CERTIFICATION_EXPIRED naming `field`. */
export function assertCertificationInForce(group: Pick<GroupState, "certificationExpiresOn">, zone: string, now: Date, field?: string): void {
  if (!certificationInForce(group, zone, now)) {
    throw enrollmentError(
      "CERTIFICATION_EXPIRED",
      `the program's certification ran out on ${group.certificationExpiresOn}: its groups take no certificate applications or contracts until the provider renews it`,
      field ? { field } : {},
    );
  }
}

export interface CertificateState {
  municipalityId: string;
  status: "active" | "suspended" | "closed";
  funding: "accounting" | "financed";
  financedYear: number | null;
  birthYear: number;
  /** Null for certificates announced before the registry sent birth dates: their age is checked by the year. */
  birthDate: string | null;
}

export interface ActiveEnrollment {
  id: string;
  groupId: string;
  programId: string;
  startsOn: string;
  endsOn: string;
  slots: readonly Slot[];
}

export interface YearRulesState {
  /** Ordered category codes of the municipality's current year. */
  categoryOrder: readonly string[];
  maxOpenApplications: number;
}

export interface ApplicantState {
  group: GroupState;
  certificate: CertificateState | undefined;
  /** The municipality's rules of the year (or of the latest year before it); undefined when it has set none. */
  rules: YearRulesState | undefined;
  /** Codes of the child's categories valid today. */
  childCategories: readonly string[];
  /** The child's open applications, those submitted just before this one in the same batch included. */
  openApplications: readonly { programId: string }[];
  activeEnrollments: readonly ActiveEnrollment[];
  /** A transfer: the id of the active enrollment the child leaves when this application's enrollment starts. */
  transferOf?: string | null;
  /** Another open application already transfers the child out of `transferOf`. */
  transferPending?: boolean;
  /** The allocation campaign, not yet drawn, that the group's seats go through; undefined when none. */
  campaign?: CampaignHold | undefined;
}

/** A campaign not yet drawn that holds a group's seats. */
export interface CampaignHold {
  groupId: string;
  campaignId: string;
  closesAt: Date;
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

/**
 * The child is of the program's age, in whole years on its birth date's calendar, on the day the
 * child would begin: the group's start date, or today (`today`, the municipality's local date)
 * when the group has started. A certificate announced without a birth date is checked by the
 * year (see `possibleAges`).
 */
export function assertAgeFits(
  certificate: Pick<CertificateState, "birthYear" | "birthDate">,
  group: Pick<GroupState, "id" | "startsOn" | "ageMin" | "ageMax">,
  field: string,
  today?: string,
): void {
  const on = today !== undefined && today > group.startsOn ? today : group.startsOn;
  if (certificate.birthDate === null) {
    const ages = possibleAges(certificate.birthYear, group.startsOn);
    if (ages.max < group.ageMin || ages.min > group.ageMax) {
      throw enrollmentError(
        "AGE_OUTSIDE_RANGE",
        `on group ${group.id}'s start date ${group.startsOn} the child is ${ages.min}-${ages.max}; the program takes ${group.ageMin}-${group.ageMax}`,
        { field },
      );
    }
    return;
  }
  const age = ageOn(parseLocalDate(certificate.birthDate), parseLocalDate(on));
  if (age < group.ageMin || age > group.ageMax) {
    throw enrollmentError("AGE_OUTSIDE_RANGE", `on ${on} the child is ${age}; the program takes children of ${group.ageMin} to ${group.ageMax}`, { field });
  }
}

/** What a submission knows of the applicant before it reads the child's facts (under the child's lock). */
export interface ApplicantIntake {
  /** The registry told enrollment of the child's certificate (so the child has a row to lock). */
  childKnown: boolean;
  /** The zone of the group's municipality; undefined when the registry has not announced it yet. */
  municipalityZone: string | undefined;
}

/**
 * The rules decided before the child's facts are read (they say whether there are facts to read
 * at all): enrollment knows the child and the group's municipality. Returns the municipality's
 * zone, in which the rest is decided (`decideApplication`).
 */
export function decideIntake(intake: ApplicantIntake): string {
  if (!intake.childKnown) {
    // Enrollment knows a child from the registry's certificate: one issued a moment ago may not have arrived.
    throw enrollmentError("CERTIFICATE_MISSING", "the child has no certificate; apply for one in the registry first (one issued just now reaches enrollment in a moment)", {
      field: "childId",
      awaitingNews: true,
    });
  }
  if (!intake.municipalityZone) throw enrollmentError("MUNICIPALITY_UNKNOWN", "enrollment has not yet heard of this municipality from the registry", { awaitingNews: true });
  return intake.municipalityZone;
}

/** The refusal of a first-come application to a group whose seats a campaign allocates. */
export function groupInCampaign(campaign: CampaignHold) {
  return enrollmentError(
    "GROUP_IN_CAMPAIGN",
    `the group's seats are allocated by campaign ${campaign.campaignId}: rank it there before ${campaign.closesAt.toISOString()}; after the draw it takes applications again`,
    { field: "groupId", campaignId: campaign.campaignId },
  );
}

/**
 * Every rule a new application must pass once the child's facts are read, in the order a
 * family is told of them: the municipality's rules for the year, a transfer already under way,
 * the group, the certificate, age, program, the cap on open applications, the schedule, and
 * last a campaign that holds the group's seats.
 */
export function decideApplication(state: ApplicantState, zone: string, now: Date): NewApplication {
  const { group, certificate, rules } = state;
  if (!rules) throw enrollmentError("YEAR_SETTINGS_MISSING", "the municipality has not set its rules for the year yet", { awaitingNews: true });
  if (state.transferOf && state.transferPending) {
    throw enrollmentError("TRANSFER_PENDING", "a transfer of this enrollment is under way already; withdraw it to choose another group", { field: "groupId" });
  }
  if (state.transferOf) {
    const leaving = state.activeEnrollments.find((e) => e.id === state.transferOf);
    if (!leaving) throw enrollmentError("ENROLLMENT_NOT_ACTIVE", "only an active enrollment can be transferred; this one has ended");
    if (leaving.groupId === group.id) throw enrollmentError("TRANSFER_SAME_GROUP", "the child is enrolled in this group already; choose another group", { field: "groupId" });
  }
  const activeEnrollments = enrollmentsKept(state.activeEnrollments, state.transferOf);
  if (group.status !== "open" || !group.accepting) {
    throw enrollmentError("GROUP_NOT_ACCEPTING", "the group takes no applications now (closed, or its provider or certification is not in force)");
  }
  assertCertificationInForce(group, zone, now, "groupId");
  assertCertificateInForce(certificate, group.municipalityId, { child: "childId", municipality: "groupId" });
  assertAgeFits(certificate, group, "groupId", localDay(now, zone));
  if (activeEnrollments.some((e) => e.programId === group.programId)) {
    throw enrollmentError("ALREADY_ENROLLED_IN_PROGRAM", "the child is already enrolled in this program", { field: "groupId" });
  }
  if (state.openApplications.some((a) => a.programId === group.programId)) {
    throw enrollmentError("ALREADY_APPLYING_TO_PROGRAM", "the child already has an open application to this program", { field: "groupId" });
  }
  if (state.openApplications.length >= rules.maxOpenApplications) {
    throw enrollmentError(
      "TOO_MANY_OPEN_APPLICATIONS",
      `the municipality allows ${rules.maxOpenApplications} open applications per child; withdraw one first`,
    );
  }
  if (activeEnrollments.some((e) => schedulesClash(e, group))) {
    throw enrollmentError("SCHEDULE_CLASH", "the group's lessons overlap lessons of a group the child is enrolled in", { field: "groupId" });
  }
  if (state.campaign) throw groupInCampaign(state.campaign);
  const category = bestCategory(rules.categoryOrder, state.childCategories);
  const year = localDateOf(now, zone).year;
  const needsFinancing = group.fundingKind === "financed" && !(certificate.funding === "financed" && certificate.financedYear !== null && certificate.financedYear >= year);
  return {
    status: needsFinancing ? "awaiting_financing" : "queued",
    categoryCode: category.code,
    categoryRank: category.rank,
    financingYear: needsFinancing ? year : null,
  };
}

/** The application waits in its group's queue (for financing or a seat). */
export function waitsInQueue(status: string): boolean {
  return status === "awaiting_financing" || status === "queued";
}

/** The provider's review of an application: once, and only while it waits in the queue. */
export function decideReview(
  application: { status: string; review: string },
  decision: "confirmed" | "rejected",
): { status?: "rejected"; review: "confirmed" | "rejected" } {
  if (application.review !== "pending") throw enrollmentError("REVIEW_DONE", `the application was reviewed already (${application.review})`);
  if (!waitsInQueue(application.status)) throw enrollmentError("APPLICATION_TRANSITION", `the application is ${application.status}`);
  return decision === "rejected" ? { status: "rejected", review: "rejected" } : { review: "confirmed" };
}

/** The family withdraws an application only while it waits in the queue; an offered one is declined instead. */
export function decideWithdrawal(application: { status: string }): void {
  if (!waitsInQueue(application.status)) {
    throw enrollmentError(
      "APPLICATION_TRANSITION",
      `an application that is ${application.status} cannot be withdrawn${application.status === "offered" ? "; decline the offer instead" : ""}`,
    );
  }
}

/**
 * How a contract is signed: a guardian electronically in the app, an operator recording a
 * signature made on paper at the office; `requested` when the signer names it.
 */
export function decideSignatureMethod(role: string, requested: "electronic" | "in_person" | undefined): "electronic" | "in_person" {
  const method = requested ?? (role === "guardian" ? "electronic" : "in_person");
  if ((method === "electronic") !== (role === "guardian")) {
    throw enrollmentError("SIGNATURE_METHOD", "a guardian signs electronically; an operator records an in-person signature", { field: "method" });
  }
  return method;
}
