import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apply, child, enrollmentHarness, openGroup, outboxEvents, world, type Auth, type Child, type EnrollmentHarness, type World } from "./fixtures/enrollment";

// A child's social category (a disability, low income, orphanhood) ranks the queue; it is the
// family's and the office's to know, not the provider's, and not any event's; counts of children
// by category small enough to single one out are not shown; the provider's words of a
// rejection reach the family through the application, not through Kafka.
describe("special-category data stays where it belongs", () => {
  let h: EnrollmentHarness;
  let w: World;
  beforeAll(async () => {
    h = await enrollmentHarness("enr-special-categories");
    w = await world(h);
    h.clock.set("2026-09-01T09:00:00Z");
  });
  afterAll(async () => {
    await h.close();
  });

  const get = (url: string, who: Auth) => h.app.inject({ method: "GET", url, headers: who });
  const submit = async (k: Child, groupId: string) => {
    const res = await apply(h, k.guardian, k.childId, groupId);
    expect(res.statusCode, res.body).toBe(201);
    return res.json<{ id: string }>().id;
  };

  it("shows the provider the queue's order without the categories behind it, the office and the family with them", async () => {
    const { groupId } = await openGroup(h, w, { capacity: 1 });
    const disabled = await child(h, w, { categories: ["disabled"] });
    const id = await submit(disabled, groupId);

    const byProvider = await get(`/applications/${id}`, w.provider);
    expect(byProvider.statusCode, byProvider.body).toBe(200);
    expect(byProvider.json()).toMatchObject({ id, category: null });
    expect(byProvider.body).not.toContain("disabled");
    const queue = await get(`/groups/${groupId}/queue`, w.provider);
    expect(queue.json()).toEqual([expect.objectContaining({ applicationId: id, position: 1, category: null })]);
    expect(queue.body).not.toContain("disabled");
    const position = await get(`/applications/${id}/position`, w.provider);
    expect(position.json()).toMatchObject({ position: 1, category: null, aheadByCategory: [], inOwnCategory: null, explanation: "Место в очереди: 1 из 1." });
    expect(position.body).not.toContain("disabled");
    expect((await get(`/groups/${groupId}/queue`, w.operator)).json()).toEqual([expect.objectContaining({ applicationId: id, category: { code: "disabled", rank: 1 } })]);
    const reviewed = await h.app.inject({ method: "POST", url: `/applications/${id}/review`, headers: w.provider, payload: { decision: "confirmed" } });
    expect(reviewed.statusCode, reviewed.body).toBe(200);
    expect(reviewed.json()).toMatchObject({ category: null });

    expect((await get(`/applications/${id}`, disabled.guardian)).json()).toMatchObject({ category: { code: "disabled", rank: 1 } });
    expect((await get(`/applications/${id}`, w.operator)).json()).toMatchObject({ category: { code: "disabled", rank: 1 } });
  });

  it("withholds per-category counts below ten from the family's position, and the one that would give them away", async () => {
    // Nobody is reviewed, so nobody is offered the seat: all wait.
    const { groupId } = await openGroup(h, w, { capacity: 1 });
    for (let i = 0; i < 10; i++) await submit(await child(h, w, { categories: ["large_family"] }), groupId);
    const plain = await child(h, w);
    const plainId = await submit(plain, groupId);
    const lookup = async () => (await get(`/applications/${plainId}/position`, plain.guardian)).json<Record<string, unknown>>();
    expect(await lookup()).toMatchObject({ position: 11, aheadWithHigherCategories: 10, aheadByCategory: [{ code: "large_family", ahead: 10 }] });

    // One orphan joins ahead of everyone: 1 is small; 10 would give it away by subtraction from 11.
    const orphan = await child(h, w, { categories: ["orphan"] });
    const orphanId = await submit(orphan, groupId);
    expect(await lookup()).toMatchObject({
      position: 12,
      aheadWithHigherCategories: 11,
      aheadByCategory: [
        { code: "orphan", ahead: null },
        { code: "large_family", ahead: null },
      ],
    });
    // The orphan's family is not told how many others share its category either.
    expect((await get(`/applications/${orphanId}/position`, orphan.guardian)).json()).toMatchObject({ position: 1, category: { code: "orphan" }, inOwnCategory: null });
  });

  it("keeps categories and the provider's words out of the events", async () => {
    const { groupId } = await openGroup(h, w, { capacity: 1 });
    const orphan = await child(h, w, { categories: ["orphan"] });
    const id = await submit(orphan, groupId);
    const words = "группа для детей с подготовкой, у ребёнка нет базовых навыков";
    const rejected = await h.app.inject({ method: "POST", url: `/applications/${id}/review`, headers: w.provider, payload: { decision: "rejected", comment: words } });
    expect(rejected.statusCode, rejected.body).toBe(200);

    const submitted = (await outboxEvents(h.pool, "enrollment.application.submitted")).find((e) => e.aggregateId === id);
    expect(submitted?.data).not.toHaveProperty("categoryCode");
    expect(submitted?.data).not.toHaveProperty("categoryRank");
    const reviewed = (await outboxEvents(h.pool, "enrollment.application.reviewed")).find((e) => e.aggregateId === id);
    expect(reviewed?.data).toMatchObject({ decision: "rejected", campaignId: null });
    expect(reviewed?.data).not.toHaveProperty("comment");
    // Every topic, the family's notices included: a notice says the provider explained, not what.
    const { rows } = await h.pool.query<{ payload: string }>("SELECT payload FROM outbox");
    const onTopics = rows.map((r) => r.payload).join("\n");
    expect(onTopics).not.toContain("orphan");
    expect(onTopics).not.toContain(words);
    // The family reads the provider's words in its application.
    expect((await get(`/applications/${id}`, orphan.guardian)).json()).toMatchObject({
      status: "rejected",
      refusal: { code: "ENROLLMENT.REJECTED_BY_PROVIDER", detail: words },
    });
  });
});
