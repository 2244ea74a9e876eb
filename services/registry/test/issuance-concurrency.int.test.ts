// Certificate applications arriving together share one transaction (IssuanceBatcher): each must
// still get the outcome it would get alone, and one failing must not fail the others.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "@kruzhok/actor";
import type { Pool } from "@kruzhok/postgres";
import { IssuanceBatcher } from "../src/usecases/issuance-batcher";
import {
  createMunicipality,
  issuedCertificate,
  office,
  outboxEvents,
  registerChild,
  registryHarness,
  snapshot,
  type RegistryHarness,
} from "./fixtures/registry";

/** Another series than the fixtures' counter uses, so hand-picked numbers never collide with it. */
const twinDocument = (digits: number) => ({ kind: "birth_certificate", number: `X-ЖЗ ${String(digits).padStart(6, "0")}` });

/** `count` children of `municipalityId`, registered a few at a time. */
async function registerChildren(h: RegistryHarness, municipalityId: string, count: number, overrides: (i: number) => Record<string, unknown> = () => ({})) {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 20) {
    const chunk = Array.from({ length: Math.min(20, count - i) }, (_, j) => registerChild(h, municipalityId, overrides(i + j)));
    ids.push(...(await Promise.all(chunk)).map((c) => c.childId));
  }
  return ids;
}

describe("certificate applications arriving together", () => {
  let h: RegistryHarness;
  let komi: { id: string; code: string };
  let kamchatka: { id: string; code: string };
  beforeAll(async () => {
    h = await registryHarness("reg-issuance-concurrency");
    komi = await createMunicipality(h, { timeZone: "Europe/Moscow" });
    kamchatka = await createMunicipality(h, { timeZone: "Asia/Kamchatka" });
  });
  afterAll(async () => {
    await h.close();
  });

  it("gives each of 200 simultaneous applications, with duplicates and near-duplicates among them, its own outcome", async () => {
    // Even, so that `base + 2k` and `base + 2k + 1` differ in the last digit only.
    const base = 2 * (50_000 + Math.floor(Math.random() * 400_000));
    // Distinct children; the first 20 apply twice at once (one certificate, one refusal each).
    const distinct = await registerChildren(h, komi.id, 150);
    const duplicated = distinct.slice(0, 20);
    // 10 pairs of namesakes whose documents are one character apart, neither certified yet:
    // whichever goes first is issued, the other is held for an operator.
    const twins = await registerChildren(h, komi.id, 20, (i) => ({
      firstName: "Иван",
      lastName: `Близнец${base}x${Math.floor(i / 2)}`,
      birthDate: "2015-05-05",
      document: twinDocument(base + i),
    }));
    // 5 namesakes, one character apart, of children certified beforehand: held.
    const lateTwins: string[] = [];
    for (let i = 0; i < 5; i++) {
      const twin = { firstName: "Лев", lastName: `Поздний${base}x${i}`, birthDate: "2013-07-07" };
      await issuedCertificate(h, komi.id, { ...twin, document: twinDocument(base + 100 + 2 * i) });
      lateTwins.push((await registerChild(h, komi.id, { ...twin, document: twinDocument(base + 101 + 2 * i) })).childId);
    }
    // Registered at 17, 18 by the day they apply.
    const applyingAt = h.clock().toISOString();
    h.clock.set("2025-12-01T09:00:00Z");
    const tooOld = await registerChildren(h, komi.id, 2, () => ({ birthDate: "2008-01-01" }));
    h.clock.set(applyingAt);
    const foreign = await registerChildren(h, kamchatka.id, 2);
    const missing: string[] = [crypto.randomUUID()];

    const applications = [...distinct, ...twins, ...lateTwins, ...tooOld, ...foreign, ...missing, ...duplicated];
    expect(applications).toHaveLength(200);
    const headers = await office(h, komi.id);
    const issuedBefore = (await outboxEvents(h.pool, "registry.certificate.issued")).length;
    const responses = await Promise.all(
      applications.map(async (childId) => {
        const res = await h.app.inject({ method: "POST", url: "/certificates", headers, payload: { childId } });
        return { childId, status: res.statusCode, body: res.json<Record<string, unknown>>() };
      }),
    );
    const statusesOf = (ids: readonly string[]) => responses.filter((r) => ids.includes(r.childId)).map((r) => r.status).sort();

    // Each distinct child once issued; the 20 applying twice also got one refusal each.
    const notDuplicated = distinct.slice(20);
    expect(statusesOf(notDuplicated)).toEqual(notDuplicated.map(() => 201));
    for (const childId of duplicated) {
      expect(statusesOf([childId])).toEqual([201, 409]);
      expect(responses.find((r) => r.childId === childId && r.status === 409)?.body).toMatchObject({ code: "REGISTRY.CERTIFICATE_EXISTS" });
    }
    for (let pair = 0; pair < 10; pair++) {
      const [a = "", b = ""] = twins.slice(2 * pair, 2 * pair + 2);
      expect(statusesOf([a, b])).toEqual([201, 202]);
      const held = responses.find((r) => (r.childId === a || r.childId === b) && r.status === 202);
      const issued = responses.find((r) => (r.childId === a || r.childId === b) && r.status === 201);
      const { rows } = await h.pool.query<{ similar: string }>(
        "SELECT similar_child_id AS similar FROM certificate_applications WHERE id = $1 AND status = 'held'",
        [held?.body.applicationId],
      );
      expect(rows[0]?.similar).toBe(issued?.childId);
    }
    expect(statusesOf(lateTwins)).toEqual(lateTwins.map(() => 202));
    expect(responses.filter((r) => tooOld.includes(r.childId)).map((r) => r.body.code)).toEqual(["REGISTRY.AGE_OUT_OF_RANGE", "REGISTRY.AGE_OUT_OF_RANGE"]);
    expect(responses.filter((r) => foreign.includes(r.childId)).map((r) => r.body.code)).toEqual(["AUTH.OTHER_MUNICIPALITY", "AUTH.OTHER_MUNICIPALITY"]);
    expect(responses.filter((r) => missing.includes(r.childId)).map((r) => r.body.code)).toEqual(["REGISTRY.CHILD_NOT_FOUND"]);

    // What was written matches what was answered: one certificate and one event per 201, numbers unique.
    const issued = responses.filter((r) => r.status === 201);
    expect(issued).toHaveLength(130 + 20 + 10);
    const { rows: certificates } = await h.pool.query<{ childId: string; number: string }>(
      `SELECT child_id AS "childId", number FROM certificates WHERE child_id = ANY($1::uuid[])`,
      [applications.filter((id) => !missing.includes(id))],
    );
    expect(certificates.map((c) => c.childId).sort()).toEqual(issued.map((r) => r.childId).sort());
    expect(new Set(certificates.map((c) => c.number)).size).toBe(certificates.length);
    const events = (await outboxEvents<{ childId: string }>(h.pool, "registry.certificate.issued")).slice(issuedBefore);
    expect(events.map((e) => e.data.childId).sort()).toEqual(issued.map((r) => r.childId).sort());

    // Applying again: every child already issued is refused, every held one gets its application back.
    const again = await Promise.all(
      [...notDuplicated.slice(0, 10), ...lateTwins].map(async (childId) => (await h.app.inject({ method: "POST", url: "/certificates", headers, payload: { childId } })).statusCode),
    );
    expect(again).toEqual([...Array<number>(10).fill(409), ...Array<number>(5).fill(202)]);
  });

  it("shares transactions among applications arriving together, and one failing application fails no other", async () => {
    const children = await registerChildren(h, komi.id, 30);
    const poisoned = children[7] ?? "";
    // A trigger that refuses one child's certificate: the kind of failure no read foresees.
    await h.pool.query(`
      CREATE FUNCTION refuse_poisoned() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.child_id = '${poisoned}' THEN RAISE EXCEPTION 'poisoned child'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_poisoned BEFORE INSERT ON certificates FOR EACH ROW EXECUTE FUNCTION refuse_poisoned();`);
    try {
      let transactions = 0;
      // withTransaction takes one client per transaction: counting checkouts counts transactions.
      const counting = { connect: () => (transactions++, h.pool.connect()) } as unknown as Pool;
      const batcher = new IssuanceBatcher({ pool: counting, clock: h.clock }, { maxConcurrentBatches: 1 });
      const clerk: Actor = { subject: "clerk", role: "operator", municipalityId: komi.id, basis: { kind: "in_person_visit", reference: null } };
      const before = await snapshot(h.pool);
      const results = await Promise.allSettled(
        children.map((childId) => batcher.apply({ actor: clerk, command: { childId }, cause: {} })),
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(29);
      expect(results[7]).toMatchObject({ status: "rejected", reason: { message: expect.stringContaining("poisoned child") as string } });
      // One batch failed as a whole, then its applications went again one by one.
      expect(transactions).toBeGreaterThan(1);
      expect(transactions).toBeLessThanOrEqual(1 + 30);
      const after = await snapshot(h.pool);
      expect((after.certificates ?? 0) - (before.certificates ?? 0)).toBe(29);
      expect((after.outbox ?? 0) - (before.outbox ?? 0)).toBe(29);

      // Without a failure, simultaneous applications take a single transaction.
      const more = await registerChildren(h, komi.id, 10);
      transactions = 0;
      const outcomes = await Promise.all(more.map((childId) => batcher.apply({ actor: clerk, command: { childId }, cause: {} })));
      expect(outcomes.map((o) => o.kind)).toEqual(more.map(() => "issued"));
      expect(transactions).toBe(1);
    } finally {
      await h.pool.query("DROP TRIGGER refuse_poisoned ON certificates; DROP FUNCTION refuse_poisoned()");
    }
  });
});
