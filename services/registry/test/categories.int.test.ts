import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepCategoryEndings } from "../src/usecases/categories";
import {
  categoryProof,
  childBody,
  createMunicipality,
  office,
  outboxEvents,
  registerGuardian,
  registryHarness,
  snapshot,
  type RegistryHarness,
} from "./fixtures/registry";

interface ChildView {
  id: string;
  categories: { code: string; validFrom: string; validUntil: string }[];
  categoryClaims: { id: string; code: string; status: string; reason: string | null; validUntil: string }[];
}

describe("social categories are verified by the office, not declared by the family", () => {
  let h: RegistryHarness;
  let kamchatka: string;
  beforeAll(async () => {
    h = await registryHarness("reg-categories");
    kamchatka = (await createMunicipality(h, { timeZone: "Asia/Kamchatka" })).id;
  });
  afterAll(async () => {
    await h.close();
  });

  /** A guardian registered at the office who then registers their own child, claiming `categories`. */
  async function familyClaims(categories: unknown[]) {
    const guardianId = await registerGuardian(h, kamchatka);
    const family = await h.as({ role: "guardian", municipalityId: kamchatka, guardianId });
    const res = await h.app.inject({ method: "POST", url: "/children", headers: family, payload: childBody([guardianId], { categories }) });
    expect(res.statusCode, res.body).toBe(201);
    return { family, guardianId, child: res.json<ChildView>() };
  }

  const decide = async (claimId: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
    h.app.inject({ method: "POST", url: `/category-claims/${claimId}/decision`, headers: headers ?? (await office(h, kamchatka)), payload: body });

  const categoryEvents = async (childId: string) => (await outboxEvents(h.pool, "registry.child.categories-changed")).filter((e) => e.aggregateId === childId);

  it("keeps a guardian's claim pending: it does not rank or travel until an operator verifies its proof, and then it does", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const { family, child } = await familyClaims([{ code: "low_income", proof: categoryProof("2026-08-15") }]);
    expect(child.categories).toEqual([]);
    expect(child.categoryClaims).toMatchObject([{ code: "low_income", status: "pending", validUntil: "2027-08-14" }]);

    // The certificate issued meanwhile carries no category: a declared one grants nothing.
    const issued = await h.app.inject({ method: "POST", url: "/certificates", headers: family, payload: { childId: child.id } });
    expect(issued.statusCode, issued.body).toBe(201);
    const certificateId = issued.json<{ id: string }>().id;
    const [announced] = (await outboxEvents<{ categories: string[] }>(h.pool, "registry.certificate.issued")).filter((e) => e.aggregateId === certificateId);
    expect(announced?.data.categories).toEqual([]);

    // Sending the same list again is not a new claim.
    const again = await h.app.inject({ method: "PUT", url: `/children/${child.id}/categories`, headers: family, payload: { categories: [{ code: "low_income", proof: await claimProof(child.id) }] } });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json<ChildView>().categoryClaims).toHaveLength(1);
    expect(await categoryEvents(child.id)).toEqual([]);

    // The operator's desk lists it with the child and the proof to check.
    const desk = await h.app.inject({ method: "GET", url: "/category-claims", headers: await h.as({ role: "operator", municipalityId: kamchatka }) });
    expect(desk.statusCode, desk.body).toBe(200);
    const waiting = desk.json<{ id: string; childId: string; child: { lastName: string }; proof: { issuer: string } }[]>().find((c) => c.childId === child.id);
    expect(waiting).toMatchObject({ code: "low_income", proof: { issuer: "Управление социальной защиты населения" } });
    expect(waiting?.child.lastName).toMatch(/^Петрова/);
    // The list shows children's names and proofs: it is written down as a look-up of personal data.
    const { rows: lookups } = await h.pool.query<{ child_ids: string[] }>(`SELECT child_ids::text[] FROM person_lookups WHERE criteria->>'list' = 'category-claims'`);
    expect(lookups.some((l) => l.child_ids.includes(child.id))).toBe(true);

    // A guardian cannot verify their own claim; an operator without a basis cannot either.
    const self = await decide(waiting!.id, { decision: "verify" }, family);
    expect(self.statusCode).toBe(403);
    expect((await decide(waiting!.id, { decision: "verify" }, await h.as({ role: "operator", municipalityId: kamchatka }))).json()).toMatchObject({ code: "AUTH.BASIS_REQUIRED" });

    const verified = await decide(waiting!.id, { decision: "verify" });
    expect(verified.statusCode, verified.body).toBe(200);
    expect(verified.json()).toMatchObject({ status: "verified", decidedAt: "2026-09-01T09:00:00.000Z" });
    const record = (await h.app.inject({ method: "GET", url: `/children/${child.id}`, headers: family })).json<ChildView>();
    expect(record.categories).toEqual([expect.objectContaining({ code: "low_income", validFrom: "2026-08-15", validUntil: "2027-08-14" })]);
    expect((await categoryEvents(child.id)).map((e) => e.data)).toEqual([
      { childId: child.id, certificateId, categories: [{ code: "low_income", validFrom: "2026-08-15", validUntil: "2027-08-14" }] },
    ]);
    // The family reads who decided, with the basis, in its trail; a decided claim is not decided again.
    const trail = await h.app.inject({ method: "GET", url: `/children/${child.id}/audit`, headers: family });
    expect(trail.json()).toEqual(expect.arrayContaining([expect.objectContaining({ action: "child.category-verified", subjectId: waiting!.id })]));
    expect((await decide(waiting!.id, { decision: "reject", reason: "передумали" })).json()).toMatchObject({ code: "REGISTRY.CLAIM_DECIDED" });
  });

  it("rejects a claim with a reason the family reads, changing nothing in force; a rejection without a reason is refused", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const { family, child } = await familyClaims([{ code: "large_family", proof: categoryProof("2026-02-01", "удостоверение многодетной семьи") }]);
    const claimId = child.categoryClaims[0]!.id;
    const before = await snapshot(h.pool);
    const bare = await decide(claimId, { decision: "reject" });
    expect(bare.statusCode, bare.body).toBe(400);
    expect(bare.json()).toMatchObject({ code: "HTTP.VALIDATION", invalidParams: [expect.objectContaining({ name: "body.reason" })] });
    expect(await snapshot(h.pool)).toEqual(before);
    const rejected = await decide(claimId, { decision: "reject", reason: "в удостоверении не указан ребёнок; принесите удостоверение с вписанными детьми" });
    expect(rejected.statusCode, rejected.body).toBe(200);
    const record = (await h.app.inject({ method: "GET", url: `/children/${child.id}`, headers: family })).json<ChildView>();
    expect(record.categories).toEqual([]);
    expect(record.categoryClaims).toMatchObject([{ status: "rejected" }]);
    expect(record.categoryClaims[0]?.reason).toContain("принесите удостоверение");
    expect(await categoryEvents(child.id)).toEqual([]);
  });

  it("keeps the verified category in force while a renewal waits, and drops one the family no longer claims at once", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const { family, child } = await familyClaims([{ code: "low_income", proof: categoryProof("2026-01-10") }]);
    expect((await decide(child.categoryClaims[0]!.id, { decision: "verify" })).statusCode).toBe(200);
    h.clock.set("2026-09-01T10:00:00Z");
    const renewal = await h.app.inject({
      method: "PUT",
      url: `/children/${child.id}/categories`,
      headers: family,
      payload: { categories: [{ code: "low_income", proof: categoryProof("2026-08-30") }] },
    });
    expect(renewal.statusCode, renewal.body).toBe(200);
    expect(renewal.json<ChildView>()).toMatchObject({
      categories: [{ code: "low_income", validUntil: "2027-01-09" }],
      categoryClaims: [{ status: "pending", validUntil: "2027-08-29" }, { status: "verified" }],
    });
    h.clock.set("2026-09-01T11:00:00Z");
    const dropped = await h.app.inject({ method: "PUT", url: `/children/${child.id}/categories`, headers: family, payload: { categories: [] } });
    expect(dropped.json<ChildView>()).toMatchObject({ categories: [], categoryClaims: [{ status: "withdrawn" }, { status: "verified" }] });
    expect((await categoryEvents(child.id)).map((e) => (e.data as { categories: unknown[] }).categories)).toEqual([[expect.objectContaining({ code: "low_income" })], []]);
  });

  it("holds a low-income proof a year from its issue: an operator cannot extend it without a new proof", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const guardianId = await registerGuardian(h, kamchatka);
    const proof = categoryProof("2026-03-01");
    const res = await h.app.inject({ method: "POST", url: "/children", headers: await office(h, kamchatka), payload: childBody([guardianId], { categories: [{ code: "low_income", proof }] }) });
    expect(res.statusCode, res.body).toBe(201);
    const childId = res.json<ChildView>().id;
    expect(res.json<ChildView>().categories).toEqual([expect.objectContaining({ validUntil: "2027-02-28" })]);
    const before = await snapshot(h.pool);
    const extended = await h.app.inject({
      method: "PUT",
      url: `/children/${childId}/categories`,
      headers: await office(h, kamchatka),
      payload: { categories: [{ code: "low_income", proof, validUntil: "2027-06-30" }] },
    });
    expect(extended.statusCode).toBe(422);
    expect(extended.json()).toMatchObject({ code: "REGISTRY.CATEGORY_PROOF_TOO_LONG", invalidParams: [{ name: "body.categories.0.validUntil" }] });
    const expired = await h.app.inject({
      method: "PUT",
      url: `/children/${childId}/categories`,
      headers: await office(h, kamchatka),
      payload: { categories: [{ code: "low_income", proof: categoryProof("2025-08-01") }] },
    });
    expect(expired.json()).toMatchObject({ code: "REGISTRY.CATEGORY_PROOF_EXPIRED", invalidParams: [{ name: "body.categories.0.validUntil" }] });
    expect(await snapshot(h.pool)).toEqual(before);
  });

  it("tells the family 30 days before a verified category's last day and announces its end the day after, in the municipality's zone, once each", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const guardianId = await registerGuardian(h, kamchatka);
    // Issued 2025-10-05: holds through 2026-10-04 (Kamchatka's calendar, UTC+12).
    const res = await h.app.inject({
      method: "POST",
      url: "/children",
      headers: await office(h, kamchatka),
      payload: childBody([guardianId], { categories: [{ code: "low_income", proof: categoryProof("2025-10-05") }] }),
    });
    expect(res.statusCode, res.body).toBe(201);
    const childId = res.json<ChildView>().id;
    const sweepAt = (iso: string) => sweepCategoryEndings({ pool: h.pool, clock: () => new Date(iso) });
    const notices = async () => (await outboxEvents<{ childId: string; daysLeft: number; validUntil: string }>(h.pool, "registry.notification.category-ending")).filter((e) => e.data.childId === childId);
    const ends = async () => (await outboxEvents<{ code: string; validUntil: string }>(h.pool, "registry.child.category-expired")).filter((e) => e.aggregateId === childId);

    // 3 September 23:59 in Kamchatka is 31 days before the last day: nothing yet.
    await sweepAt("2026-09-03T11:59:00Z");
    expect(await notices()).toEqual([]);
    // 4 September 00:00 in Kamchatka (still 3 September in Moscow and UTC): 30 days left.
    await sweepAt("2026-09-03T12:00:00Z");
    expect(await notices()).toMatchObject([{ aggregateId: guardianId, data: { validUntil: "2026-10-04", daysLeft: 30 } }]);
    await sweepAt("2026-09-10T12:00:00Z");
    expect(await notices()).toHaveLength(1);

    // Through 4 October local it holds; from 5 October 00:00 local it has ended.
    await sweepAt("2026-10-04T11:59:00Z");
    expect(await ends()).toEqual([]);
    await sweepAt("2026-10-04T12:00:00Z");
    expect(await ends()).toMatchObject([{ data: { code: "low_income", validUntil: "2026-10-04" } }]);
    await sweepAt("2026-10-06T12:00:00Z");
    expect(await ends()).toHaveLength(1);
  });

  /** The proof the child's pending claim was made with, as stored. */
  async function claimProof(childId: string): Promise<Record<string, string> | undefined> {
    const { rows } = await h.pool.query<{ proof: Record<string, string> }>(`SELECT proof FROM category_claims WHERE child_id = $1 AND status = 'pending'`, [childId]);
    return rows[0]?.proof;
  }
});
