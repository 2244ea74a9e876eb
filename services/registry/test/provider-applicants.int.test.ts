import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApplicationReviewed, ApplicationSubmitted, ApplicationWithdrawn, ContractSigned, EnrollmentEnded, OfferLapsed } from "@kruzhok/contracts";
import { createMunicipality, office, registerChild, registerGuardian, registryHarness, type RegistryHarness } from "./fixtures/registry";

type Problem = { code: string; status: number };
interface Applicant {
  childId: string;
  firstName: string;
  lastName: string;
  birthDate: string;
  age: number;
  guardians: { lastName: string; phone: string | null; email: string | null }[];
  relations: { applicationId: string; groupId: string; state: string; enrollmentId: string | null }[];
}

describe("a provider reads the names, ages and guardians' contacts of the children of its own groups, and nobody else's", () => {
  let h: RegistryHarness;
  let town: string;
  const providerId = randomUUID();
  let provider: { authorization: string };
  beforeAll(async () => {
    h = await registryHarness("reg-provider-applicants");
    town = (await createMunicipality(h)).id;
    provider = await h.as({ role: "provider", municipalityId: town, providerId });
  });
  afterAll(async () => {
    await h.close();
  });

  const origin = (aggregateId: string) => ({ municipalityId: town, aggregateId });
  /** Enrollment's news of an application to the provider's group. */
  async function applied(childId: string, groupId = randomUUID(), toProvider = providerId) {
    const ref = { applicationId: randomUUID(), childId, groupId, programId: randomUUID(), providerId: toProvider };
    await h.deliver(ApplicationSubmitted, origin(ref.applicationId), {
      ...ref, status: "queued", acceptedAt: "2026-09-01T09:00:00.000001Z", reviewDueAt: "2026-09-04T12:00:00.000Z", submittedBy: "guardian",
    });
    return ref;
  }
  const read = (childId: string, who: { authorization: string } = provider) => h.app.inject({ method: "GET", url: `/providers/${providerId}/children/${childId}`, headers: who });

  it("shows an applicant's name, age on the municipality's calendar and guardians' contacts while the application is open, and writes the read down", async () => {
    const mother = await registerGuardian(h, town, { firstName: "Ольга", lastName: "Смирнова", phone: "+79146000001", email: "olga@example.ru" });
    const { childId } = await registerChild(h, town, { firstName: "Иван", lastName: "Смирнов", birthDate: "2016-09-02", guardianIds: [mother] });
    // Before any application the provider learns nothing, not even whether the child exists.
    const before = await read(childId);
    expect(before.statusCode).toBe(403);
    expect(before.json<Problem>().code).toBe("REGISTRY.NOT_YOUR_APPLICANT");
    expect((await read(randomUUID())).json<Problem>().code).toBe("REGISTRY.NOT_YOUR_APPLICANT");

    const ref = await applied(childId);
    const res = await read(childId);
    expect(res.statusCode, res.body).toBe(200);
    // 2026-09-01 09:00Z is 21:00 on the 1st in Kamchatka: the tenth birthday is tomorrow.
    expect(res.json<Applicant>()).toEqual({
      childId,
      firstName: "Иван",
      lastName: "Смирнов",
      patronymic: null,
      birthDate: "2016-09-02",
      age: 9,
      guardians: [{ firstName: "Ольга", lastName: "Смирнова", patronymic: null, phone: "+79146000001", email: "olga@example.ru" }],
      relations: [{ applicationId: ref.applicationId, groupId: ref.groupId, state: "applied", enrollmentId: null }],
    });
    const lookups = await h.app.inject({ method: "GET", url: `/person-lookups?childId=${childId}`, headers: await h.as({ role: "municipality", municipalityId: town }) });
    expect(lookups.json<{ kind: string; actorRole: string; childIds: string[] }[]>()).toEqual([
      expect.objectContaining({ kind: "applicants", actorRole: "provider", childIds: [childId] }),
    ]);

    // Another provider of the town reads nothing of it, through its own list or the first's.
    const stranger = await h.as({ role: "provider", municipalityId: town, providerId: randomUUID() });
    expect((await read(childId, stranger)).json<Problem>().code).toBe("REGISTRY.NOT_YOUR_APPLICANT");
    expect((await read(childId, await office(h, town))).json<Problem>().code).toBe("AUTH.FORBIDDEN_ROLE");
  });

  it("keeps the child readable while enrolled, and closes it when the application ends or the enrollment does (whichever news comes first)", async () => {
    const ends = async (childId: string) => (await read(childId)).json<Problem>().code;
    // Withdrawn, rejected, offer lapsed: closed.
    const a = (await registerChild(h, town)).childId;
    const refA = await applied(a);
    await h.deliver(ApplicationWithdrawn, origin(refA.applicationId), { ...refA, reason: "family" });
    expect(await ends(a)).toBe("REGISTRY.NOT_YOUR_APPLICANT");
    const b = (await registerChild(h, town)).childId;
    const refB = await applied(b);
    await h.deliver(ApplicationReviewed, origin(refB.applicationId), { ...refB, decision: "rejected", campaignId: null });
    expect(await ends(b)).toBe("REGISTRY.NOT_YOUR_APPLICANT");
    const c = (await registerChild(h, town)).childId;
    const refC = await applied(c);
    await h.deliver(OfferLapsed, origin(refC.applicationId), { ...refC, offerId: randomUUID(), reason: "expired" });
    expect(await ends(c)).toBe("REGISTRY.NOT_YOUR_APPLICANT");

    // Enrolled: the contract's news may come before the application's (another key, another partition).
    const d = (await registerChild(h, town)).childId;
    const refD = { applicationId: randomUUID(), childId: d, groupId: randomUUID(), programId: randomUUID(), providerId };
    const enrollmentId = randomUUID();
    const contract = { ...refD, offerId: randomUUID(), contractId: randomUUID(), enrollmentId, method: "electronic" as const, signedBy: "g", signedAt: "2026-09-01T09:00:00.000Z" };
    await h.deliver(ContractSigned, origin(enrollmentId), contract);
    await h.deliver(ApplicationSubmitted, origin(refD.applicationId), {
      ...refD, status: "queued", acceptedAt: "2026-09-01T09:00:00.000001Z", reviewDueAt: "2026-09-04T12:00:00.000Z", submittedBy: "guardian",
    });
    expect((await read(d)).json<Applicant>().relations).toEqual([{ applicationId: refD.applicationId, groupId: refD.groupId, state: "enrolled", enrollmentId }]);
    await h.deliver(EnrollmentEnded, origin(enrollmentId), { enrollmentId, groupId: refD.groupId, programId: refD.programId, childId: d, reason: "completed" });
    expect(await ends(d)).toBe("REGISTRY.NOT_YOUR_APPLICANT");
  });

  it("lists the provider's applicants page by page, and refuses another provider's list", async () => {
    const own = randomUUID();
    const desk = await h.as({ role: "provider", municipalityId: town, providerId: own });
    const children = [];
    for (let i = 0; i < 3; i += 1) {
      const { childId } = await registerChild(h, town);
      await applied(childId, randomUUID(), own);
      children.push(childId);
    }
    children.sort();
    const list = (query: string) => h.app.inject({ method: "GET", url: `/providers/${own}/children${query}`, headers: desk });
    const first = (await list("?limit=2")).json<{ items: Applicant[]; nextCursor: string }>();
    const second = (await list(`?limit=2&cursor=${first.nextCursor}`)).json<{ items: Applicant[]; nextCursor: string | null }>();
    expect([...first.items, ...second.items].map((x) => x.childId)).toEqual(children);
    expect(second.nextCursor).toBeNull();
    const refused = await h.app.inject({ method: "GET", url: `/providers/${own}/children`, headers: provider });
    expect(refused.statusCode).toBe(403);
    expect(refused.json<Problem>().code).toBe("REGISTRY.NOT_YOUR_APPLICANT");
  });
});
