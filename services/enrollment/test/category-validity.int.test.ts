import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChildCategoriesChanged, ChildCategoryExpired } from "@kruzhok/contracts";
import { sweep } from "../src/usecases/sweeps";
import { apply, child, enrollmentHarness, openGroup, outboxEvents, world, type EnrollmentHarness, type World } from "./fixtures/enrollment";

describe("a category whose validity runs out or begins re-ranks the child without any event", () => {
  let h: EnrollmentHarness;
  let w: World;
  beforeAll(async () => {
    h = await enrollmentHarness("enr-category-validity");
    // A long review window: the sweeps below must not auto-confirm anyone into an offer.
    w = await world(h, { providerReviewWorkingDays: 20 });
  });
  afterAll(async () => {
    await h.close();
  });

  const position = async (id: string, who: { authorization: string }) =>
    (await h.app.inject({ method: "GET", url: `/applications/${id}/position`, headers: who })).json<{ position: number; category: { code: string | null } }>();

  it("moves a child down the day after its low-income proof expires (Kamchatka's local date), and up on the day a proof begins", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const { groupId } = await openGroup(h, w, { capacity: 1 });
    const poor = await child(h, w);
    const plain = await child(h, w);
    const future = await child(h, w);
    await h.deliver(ChildCategoriesChanged, { municipalityId: w.municipalityId, aggregateId: poor.childId }, {
      childId: poor.childId,
      certificateId: poor.certificateId,
      categories: [{ code: "low_income", validFrom: "2025-09-10", validUntil: "2026-09-09" }],
    });
    await h.deliver(ChildCategoriesChanged, { municipalityId: w.municipalityId, aggregateId: future.childId }, {
      childId: future.childId,
      certificateId: future.certificateId,
      categories: [{ code: "large_family", validFrom: "2026-09-05", validUntil: "2027-09-04" }],
    });
    const ids: string[] = [];
    for (const k of [plain, poor, future]) {
      const res = await apply(h, k.guardian, k.childId, groupId);
      expect(res.statusCode, res.body).toBe(201);
      ids.push(res.json<{ id: string }>().id);
    }
    const [plainId, poorId, futureId] = ids as [string, string, string];
    await h.sync();
    expect(await position(poorId, poor.guardian)).toMatchObject({ position: 1, category: { code: "low_income" } });
    expect(await position(futureId, future.guardian)).toMatchObject({ position: 3, category: { code: null } });

    // 4 September 23:59 in Kamchatka (11:59 UTC): nothing has changed yet.
    expect((await sweep(h.pool, new Date("2026-09-04T11:59:00Z"))).reranked).toBe(0);
    // 5 September 00:00 in Kamchatka: the large-family proof is in force.
    expect((await sweep(h.pool, new Date("2026-09-04T12:00:00Z"))).reranked).toBe(1);
    h.clock.set("2026-09-04T12:00:00Z");
    await h.sync();
    expect(await position(futureId, future.guardian)).toMatchObject({ position: 1, category: { code: "large_family" } });
    expect(await position(poorId, poor.guardian)).toMatchObject({ position: 2 });

    // The low-income proof is valid through 9 September local; from 10 September it is not.
    expect((await sweep(h.pool, new Date("2026-09-09T11:59:00Z"))).reranked).toBe(0);
    expect((await sweep(h.pool, new Date("2026-09-09T12:00:00Z"))).reranked).toBe(1);
    h.clock.set("2026-09-09T12:00:00Z");
    await h.sync();
    // Without a category, the poor child is behind the plain child, who applied earlier.
    expect(await position(poorId, poor.guardian)).toMatchObject({ position: 3, category: { code: null } });
    expect(await position(plainId, plain.guardian)).toMatchObject({ position: 2 });
    // The events say which places moved, not by which categories (special-categories.int.test.ts).
    const moves = (await outboxEvents<{ applicationId: string }>(h.pool, "enrollment.application.reranked")).map((e) => e.data);
    expect(moves).toEqual([
      expect.objectContaining({ applicationId: futureId }),
      expect.objectContaining({ applicationId: poorId }),
    ]);
    // Once moved, the next sweep finds nothing to do.
    expect((await sweep(h.pool, new Date("2026-09-09T12:05:00Z"))).reranked).toBe(0);
  });

  it("moves a child down as soon as the registry announces its category's end, before any sweep, and not twice", async () => {
    h.clock.set("2026-09-01T09:00:00Z");
    const { groupId } = await openGroup(h, w, { capacity: 1 });
    const plain = await child(h, w);
    const poor = await child(h, w);
    await h.deliver(ChildCategoriesChanged, { municipalityId: w.municipalityId, aggregateId: poor.childId }, {
      childId: poor.childId,
      certificateId: poor.certificateId,
      categories: [{ code: "low_income", validFrom: "2025-09-20", validUntil: "2026-09-19" }],
    });
    const plainId = (await apply(h, plain.guardian, plain.childId, groupId)).json<{ id: string }>().id;
    const poorId = (await apply(h, poor.guardian, poor.childId, groupId)).json<{ id: string }>().id;
    await h.sync();
    expect(await position(poorId, poor.guardian)).toMatchObject({ position: 1, category: { code: "low_income" } });

    // 20 September 00:00 in Kamchatka: the registry's sweep announced the end; enrollment's has not run.
    h.clock.set("2026-09-19T12:00:00Z");
    const announced = { municipalityId: w.municipalityId, aggregateId: poor.childId };
    await h.deliver(ChildCategoryExpired, announced, { childId: poor.childId, certificateId: poor.certificateId, code: "low_income", validUntil: "2026-09-19" });
    await h.sync();
    expect(await position(poorId, poor.guardian)).toMatchObject({ position: 2, category: { code: null } });
    expect(await position(plainId, plain.guardian)).toMatchObject({ position: 1 });
    const moved = async () => (await outboxEvents<{ applicationId: string }>(h.pool, "enrollment.application.reranked")).filter((e) => e.data.applicationId === poorId);
    expect(await moved()).toHaveLength(1);
    expect((await sweep(h.pool, new Date("2026-09-19T12:05:00Z"))).reranked).toBe(0);
    expect(await moved()).toHaveLength(1);
  });
});
