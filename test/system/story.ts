import { randomInt, randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import createClient from "openapi-fetch";
import { expect } from "vitest";
import { waitFor, type HttpAnswer, type System, type SystemServiceSpec, type TopicEvent } from "@kruzhok/testkit";
import type { paths as registryPaths } from "./clients/registry";

// The story of one child, told through the services' HTTP APIs as the people in it would: each
// chapter is one person's step, and each waits for what that person would see (an answer over
// HTTP), never for a while. A hand-off between services goes through Kafka only. A new service
// adds its entry to `services` and its chapters here (attendance: the provider marks lessons and
// the month closes; payments: the month billed, its register approved and paid), and the story
// test calls them after `providerSeesEnrollment`.

const mainOf = (service: string) => fileURLToPath(new URL(`../../services/${service}/src/main.ts`, import.meta.url));

/**
 * The services of the story, as processes of their own (their real main.ts), every one with its
 * development clock `offsetDays` ahead of the real one (CLOCK_OFFSET_DAYS, refused in
 * production): the story can be told as if today were another day (`storyToday`), the
 * days before a year's end among them.
 */
export function storyServices(offsetDays = 0) {
  const clock = { CLOCK_OFFSET_DAYS: String(offsetDays) };
  return {
    registry: { main: mainOf("registry"), env: clock },
    catalogue: { main: mainOf("catalogue"), env: clock },
    enrollment: { main: mainOf("enrollment"), env: clock },
    // The close job stays out of the story's way: its chapter closes the month by hand.
    attendance: { main: mainOf("attendance"), env: { ...clock, MONTH_CLOSE_INTERVAL_MS: "3600000" } },
    statistics: { main: mainOf("statistics"), env: { ...clock, STATISTICS_PUBLISH_INTERVAL_MS: "100" } },
    // The new-year job looks often: when attendance's month is in the next year, payments is
    // moved there with it and must have rolled the certificate into that year before it bills.
    payments: { main: mainOf("payments"), env: { ...clock, NEW_YEAR_INTERVAL_MS: "500" } },
  } satisfies Record<string, SystemServiceSpec>;
}

export type Kruzhok = System<keyof ReturnType<typeof storyServices>>;

/** What the story has established so far: ids as the services gave them, and each person's authorization. */
export interface Story {
  timeZone: string;
  /** How many days after the real today the story's today is (every service's CLOCK_OFFSET_DAYS). */
  offsetDays: number;
  region: string;
  municipalityId?: string;
  providerId?: string;
  provider?: string;
  programId?: string;
  groupId?: string;
  capacity?: number;
  guardianId?: string;
  guardian?: string;
  childId?: string;
  certificateId?: string;
  applicationId?: string;
  /** The Idempotency-Key the family's app sent the application with (it sends it again after a failure). */
  applicationKey?: string;
  offerId?: string;
  enrollmentId?: string;
  /** The month whose attendance the story marks and closes (YYYY-MM), and its first three lessons' dates. */
  attendanceMonth?: string;
  lessonDates?: string[];
  /** The id of attendance's month-closed summary of the child's enrollment (the event payments bills). */
  summaryEventId?: string;
  /** The municipality's official (approves and pays the payment registers). */
  municipality?: string;
  /** The provider's payment register of the attendance month. */
  registerId?: string;
}

// The money of the story, in minor units (kopeks): the year's nominal, the program's price of a
// lesson hour and the certificate's normative per hour (the family co-pays the rest). A lesson
// lasts 90 minutes (15:00-16:30), so it costs 37 500 and the certificate pays 30 000 of it.
const NOMINAL = 1_650_000;
const PRICE_PER_HOUR = 25_000;
const NORMATIVE_PER_HOUR = 20_000;
const LESSON_MINUTES = 90;
const perLesson = (perHour: number) => Math.round((perHour * LESSON_MINUTES) / 60);

/** A fact the story must have established by this chapter. */
export function known<K extends keyof Story>(story: Story, key: K): NonNullable<Story[K]> {
  const value = story[key];
  if (value === undefined || value === null) throw new Error(`the story has no ${key} yet: a chapter before this one was skipped`);
  return value;
}

// Europe/Moscow: the local year is the UTC year or the next, never the one before.
const STORY_ZONE = "Europe/Moscow";

/**
 * The days from the real local today to `date` (YYYY-MM-DD in the story's zone): the offset that
 * tells the story on that day. The services' clocks keep the real time of day.
 */
export function offsetTo(date: string): number {
  return daysFrom(localToday(STORY_ZONE), date);
}

/** A story told `offsetDays` after the real today (0: today), by services started with `storyServices(offsetDays)`. */
export async function newStory(system: Kruzhok, offsetDays = 0): Promise<Story> {
  return { timeZone: STORY_ZONE, offsetDays, region: await system.as({ role: "region", regionCode: "11" }) };
}

/** The story's now: the real instant moved by its offset, as its services' clocks have it. */
const storyNow = (story: Story) => new Date(Date.now() + story.offsetDays * 86_400_000);

/** The answer, which must have `status`; its body parsed. */
function expectStatus<T>(answer: HttpAnswer, status: number): T {
  expect(answer.status, answer.body).toBe(status);
  return answer.json<T>();
}

/** The code of a problem document, if the answer is one. */
function problemCode(answer: HttpAnswer): string | undefined {
  if (answer.status < 400) return undefined;
  try {
    return answer.json<{ code?: string }>().code;
  } catch {
    return undefined;
  }
}

/**
 * `accept` for `waitForAnswer` when the request is refused until a service has heard something
 * over Kafka: a refusal with one of `notYet` codes is waited out, any other answer is taken.
 */
const unless = (...notYet: string[]) => (answer: HttpAnswer) => (notYet.includes(problemCode(answer) ?? "") ? undefined : answer);

/** The UTC date `days` after the story's today. */
const utcDate = (story: Story, days: number) => new Date(storyNow(story).getTime() + days * 86_400_000).toISOString().slice(0, 10);

// --- registry: the municipality, its rules and the provider --------------------------------

/**
 * The registry's API through the client generated from its committed OpenAPI document
 * (openapi-typescript types, openapi-fetch calls): a path, a body or an answer the document does
 * not describe fails to compile, so the story also proves the document is one a client can use.
 */
function registryClient(system: Kruzhok, authorization: string) {
  return createClient<registryPaths>({ baseUrl: `http://127.0.0.1:${system.services.registry.port}`, headers: { authorization } });
}

/** The answer's body, once its status is the expected one (else the problem document in the failure). */
function expectAnswer<T>(answer: { data?: T; error?: unknown; response: Response }, status: number): T {
  expect(answer.response.status, JSON.stringify(answer.error ?? answer.data)).toBe(status);
  return answer.data as T;
}

/** The region creates the municipality and sets its rules for this year and the next. */
export async function municipalityWithRules(system: Kruzhok, story: Story): Promise<void> {
  const registry = registryClient(system, story.region);
  const created = await registry.POST("/municipalities", {
    body: { code: String(1000 + randomInt(9000)), name: "Городской округ Сюжетный", regionCode: "11", timeZone: story.timeZone, currency: "RUB" },
  });
  story.municipalityId = expectAnswer(created, 201).id;
  const year = storyNow(story).getUTCFullYear();
  for (const y of [year, year + 1]) {
    const rules = await registry.PUT("/municipalities/{id}/years/{year}", {
      params: { path: { id: story.municipalityId, year: y } },
      body: {
        nominal: NOMINAL,
        budget: 1_650_000_000,
        financedCap: 100,
        childrenPopulation: 20_000,
        // low_income at coefficient 1: the family's claim below ranks the queue without changing the money the story checks.
        categories: [
          { code: "large_family", coefficient: 1.2 },
          { code: "low_income", coefficient: 1 },
        ],
        maxOpenApplications: 5,
        deadlines: { offerAcceptanceDays: 5, providerReviewWorkingDays: 3, monthCloseDay: 5 },
      },
    });
    expectAnswer(rules, 200);
  }
}

/** A provider applies with its own account; the region records the checks and approves it. */
export async function providerApproved(system: Kruzhok, story: Story): Promise<void> {
  const municipalityId = known(story, "municipalityId");
  story.providerId = randomUUID();
  story.provider = await system.as({ role: "provider", municipalityId, providerId: story.providerId });
  const applied = await registryClient(system, story.provider).POST("/providers", {
    body: {
      municipalityId,
      kind: "private",
      name: "АНО ДО «Робототехника для всех»",
      taxId: String(1_000_000_000 + randomInt(1_000_000_000)),
      licence: { number: "Л035-11-2024-17", issuedOn: "2024-02-01" },
    },
  });
  expect(expectAnswer(applied, 201)).toMatchObject({ id: story.providerId, status: "applied" });
  const region = registryClient(system, story.region);
  const checks = await region.PUT("/providers/{id}/checks", { params: { path: { id: story.providerId } }, body: { staff: "passed", premises: "passed", safety: "passed" } });
  expectAnswer(checks, 200);
  const approved = await region.POST("/providers/{id}/approval", { params: { path: { id: story.providerId } }, body: {} });
  expect(expectAnswer(approved, 200).status).toBe("approved");
}

// --- payments: how the municipality bills its lessons ---------------------------------------

/**
 * The municipality's official tells payments how this year's and next year's lessons are billed:
 * the certificate pays up to the normative per hour, the family co-pays the rest of the price,
 * unexcused absences are not charged. Payments knows the municipality (and its budget) only from
 * the registry's events; until then it refuses.
 */
export async function billingRulesSet(system: Kruzhok, story: Story): Promise<void> {
  const { payments } = system.services;
  const municipalityId = known(story, "municipalityId");
  story.municipality = await system.as({ role: "municipality", municipalityId });
  const year = storyNow(story).getUTCFullYear();
  const rules = { normativePerHour: NORMATIVE_PER_HOUR, coPayment: true, unexcused: "not_charged" };
  for (const y of [year, year + 1]) {
    const set = await payments.waitForAnswer(
      "PUT",
      `/municipalities/${municipalityId}/years/${y}/billing-rules`,
      { as: story.municipality, body: rules },
      unless("PAYMENTS.MUNICIPALITY_UNKNOWN"),
      "payments to hear of the municipality",
    );
    expect(expectStatus(set, 200)).toMatchObject(rules);
  }
}

// --- catalogue: the program and its group ---------------------------------------------------

/**
 * The provider creates a financed program (the catalogue learnt of the provider's approval and of
 * the municipality from the registry's events; until then it refuses), adds a group and publishes
 * both.
 */
export async function programPublished(system: Kruzhok, story: Story): Promise<void> {
  const { catalogue } = system.services;
  const provider = known(story, "provider");
  const program = await catalogue.waitForAnswer(
    "POST",
    "/programs",
    {
      as: provider,
      body: {
        title: "Робототехника и программирование",
        description: "Собираем и программируем роботов, готовимся к соревнованиям.",
        direction: "technical",
        ageRange: { min: 7, max: 14 },
        totalHours: 72,
        weeklyHours: 2,
        price: { amount: PRICE_PER_HOUR, currency: "RUB" },
        fundingKind: "financed",
        certification: { number: "НОК-11-2026-017", date: utcDate(story, -30), expiry: utcDate(story, 365) },
        address: { text: "Сыктывкар, ул. Коммунистическая, 10", latitude: 61.67, longitude: 50.84 },
        teachers: [{ publicName: "Иванова А. С.", qualification: "педагог дополнительного образования" }],
      },
    },
    unless("CATALOGUE.PROVIDER_NOT_APPROVED", "CATALOGUE.MUNICIPALITY_UNKNOWN"),
    "the catalogue to hear of the municipality and the approved provider",
  );
  story.programId = expectStatus<{ id: string }>(program, 201).id;
  story.capacity = 2;
  const group = await catalogue.call("POST", `/programs/${story.programId}/groups`, {
    as: provider,
    body: {
      capacity: story.capacity,
      schedule: { timeZone: story.timeZone, slots: [{ weekday: 2, start: "15:00", end: "16:30" }, { weekday: 4, start: "15:00", end: "16:30" }] },
      startsOn: utcDate(story, 14),
      endsOn: utcDate(story, 200),
    },
  });
  story.groupId = expectStatus<{ id: string }>(group, 201).id;
  const published = await catalogue.call("POST", `/programs/${story.programId}/publication`, { as: provider });
  expect(expectStatus<{ status: string }>(published, 200).status).toBe("published");
}

// --- registry: the family and its certificate -----------------------------------------------

/** A guardian registers themself, then their child, with their own account. */
export async function familyRegistered(system: Kruzhok, story: Story, child: { firstName?: string; birthDate?: string } = {}): Promise<void> {
  const { registry } = system.services;
  const municipalityId = known(story, "municipalityId");
  story.guardianId = randomUUID();
  story.guardian = await system.as({ role: "guardian", municipalityId, guardianId: story.guardianId });
  const serial = () => String(randomInt(1_000_000)).padStart(6, "0");
  const guardian = await registry.call("POST", "/guardians", {
    as: story.guardian,
    body: { firstName: "Мария", lastName: "Сюжетова", document: { kind: "passport", number: `45 10 ${serial()}` }, municipalityId },
  });
  expect(expectStatus<{ id: string }>(guardian, 201).id).toBe(story.guardianId);
  const registered = await registry.call("POST", "/children", {
    as: story.guardian,
    body: {
      firstName: child.firstName ?? "Анна",
      lastName: "Сюжетова",
      birthDate: child.birthDate ?? `${storyNow(story).getUTCFullYear() - 10}-05-20`,
      document: { kind: "birth_certificate", number: `IV-АБ ${serial()}` },
      guardianIds: [story.guardianId],
    },
  });
  story.childId = expectStatus<{ id: string }>(registered, 201).id;
}

/** The guardian applies for the child's certificate; it is issued at once, for free programs until financed. */
export async function certificateIssued(system: Kruzhok, story: Story): Promise<void> {
  const issued = await system.services.registry.call("POST", "/certificates", { as: known(story, "guardian"), body: { childId: known(story, "childId") } });
  const certificate = expectStatus<{ id: string; status: string; funding: string }>(issued, 201);
  expect(certificate).toMatchObject({ status: "active", funding: "accounting" });
  story.certificateId = certificate.id;
}

/** A valid SNILS (its checksum over the first nine digits) from nine random digits. */
function randomSnils(): string {
  const body = String(randomInt(100_000_000, 1_000_000_000));
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(body[i]) * (9 - i);
  const check = sum % 101 === 100 ? 0 : sum % 101;
  return `${body.slice(0, 3)}-${body.slice(3, 6)}-${body.slice(6)} ${String(check).padStart(2, "0")}`;
}

/**
 * The father, at another desk, registers himself and the same child again: with SNILS instead of
 * the birth certificate and the name in Latin letters. The registry holds the application for an
 * operator instead of issuing a second certificate; the operator merges the records, and the
 * father becomes the child's guardian in the other services too (enrollment lets him read the
 * child's applications once it has heard of it over Kafka).
 */
export async function sameChildAtAnotherDesk(system: Kruzhok, story: Story): Promise<void> {
  const { registry, enrollment } = system.services;
  const municipalityId = known(story, "municipalityId");
  const childId = known(story, "childId");
  const fatherId = randomUUID();
  const father = await system.as({ role: "guardian", municipalityId, guardianId: fatherId });
  const registered = await registry.call("POST", "/guardians", {
    as: father,
    body: { firstName: "Pavel", lastName: "Siuzhetov", document: { kind: "snils", number: randomSnils() }, municipalityId },
  });
  expectStatus(registered, 201);
  const again = await registry.call("POST", "/children", {
    as: father,
    body: {
      firstName: "Anna",
      lastName: "Syuzhetova",
      birthDate: `${storyNow(story).getUTCFullYear() - 10}-05-20`,
      document: { kind: "snils", number: randomSnils() },
      guardianIds: [fatherId],
    },
  });
  const duplicateId = expectStatus<{ id: string }>(again, 201).id;
  const held = expectStatus<{ applicationId: string; status: string }>(await registry.call("POST", "/certificates", { as: father, body: { childId: duplicateId } }), 202);
  expect(held.status).toBe("held");

  // Until enrollment has heard of the child it lists nothing for anyone; once it has, the father is a stranger to it.
  const stranger = await enrollment.waitForAnswer(
    "GET",
    `/children/${childId}/applications`,
    { as: father },
    (answer) => (problemCode(answer) === undefined ? undefined : answer),
    "enrollment to hear of the child",
  );
  expect(problemCode(stranger)).toBe("ENROLLMENT.NOT_YOUR_CHILD");
  const operator = await system.as({ role: "operator", municipalityId });
  const merged = await registry.call("POST", `/certificate-applications/${held.applicationId}/decision`, {
    as: operator,
    body: { decision: "merge", comment: "тот же ребёнок: СНИЛС и свидетельство о рождении сверены" },
  });
  expect(expectStatus(merged, 200)).toMatchObject({ status: "merged", certificateId: known(story, "certificateId") });
  const seen = await enrollment.waitForAnswer("GET", `/children/${childId}/applications`, { as: father }, unless("ENROLLMENT.NOT_YOUR_CHILD"), "enrollment to hear of the merged guardian");
  expectStatus(seen, 200);
}

// --- catalogue: the family finds the group --------------------------------------------------

interface SearchResult {
  total: number;
  items: { id: string; acceptingApplications: boolean; freeSeats: number; certificateCoverage: { certificatePaysPerHour: number } | null }[];
}

/**
 * The family searches the navigator (no sign-in) for a technical program for a ten-year-old and
 * opens the program's groups. The certificate's share of the price shows once the catalogue has
 * the year's nominal from the registry.
 */
export async function familyFindsGroup(system: Kruzhok, story: Story): Promise<void> {
  const { catalogue } = system.services;
  const programId = known(story, "programId");
  const hit = await catalogue.waitForAnswer(
    "GET",
    `/search?municipalityId=${known(story, "municipalityId")}&direction=technical&age=10&freeSeats=true`,
    {},
    (answer) => (answer.status === 200 ? answer.json<SearchResult>().items.find((item) => item.id === programId && item.certificateCoverage !== null) : undefined),
    "the program in the navigator with the certificate's share",
  );
  expect(hit).toMatchObject({ acceptingApplications: true, freeSeats: known(story, "capacity") });
  const groups = expectStatus<{ id: string; acceptingApplications: boolean; freeSeats: number }[]>(await catalogue.call("GET", `/programs/${programId}/groups`), 200);
  expect(groups).toEqual([expect.objectContaining({ id: known(story, "groupId"), acceptingApplications: true, freeSeats: known(story, "capacity") })]);
}

// --- enrollment: the application, the offer, the contract -----------------------------------

interface ApplicationView {
  id: string;
  status: string;
  review: string;
  offers: { id: string; status: string }[];
}

/**
 * The family applies for the group. Enrollment knows the group, the municipality and the
 * certificate only from the catalogue's and the registry's events: the provider's view of the
 * group's queue answers once it has the group, and the family's app applies again (a new
 * attempt, its own Idempotency-Key) while the answer is that the certificate is not there yet.
 * A financed program and a certificate for free programs: the application waits for financing.
 */
export async function familyApplies(system: Kruzhok, story: Story): Promise<void> {
  const { enrollment } = system.services;
  const groupId = known(story, "groupId");
  await enrollment.waitForAnswer("GET", `/groups/${groupId}/queue`, { as: known(story, "provider") }, (answer) => (answer.status === 200 ? answer : undefined), "enrollment to hear of the group");
  let key = "";
  const applied = await enrollment.waitForAnswer(
    "POST",
    "/applications",
    () => ({ as: known(story, "guardian"), body: { childId: known(story, "childId"), groupId }, key: (key = randomUUID()) }),
    unless("ENROLLMENT.CERTIFICATE_MISSING", "ENROLLMENT.MUNICIPALITY_UNKNOWN", "ENROLLMENT.YEAR_SETTINGS_MISSING", "ENROLLMENT.NOT_YOUR_CHILD"),
    "enrollment to hear of the certificate",
  );
  const application = expectStatus<ApplicationView>(applied, 201);
  expect(application.status).toBe("awaiting_financing");
  story.applicationId = application.id;
  story.applicationKey = key;
}

/**
 * The family's app did not see the answer (or is not sure it did) and sends the application again
 * with the same Idempotency-Key: the same application comes back, none is added.
 */
export async function familyRetriesApplication(system: Kruzhok, story: Story): Promise<void> {
  const again = await system.services.enrollment.call("POST", "/applications", {
    as: known(story, "guardian"),
    body: { childId: known(story, "childId"), groupId: known(story, "groupId") },
    key: known(story, "applicationKey"),
  });
  expect(expectStatus<ApplicationView>(again, 201).id).toBe(story.applicationId);
  expect(again.replayed).toBe(true);
}

/**
 * Enrollment asked the registry to finance the certificate (an event), the registry financed it
 * and answered (an event): the family sees the application queued, and the certificate financed.
 */
export async function certificateFinanced(system: Kruzhok, story: Story): Promise<void> {
  const { enrollment, registry } = system.services;
  const guardian = known(story, "guardian");
  const settled = await enrollment.waitForAnswer(
    "GET",
    `/applications/${known(story, "applicationId")}`,
    { as: guardian },
    (answer) => (answer.status !== 200 || answer.json<ApplicationView>().status !== "awaiting_financing" ? answer : undefined),
    "the registry's answer to the financing request",
  );
  expect(expectStatus<ApplicationView>(settled, 200).status).toBe("queued");
  const certificate = expectStatus<{ funding: string }>(await registry.call("GET", `/certificates/${known(story, "certificateId")}`, { as: guardian }), 200);
  expect(certificate.funding).toBe("financed");
}

/**
 * The guardian opens the certificate's account in payments, which heard of the financing from the
 * registry's event and took the nominal from the municipality's budget: the year's nominal in,
 * nothing spent or reserved yet.
 */
export async function guardianSeesCertificateFunded(system: Kruzhok, story: Story): Promise<void> {
  const year = Number(storyNow(story).toLocaleDateString("en-CA", { timeZone: story.timeZone }).slice(0, 4));
  const account = await system.services.payments.waitForAnswer(
    "GET",
    `/certificates/${known(story, "certificateId")}/account?year=${year}`,
    { as: known(story, "guardian") },
    (answer) => (answer.status !== 200 || answer.json<CertificateAccount>().funded > 0 ? answer : undefined),
    "payments to fund the financed certificate",
  );
  expect(expectStatus<CertificateAccount>(account, 200)).toMatchObject({
    year,
    currency: "RUB",
    funded: NOMINAL,
    spent: 0,
    reserved: 0,
    available: NOMINAL,
    movements: [{ kind: "financing", direction: "in", amount: NOMINAL, description: "Зачисление номинала сертификата" }],
  });
}

interface PositionView {
  position: number;
  category: { code: string | null; rank: number; of: number } | null;
}

/**
 * The guardian claims a category for the child with the social-protection office's certificate.
 * The claim waits for an operator: the child's place in the queue shows no category. An operator
 * finds the claim at the desk, checks the proof and verifies it, stating the basis; the registry
 * announces the verified category, and enrollment re-ranks the child's application once it has
 * heard of it over Kafka: its place now shows the category, and the family's trail shows the act.
 */
export async function categoryClaimVerified(system: Kruzhok, story: Story): Promise<void> {
  const { registry, enrollment } = system.services;
  const guardian = known(story, "guardian");
  const childId = known(story, "childId");
  const positionOf = async () =>
    expectStatus<PositionView>(await enrollment.call("GET", `/applications/${known(story, "applicationId")}/position`, { as: guardian }), 200);
  const proof = { kind: "справка о признании семьи малоимущей", number: `МС-${randomInt(100_000)}`, issuer: "Отдел социальной защиты населения", issuedOn: utcDate(story, -30) };
  const claimed = await registry.call("PUT", `/children/${childId}/categories`, { as: guardian, body: { categories: [{ code: "low_income", proof }] } });
  const child = expectStatus<{ categories: unknown[]; categoryClaims: { id: string; status: string }[] }>(claimed, 200);
  expect(child.categories).toEqual([]);
  expect(child.categoryClaims).toEqual([expect.objectContaining({ status: "pending" })]);
  expect((await positionOf()).category).toMatchObject({ code: null });

  const operator = await system.as({ role: "operator", municipalityId: known(story, "municipalityId") });
  const desk = expectStatus<{ id: string; childId: string; proof: { number: string } }[]>(await registry.call("GET", "/category-claims", { as: operator }), 200);
  const claim = desk.find((c) => c.childId === childId);
  expect(claim?.proof.number).toBe(proof.number);
  const verified = await registry.call("POST", `/category-claims/${claim!.id}/decision`, {
    as: operator,
    headers: { "acting-basis": "in_person_visit" },
    body: { decision: "verify" },
  });
  expect(expectStatus(verified, 200)).toMatchObject({ status: "verified" });

  const ranked = await enrollment.waitForAnswer(
    "GET",
    `/applications/${known(story, "applicationId")}/position`,
    { as: guardian },
    (answer) => (answer.status === 200 && answer.json<PositionView>().category?.code === "low_income" ? answer : undefined),
    "enrollment to re-rank the application by the verified category",
  );
  expect(ranked.json<PositionView>()).toMatchObject({ position: 1, category: { code: "low_income", rank: 1 } });
  const trail = expectStatus<{ action: string }[]>(await registry.call("GET", `/children/${childId}/audit`, { as: guardian }), 200);
  expect(trail.map((entry) => entry.action)).toContain("child.category-verified");
}

/** The provider sees the application in its group's queue and confirms it; a seat is free, so the family gets an offer at once. */
export async function providerConfirms(system: Kruzhok, story: Story): Promise<void> {
  const { enrollment } = system.services;
  const provider = known(story, "provider");
  const applicationId = known(story, "applicationId");
  const queue = expectStatus<{ applicationId: string; review: string }[]>(await enrollment.call("GET", `/groups/${known(story, "groupId")}/queue`, { as: provider }), 200);
  expect(queue).toEqual([expect.objectContaining({ applicationId, review: "pending" })]);
  const reviewed = await enrollment.call("POST", `/applications/${applicationId}/review`, { as: provider, body: { decision: "confirmed" } });
  const application = expectStatus<ApplicationView>(reviewed, 200);
  expect(application).toMatchObject({ status: "offered", review: "confirmed", offers: [{ status: "open" }] });
  story.offerId = application.offers[0]!.id;
}

/** The guardian opens the offer and signs the contract electronically: the enrollment starts. */
export async function familySigns(system: Kruzhok, story: Story): Promise<void> {
  const { enrollment } = system.services;
  const guardian = known(story, "guardian");
  const offerId = known(story, "offerId");
  expect(expectStatus<{ status: string }>(await enrollment.call("GET", `/offers/${offerId}`, { as: guardian }), 200).status).toBe("open");
  const accepted = await enrollment.call("POST", `/offers/${offerId}/acceptance`, { as: guardian, body: {} });
  const started = expectStatus<{ id: string; status: string; contract: { method: string; signedRole: string } }>(accepted, 201);
  expect(started).toMatchObject({ status: "active", contract: { method: "electronic", signedRole: "guardian" } });
  story.enrollmentId = started.id;
}

/**
 * The provider sees the enrollment in enrollment's API and on its group's roster, the child's
 * name and the guardian's contact in the registry (which heard from enrollment's events that the
 * child is enrolled with this provider), and its group in the catalogue shows the seat taken (the
 * catalogue heard of the enrollment from enrollment's event).
 */
export async function providerSeesEnrollment(system: Kruzhok, story: Story): Promise<void> {
  const { enrollment, catalogue, registry } = system.services;
  const childId = known(story, "childId");
  const roster = expectStatus<{ enrollments: { id: string; childId: string }[] }>(await enrollment.call("GET", `/groups/${known(story, "groupId")}/roster`, { as: known(story, "provider") }), 200);
  expect(roster.enrollments).toEqual([expect.objectContaining({ id: known(story, "enrollmentId"), childId })]);
  const card = await registry.waitForAnswer(
    "GET",
    `/providers/${known(story, "providerId")}/children/${childId}`,
    { as: known(story, "provider") },
    (answer) => (answer.status === 200 && answer.json<{ relations: { state: string }[] }>().relations.some((r) => r.state === "enrolled") ? answer : undefined),
    "the registry to hear that the child is enrolled with the provider",
  );
  const applicant = card.json<{ age: number; guardians: { firstName: string; lastName: string }[] }>();
  expect(applicant).toMatchObject({ childId, firstName: "Анна", lastName: "Сюжетова" });
  // The mother who registered her, and any guardian the office added since (the second desk's).
  expect(applicant.guardians.map((g) => `${g.firstName} ${g.lastName}`)).toContain("Мария Сюжетова");
  // Born on 20 May ten years before the story's year: 9 until the birthday, 10 from it.
  expect([9, 10]).toContain(applicant.age);
  const provider = known(story, "provider");
  const seen = expectStatus<{ status: string; childId: string; groupId: string }>(await enrollment.call("GET", `/enrollments/${known(story, "enrollmentId")}`, { as: provider }), 200);
  expect(seen).toMatchObject({ status: "active", childId: known(story, "childId"), groupId: known(story, "groupId") });
  expect(expectStatus<ApplicationView>(await enrollment.call("GET", `/applications/${known(story, "applicationId")}`, { as: provider }), 200).status).toBe("enrolled");
  const capacity = known(story, "capacity");
  const counted = await catalogue.waitForAnswer(
    "GET",
    `/groups/${known(story, "groupId")}`,
    { as: provider },
    (answer) => (answer.status !== 200 || answer.json<{ activeEnrollments: number }>().activeEnrollments > 0 ? answer : undefined),
    "the catalogue to hear of the enrollment",
  );
  expect(expectStatus<{ activeEnrollments: number; freeSeats: number }>(counted, 200)).toMatchObject({ activeEnrollments: 1, freeSeats: capacity - 1 });
}

// --- attendance: lessons marked, absences notified, the month closed ------------------------
// The group's lessons begin two weeks after the story's today, so attendance runs with its
// development clock further ahead (CLOCK_OFFSET_DAYS, refused in production): restarted first on
// the day after the second lesson, then after the month has ended. Payments, which bills that
// month, is moved with it: when the month is in the next year (a story told from mid-December),
// payments must have rolled the certificate into that year, as its new-year job does on
// 1 January. Whole days: the local time of day is the real one.

/** The real local date in `zone`, and `date` moved by `days`. */
function localToday(zone: string): string {
  return new Date().toLocaleDateString("en-CA", { timeZone: zone });
}
const plusDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
function daysFrom(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
const monthAfter = (month: string) => plusDays(`${month}-28`, 7).slice(0, 7);

/**
 * Attendance and payments again, their clocks on `date` (local) at the real time of day.
 * REVIEW: a run across local midnight lands a day later.
 */
async function attendanceOn(system: Kruzhok, story: Story, date: string): Promise<void> {
  const { attendance, payments } = system.services;
  const clock = { CLOCK_OFFSET_DAYS: String(daysFrom(localToday(story.timeZone), date)) };
  await Promise.all([attendance.kill(), payments.kill()]);
  await Promise.all([attendance.start(clock), payments.start(clock)]);
  // In a new year, payments' new-year job has rolled the certificate (the guardian sees the
  // year's account funded) before anything is billed, as on a real 1 January.
  const year = date.slice(0, 4);
  await payments.waitForAnswer(
    "GET",
    `/certificates/${known(story, "certificateId")}/account?year=${year}`,
    { as: known(story, "guardian") },
    (answer) => (answer.status === 200 && answer.json<CertificateAccount>().funded > 0 ? answer : undefined),
    `payments to fund the certificate's account of ${year}`,
  );
}

/**
 * Attendance heard of the group (catalogue) and the enrollment (enrollment): the provider's sheet
 * of the first month with three lessons shows the child on their roster. On the day after the
 * second lesson the provider marks the first one: present.
 */
export async function lessonsMarked(system: Kruzhok, story: Story): Promise<void> {
  const { attendance } = system.services;
  const provider = known(story, "provider");
  const groupId = known(story, "groupId");
  const childId = known(story, "childId");
  let month = utcDate(story, 14).slice(0, 7);
  for (;;) {
    const sheet = await attendance.waitForAnswer(
      "GET",
      `/groups/${groupId}/lessons?month=${month}`,
      { as: provider },
      (answer) => (answer.status === 200 && answer.json<{ lessons: { roster: string[] }[] }>().lessons.some((l) => l.roster.includes(childId)) ? answer : undefined),
      "attendance to hear of the group and the child's enrollment",
    );
    const dates = sheet.json<{ lessons: { date: string; roster: string[] }[] }>().lessons.filter((l) => l.roster.includes(childId)).map((l) => l.date);
    if (dates.length >= 3) {
      story.lessonDates = dates.slice(0, 3);
      break;
    }
    month = monthAfter(month);
  }
  story.attendanceMonth = month;
  const [first, second] = story.lessonDates;
  await attendanceOn(system, story, plusDays(second!, 1));
  const marked = await attendance.call("PUT", `/groups/${groupId}/lessons/${first}T15:00`, { as: provider, body: { marks: [{ childId, status: "present" }] } });
  expect(expectStatus<{ onSchedule: boolean; changed: number }>(marked, 200)).toMatchObject({ onSchedule: true, changed: 1 });
}

/**
 * The guardian notifies the second lesson's illness a day late (the provider marks it absent),
 * and a vacation on the third lesson's day in good time.
 */
export async function absencesNotified(system: Kruzhok, story: Story): Promise<void> {
  const { attendance } = system.services;
  const guardian = known(story, "guardian");
  const childId = known(story, "childId");
  const [, second, third] = known(story, "lessonDates");
  const late = await attendance.call("POST", "/absence-notices", { as: guardian, body: { childId, reason: "illness", from: second, to: second } });
  expect(expectStatus<{ onTime: boolean }>(late, 201).onTime).toBe(false);
  const absent = await attendance.call("PUT", `/groups/${known(story, "groupId")}/lessons/${second}T15:00`, { as: known(story, "provider"), body: { marks: [{ childId, status: "absent" }] } });
  expectStatus(absent, 200);
  const timely = await attendance.call("POST", "/absence-notices", { as: guardian, body: { childId, reason: "vacation", from: third, to: third } });
  expect(expectStatus<{ onTime: boolean }>(timely, 201).onTime).toBe(true);
}

/**
 * After the month ends the provider marks the third lesson absent and an operator closes the
 * month: the child's summary is on Kafka for payments, one present lesson billable, the timely
 * vacation excused and the late illness not.
 */
export async function monthClosed(system: Kruzhok, story: Story): Promise<void> {
  const { attendance } = system.services;
  const municipalityId = known(story, "municipalityId");
  const childId = known(story, "childId");
  const month = known(story, "attendanceMonth");
  const [, , third] = known(story, "lessonDates");
  await attendanceOn(system, story, `${monthAfter(month)}-02`);
  const absent = await attendance.call("PUT", `/groups/${known(story, "groupId")}/lessons/${third}T15:00`, { as: known(story, "provider"), body: { marks: [{ childId, status: "absent" }] } });
  expectStatus(absent, 200);
  const operator = await system.as({ role: "operator", municipalityId });
  const closed = await attendance.call("POST", `/municipalities/${municipalityId}/months/${month}/close`, { as: operator });
  expect(expectStatus<{ version: number; closedNow: boolean; enrollments: number }>(closed, 200)).toMatchObject({ version: 1, closedNow: true, enrollments: 1 });
  const enrollmentId = known(story, "enrollmentId");
  const summary = await waitFor(
    async () => (await system.events("kruzhok.attendance.v1")).find((e: TopicEvent) => e.type === "attendance.month.summarised" && e.data.enrollmentId === enrollmentId),
    { timeoutMs: 30_000, intervalMs: 250, what: "the month's summary on Kafka" },
  );
  expect(summary.data).toMatchObject({
    childId,
    groupId: known(story, "groupId"),
    providerId: known(story, "providerId"),
    month,
    version: 1,
    supersedes: null,
    present: 1,
    excused: { illness: 0, vacation: 1, quarantine: 0, repairs: 0, rehabilitation: 0 },
    unexcused: 1,
    disputed: 0,
    billable: 1,
  });
  expect(summary.municipalityId).toBe(municipalityId);
  story.summaryEventId = summary.id;
}

// --- payments: the month billed, its register approved and paid, the guardian's certificate --

interface Register {
  id: string;
  providerId: string;
  month: string;
  status: string;
  paymentOrder: string | null;
  advance: number;
  lines: number;
  lessons: number;
  certificateTotal: number;
  familyTotal: number;
  lineItems?: { enrollmentId: string; certificateId: string | null; lessons: number; certificateAmount: number; familyAmount: number }[];
}

/**
 * Payments consumed the month's summary from Kafka and billed it: the one present lesson at its
 * price, the certificate paying the normative and the family the rest. The provider sees its
 * register of the month formed with the child's line, and the bill is on payments' topic, caused
 * by the summary.
 */
// The month is billed from its own year's money: a December, closed and billed in January after
// payments' new year, from what the old year's reservation kept for it; a January (a story told
// from mid-December) from the new year's account, funded on payments' 1 January.
export async function monthBilled(system: Kruzhok, story: Story): Promise<void> {
  const { payments } = system.services;
  const municipalityId = known(story, "municipalityId");
  const month = known(story, "attendanceMonth");
  const enrollmentId = known(story, "enrollmentId");
  const certificateId = known(story, "certificateId");
  const [certificatePart, familyPart] = [perLesson(NORMATIVE_PER_HOUR), perLesson(PRICE_PER_HOUR) - perLesson(NORMATIVE_PER_HOUR)];
  const provider = known(story, "provider");
  const registers = await payments.waitForAnswer(
    "GET",
    `/registers?municipalityId=${municipalityId}&month=${month}`,
    { as: provider },
    (answer) => (answer.status === 200 && answer.json<Register[]>().some((r) => r.lines > 0) ? answer.json<Register[]>() : undefined),
    "payments to bill the month's summary",
  );
  expect(registers).toEqual([
    expect.objectContaining({ providerId: known(story, "providerId"), month, status: "formed", paymentOrder: null, advance: 0, lines: 1, lessons: 1, certificateTotal: certificatePart, familyTotal: familyPart }),
  ]);
  story.registerId = registers[0]!.id;
  const register = expectStatus<Register>(await payments.call("GET", `/registers/${story.registerId}`, { as: provider }), 200);
  expect(register.lineItems).toEqual([{ enrollmentId, certificateId, lessons: 1, certificateAmount: certificatePart, familyAmount: familyPart }]);

  await payments.outboxDrained();
  const billed = (await system.events("kruzhok.payments.v1")).filter((e) => e.type === "payments.month.billed" && e.data.enrollmentId === enrollmentId);
  expect(billed).toHaveLength(1);
  expect(billed[0]).toMatchObject({ municipalityId, causationId: known(story, "summaryEventId") });
  expect(billed[0]!.data).toMatchObject({
    certificateId,
    month,
    version: 1,
    lessons: 1,
    certificateAmount: certificatePart,
    familyAmount: familyPart,
    uncoveredAmount: 0,
    currency: "RUB",
    registerId: story.registerId,
  });
}

/**
 * The municipality's official approves the provider's register and records it paid with the
 * payment order's reference: the provider sees it paid, and both steps are on payments' topic
 * with the register's total.
 */
export async function registerApprovedAndPaid(system: Kruzhok, story: Story): Promise<void> {
  const { payments } = system.services;
  const municipality = known(story, "municipality");
  const registerId = known(story, "registerId");
  const total = perLesson(PRICE_PER_HOUR);
  const approved = await payments.call("POST", `/registers/${registerId}/approval`, { as: municipality });
  expect(expectStatus<Register>(approved, 200)).toMatchObject({ status: "approved", paymentOrder: null });
  const paymentOrder = `ПП-${String(randomInt(1_000_000)).padStart(6, "0")}`;
  const paid = await payments.call("POST", `/registers/${registerId}/payment`, { as: municipality, body: { paymentOrder } });
  expect(expectStatus<Register>(paid, 200)).toMatchObject({ status: "paid", paymentOrder });
  const seen = expectStatus<Register>(await payments.call("GET", `/registers/${registerId}`, { as: known(story, "provider") }), 200);
  expect(seen).toMatchObject({ status: "paid", paymentOrder, certificateTotal: perLesson(NORMATIVE_PER_HOUR), familyTotal: total - perLesson(NORMATIVE_PER_HOUR) });

  await payments.outboxDrained();
  const changes = (await system.events("kruzhok.payments.v1")).filter((e) => e.type === "payments.register.changed" && e.data.registerId === registerId);
  expect(changes.map((e) => ({ status: e.data.status, total: e.data.total, paymentOrder: e.data.paymentOrder }))).toEqual([
    { status: "approved", total, paymentOrder: null },
    { status: "paid", total, paymentOrder },
  ]);
}

interface CertificateAccount {
  year: number;
  currency: string;
  funded: number;
  spent: number;
  returned: number;
  reserved: number;
  available: number;
  reservations: { enrollmentId: string; amount: number; missing: number }[];
  movements: { kind: string; description: string; direction: string; amount: number }[];
}

/**
 * The guardian opens the certificate's account of the month's year: the nominal credited when it
 * was financed, the enrollment's reservation, and the lesson paid from it (the reservation shrunk
 * by as much), in Russian.
 */
export async function guardianSeesMovement(system: Kruzhok, story: Story): Promise<void> {
  const { payments } = system.services;
  const month = known(story, "attendanceMonth");
  const year = Number(month.slice(0, 4));
  const charged = perLesson(NORMATIVE_PER_HOUR);
  const seen = await payments.call("GET", `/certificates/${known(story, "certificateId")}/account?year=${year}`, { as: known(story, "guardian") });
  const account = expectStatus<CertificateAccount>(seen, 200);
  expect(account).toMatchObject({ year, currency: "RUB", funded: NOMINAL, spent: charged });
  const movements = account.movements.map(({ kind, direction, amount }) => ({ kind, direction, amount }));
  const held = movements.find((m) => m.kind === "reservation")!.amount;
  expect(held).toBeGreaterThan(charged);
  expect(account.movements.find((m) => m.kind === "lesson_charge")!.description).toBe("Оплата посещённых занятий");
  if (!month.endsWith("-12")) {
    expect(movements).toEqual([
      { kind: "financing", direction: "in", amount: NOMINAL },
      { kind: "reservation", direction: "held", amount: held },
      { kind: "reservation_billed", direction: "released", amount: held },
      { kind: "reservation", direction: "held", amount: held - charged },
      { kind: "lesson_charge", direction: "out", amount: charged },
    ]);
    expect(account).toMatchObject({ returned: 0, reserved: held - charged, available: NOMINAL - held, reservations: [{ enrollmentId: known(story, "enrollmentId"), amount: held - charged, missing: 0 }] });
    return;
  }
  // December, billed in January: the new year returned what was neither spent nor held for
  // December, and once December was billed, the rest of its reservation went back too.
  expect(movements).toEqual([
    { kind: "financing", direction: "in", amount: NOMINAL },
    { kind: "reservation", direction: "held", amount: held },
    { kind: "year_end", direction: "out", amount: NOMINAL - held },
    { kind: "reservation_billed", direction: "released", amount: held },
    { kind: "reservation", direction: "held", amount: held - charged },
    { kind: "lesson_charge", direction: "out", amount: charged },
    { kind: "reservation_released", direction: "released", amount: held - charged },
    { kind: "year_end", direction: "out", amount: held - charged },
  ]);
  expect(account).toMatchObject({ returned: NOMINAL - charged, reserved: 0, available: 0, reservations: [] });
}

// --- statistics: what the region and the ministry see of it -----------------------------------

interface StatisticsCell {
  scope: string;
  municipalityId: string | null;
  regionCode: string;
  period: string;
  start: string;
  measure: string;
  dims: Record<string, string>;
  value: number | null;
  suppressed: boolean;
}

const CHILD_COUNTS = new Set([
  "certificates",
  "coverage.certified",
  "coverage.enrolled",
  "enrollments",
  "queue.length",
  "offers",
  "attendance.marks",
  "attendance.lessons",
  "money.committed.count",
  "money.reserved.count",
  "financing.queued",
  "bills",
]);
/** Amounts of money: hidden where the count they sum over is. */
const AMOUNTS = new Map([
  ["money.committed", "money.committed.count"],
  ["money.reserved", "money.reserved.count"],
  ["money.spent", "bills"],
  ["money.family", "bills"],
  ["money.benefits", "bills"],
]);

/** Cells of payments' money: committed, reserved, billed, budget, and the financing queue. */
const notMoney = (c: StatisticsCell) => !c.measure.startsWith("money.") && c.measure !== "financing.queued" && c.measure !== "bills";

/** No cell that counts children shows fewer than 10 of them. */
function expectNoSmallCell(cells: readonly StatisticsCell[]): void {
  expect(cells.filter((c) => CHILD_COUNTS.has(c.measure) && c.value !== null && c.value > 0 && c.value < 10)).toEqual([]);
}

/**
 * The region official follows the municipality in statistics: the one child's certificate,
 * application, offer and enrollment are counted, and every cell that counts them is suppressed
 * (one child is fewer than 10), while the approved provider (an organisation) shows. The same
 * cells travel on the statistics topic and arrive over Server-Sent Events.
 */
export async function regionFollowsStatistics(system: Kruzhok, story: Story): Promise<void> {
  const { statistics } = system.services;
  const municipalityId = known(story, "municipalityId");
  const month = (cells: StatisticsCell[]) => cells.filter((c) => c.period === "month" && c.scope === "municipality");
  const counted = await statistics.waitForAnswer(
    "GET",
    `/statistics/cells?municipalityId=${municipalityId}&period=month`,
    { as: story.region },
    (answer) => (answer.status === 200 && answer.json<{ cells: StatisticsCell[] }>().cells.some((c) => c.measure === "coverage.enrolled" && c.suppressed) ? answer : undefined),
    "statistics to count the enrolled child",
  );
  // Payments' money (the certificate's funding, the enrollment's reservation) reaches statistics
  // on its own time, and may change cells between two reads here: it is the last chapter's.
  const cells = month(counted.json<{ cells: StatisticsCell[] }>().cells).filter(notMoney);
  const cell = (measure: string, dims: Record<string, string> = {}) =>
    cells.find((c) => c.measure === measure && JSON.stringify(Object.entries(c.dims).sort()) === JSON.stringify(Object.entries(dims).sort()));
  expect(cell("providers", { kind: "*", status: "approved" })).toMatchObject({ value: 1, suppressed: false });
  for (const measure of ["coverage.certified", "coverage.enrolled", "coverage.certified.share"]) expect(cell(measure)).toMatchObject({ value: null, suppressed: true });
  expect(cell("certificates", { status: "financed", ageBand: "*" })).toMatchObject({ value: null, suppressed: true });
  expect(cell("offers", { outcome: "made" })).toMatchObject({ value: null, suppressed: true });
  expect(cell("queue.length")).toMatchObject({ value: 0, suppressed: false });
  expectNoSmallCell(cells);

  // The monthly indicator report as of the month's last day (its block computed on the service's
  // block thread, as the publisher's): the month's cells as published.
  const monthOf = cell("coverage.enrolled")!.start;
  const [y, m] = [Number(monthOf.slice(0, 4)), Number(monthOf.slice(5, 7))];
  const asOf = `${monthOf.slice(0, 8)}${String(new Date(Date.UTC(y, m, 0)).getUTCDate()).padStart(2, "0")}`;
  const report = await statistics.call("GET", `/statistics/report?municipalityId=${municipalityId}&asOf=${asOf}`, { as: story.region });
  const indicators = expectStatus<{ indicators: StatisticsCell[] }>(report, 200).indicators;
  const shown = (list: StatisticsCell[]) => new Map(list.map((c) => [`${c.measure}|${JSON.stringify(Object.entries(c.dims).sort())}`, [c.value, c.suppressed]]));
  expect(indicators.length).toBeGreaterThan(10);
  expect(shown(indicators.filter(notMoney))).toEqual(shown(cells.filter((c) => c.start === monthOf)));

  // The stream for the ministries' own consumers: the same cells, through the outbox and Kafka.
  await statistics.outboxDrained();
  const streamed = (await system.events("kruzhok.statistics.v1")).flatMap((event) => (event.data as { cells: StatisticsCell[] }).cells);
  expect(streamed.some((c) => c.municipalityId === municipalityId && c.measure === "coverage.enrolled" && c.period === "month" && c.suppressed)).toBe(true);
  expect(streamed.some((c) => c.scope === "region" && c.regionCode === "11" && c.measure === "providers" && c.dims.status === "approved" && c.value === 1)).toBe(true);
  expectNoSmallCell(streamed);

  // Server-Sent Events: the snapshot the region official's page starts from holds the same cells.
  const snapshot = await sseSnapshot(system, `/statistics/stream?municipalityId=${municipalityId}&period=month`, story.region);
  const key = (c: StatisticsCell) => `${c.measure}|${JSON.stringify(Object.entries(c.dims).sort())}`;
  expect(new Map(month(snapshot).filter(notMoney).map((c) => [key(c), c.value]))).toEqual(new Map(cells.map((c) => [key(c), c.value])));
}

/**
 * Statistics follows the month through attendance and payments: the child's marks, the closed
 * month's lessons, the bill and what the certificate paid are counted in the attendance month and
 * suppressed (one child), the money committed to the certificate too, while the municipality's
 * budget (public) shows; the same cells on the statistics topic and in the SSE snapshot.
 */
export async function statisticsCountsTheMonth(system: Kruzhok, story: Story): Promise<void> {
  const { statistics } = system.services;
  const municipalityId = known(story, "municipalityId");
  const start = `${known(story, "attendanceMonth")}-01`;
  const measureOf = (cells: readonly StatisticsCell[], measure: string, dims: Record<string, string> = {}) =>
    cells.find((c) => c.scope === "municipality" && c.period === "month" && c.start === start && c.measure === measure && JSON.stringify(Object.entries(c.dims).sort()) === JSON.stringify(Object.entries(dims).sort()));
  const answer = await statistics.waitForAnswer(
    "GET",
    `/statistics/cells?municipalityId=${municipalityId}&period=month&from=${start}&to=${start}`,
    { as: story.region },
    (a) => (a.status === 200 && measureOf(a.json<{ cells: StatisticsCell[] }>().cells, "bills")?.suppressed ? a : undefined),
    "statistics to count the month's bill",
  );
  const cells = answer.json<{ cells: StatisticsCell[] }>().cells;
  // One child's marks (present, then absent), its closed month and its bill: counted, and hidden.
  const hidden: [string, Record<string, string>][] = [
    ["attendance.marks", { status: "present" }],
    ["attendance.marks", { status: "absent" }],
    ["attendance.rate", {}],
    ["attendance.lessons", { outcome: "present" }],
    ["bills", {}],
    ["money.spent", {}],
    ["money.family", {}],
  ];
  for (const [measure, dims] of hidden) {
    expect(measureOf(cells, measure, dims), `${measure} ${JSON.stringify(dims)}`).toMatchObject({ value: null, suppressed: true });
  }
  expect(measureOf(cells, "money.budget")).toMatchObject({ value: 1_650_000_000, suppressed: false });
  expectNoSmallCell(cells);
  expectAmountsHiddenWithCounts(cells);

  // The certificate's funding (of this year, and of the next once it is rolled over), in the
  // month it was funded: one certificate's amount, hidden with its count.
  const funded = await statistics.waitForAnswer(
    "GET",
    `/statistics/cells?municipalityId=${municipalityId}&period=month`,
    { as: story.region },
    (a) => (a.status === 200 && a.json<{ cells: StatisticsCell[] }>().cells.some((c) => c.measure === "money.committed.count" && c.suppressed) ? a : undefined),
    "statistics to count the certificate's funding",
  );
  const everyMonth = funded.json<{ cells: StatisticsCell[] }>().cells;
  expect(everyMonth.filter((c) => c.measure === "money.committed" && c.suppressed).length).toBeGreaterThan(0);
  // What the enrollment's reservation holds on the certificate: one child's, hidden.
  expect(everyMonth.filter((c) => c.measure === "money.reserved" && c.suppressed).length).toBeGreaterThan(0);
  expectNoSmallCell(everyMonth);
  expectAmountsHiddenWithCounts(everyMonth);

  // The stream: the month's bill and budget went out on the topic, as the ministries' consumers read them.
  await statistics.outboxDrained();
  const streamed = (await system.events("kruzhok.statistics.v1")).flatMap((event) => (event.data as { cells: StatisticsCell[] }).cells);
  const latest = new Map<string, StatisticsCell>();
  for (const c of streamed) latest.set(`${c.scope}|${c.municipalityId}|${c.period}|${c.start}|${c.measure}|${JSON.stringify(Object.entries(c.dims).sort())}`, c);
  const onStream = [...latest.values()];
  expect(measureOf(onStream, "bills")).toMatchObject({ value: null, suppressed: true });
  expect(measureOf(onStream, "money.budget")).toMatchObject({ value: 1_650_000_000, suppressed: false });
  expectNoSmallCell(streamed);
  expectAmountsHiddenWithCounts(onStream);

  // Server-Sent Events: the snapshot of the month holds the same cells as the answer.
  const snapshot = await sseSnapshot(system, `/statistics/stream?municipalityId=${municipalityId}&period=month&from=${start}`, story.region);
  for (const measure of ["bills", "money.spent", "attendance.lessons", "money.budget"]) {
    const dims: Record<string, string> = measure === "attendance.lessons" ? { outcome: "present" } : {};
    expect(measureOf(snapshot, measure, dims)).toEqual(measureOf(cells, measure, dims));
  }
}

/** The first event of statistics' live stream (it must be the `snapshot`), read and the stream closed. */
async function sseSnapshot(system: Kruzhok, path: string, authorization: string): Promise<StatisticsCell[]> {
  const abort = new AbortController();
  const res = await fetch(`http://127.0.0.1:${system.services.statistics.port}${path}`, { headers: { authorization }, signal: abort.signal });
  expect(res.status).toBe(200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  let text = "";
  while (!text.includes("\n\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  abort.abort();
  expect(text.startsWith("event: snapshot")).toBe(true);
  return (JSON.parse(/^data: (.*)$/m.exec(text)![1]!) as { cells: StatisticsCell[] }).cells;
}

/** Every amount is suppressed exactly where the count it sums over is. */
function expectAmountsHiddenWithCounts(cells: readonly StatisticsCell[]): void {
  const byKey = new Map(cells.map((c) => [`${c.scope}|${c.municipalityId}|${c.regionCode}|${c.period}|${c.start}|${c.measure}`, c]));
  for (const c of cells) {
    const count = AMOUNTS.get(c.measure);
    if (count === undefined || Object.keys(c.dims).length > 0) continue;
    const counted = byKey.get(`${c.scope}|${c.municipalityId}|${c.regionCode}|${c.period}|${c.start}|${count}`);
    if (counted) expect(c.suppressed, `${c.measure} of ${c.start}`).toBe(counted.suppressed);
  }
}
