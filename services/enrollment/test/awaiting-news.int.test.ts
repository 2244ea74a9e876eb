import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GroupOpened } from "@kruzhok/contracts";
import { apply, child, enrollmentHarness, groupData, world, type EnrollmentHarness, type World } from "./fixtures/enrollment";

// A refusal that rests only on news enrollment has not received yet (the catalogue's group, the
// registry's certificate) is not the request's final answer: it is not recorded under the
// Idempotency-Key, so the family's app retrying with the same key gets its application once the
// news arrived, where it used to get the 404 replayed for ever. A final refusal is still recorded.
describe("Idempotency-Key and refusals that await another service's news", () => {
  let h: EnrollmentHarness;
  let w: World;
  beforeAll(async () => {
    h = await enrollmentHarness("enr-awaiting-news");
    w = await world(h);
    h.clock.set("2026-09-01T09:00:00Z");
  });
  afterAll(async () => {
    await h.close();
  });

  it("applying to a group enrollment has not heard of: 404, then, once the group is announced, the retry with the same key gets 201, and the next one its replay", async () => {
    const c = await child(h, w);
    const groupId = randomUUID();
    const key = randomUUID();
    const early = await apply(h, c.guardian, c.childId, groupId, { "idempotency-key": key });
    expect(early.statusCode, early.body).toBe(404);
    expect(early.json()).toMatchObject({ code: "ENROLLMENT.GROUP_NOT_FOUND", invalidParams: [{ name: "body.groupId" }] });

    await h.deliver(GroupOpened, { municipalityId: w.municipalityId, aggregateId: groupId }, groupData(w, groupId));
    const retried = await apply(h, c.guardian, c.childId, groupId, { "idempotency-key": key });
    expect(retried.statusCode, retried.body).toBe(201);
    expect(retried.headers["idempotent-replayed"]).toBeUndefined();
    const again = await apply(h, c.guardian, c.childId, groupId, { "idempotency-key": key });
    expect(again.statusCode).toBe(201);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.json()).toEqual(retried.json());
    const { rows } = await h.pool.query("SELECT 1 FROM applications WHERE child_id = $1", [c.childId]);
    expect(rows).toHaveLength(1);
  });

  it("applying for a child whose certificate has not reached enrollment: the refusal is not recorded either", async () => {
    const groupId = randomUUID();
    await h.deliver(GroupOpened, { municipalityId: w.municipalityId, aggregateId: groupId }, groupData(w, groupId));
    const key = randomUUID();
    const unknownChild = randomUUID();
    const early = await apply(h, w.operator, unknownChild, groupId, { "idempotency-key": key });
    expect(early.json()).toMatchObject({ code: "ENROLLMENT.CERTIFICATE_MISSING" });
    const { rows } = await h.pool.query("SELECT 1 FROM idempotency_keys WHERE idempotency_key = $1", [key]);
    expect(rows).toHaveLength(0);
  });

  it("a final refusal (the child's age is outside the group's range) is still recorded and replayed", async () => {
    const groupId = randomUUID();
    await h.deliver(GroupOpened, { municipalityId: w.municipalityId, aggregateId: groupId }, groupData(w, groupId, { ageRange: { min: 15, max: 17 } }));
    const c = await child(h, w);
    const key = randomUUID();
    const first = await apply(h, c.guardian, c.childId, groupId, { "idempotency-key": key });
    expect(first.json()).toMatchObject({ code: "ENROLLMENT.AGE_OUTSIDE_RANGE" });
    const again = await apply(h, c.guardian, c.childId, groupId, { "idempotency-key": key });
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.body).toBe(first.body);
  });
});
