// POST /certificates claims its Idempotency-Key and records its response in the issuance
// transaction (the HTTP kit's in-transaction mode, through IssuanceBatcher): the certificate,
// its event and the answer a retry replays commit together.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CertificateIssued } from "@kruzhok/contracts";
import { expectOneRunAmongDuplicates } from "@kruzhok/testkit";
import { createMunicipality, office, outboxEvents, registerChild, registryHarness, snapshot, type RegistryHarness } from "./fixtures/registry";

describe("Idempotency-Key of certificate applications", () => {
  let h: RegistryHarness;
  let komi: { id: string; code: string };
  let clerk: Record<string, string>;
  beforeAll(async () => {
    h = await registryHarness("reg-issuance-idempotency");
    komi = await createMunicipality(h, { timeZone: "Europe/Moscow" });
    clerk = await office(h, komi.id);
  });
  afterAll(async () => {
    await h.close();
  });

  const apply = (childId: string, key: string) =>
    h.app.inject({ method: "POST", url: "/certificates", headers: { ...clerk, "idempotency-key": key }, payload: { childId } });
  const keyRow = async (key: string) =>
    (
      await h.pool.query<{ status: number | null; body: string | null; headers: Record<string, string> | null; xmin: string }>(
        "SELECT status, body, headers, xmin::text FROM idempotency_keys WHERE idempotency_key = $1",
        [key],
      )
    ).rows[0];

  it("records the answer in the transaction that issues the certificate and its event, and replays it to a retry", async () => {
    const { childId } = await registerChild(h, komi.id);
    const key = randomUUID();
    const first = await apply(childId, key);
    expect(first.statusCode).toBe(201);
    const certificate = first.json<{ id: string }>();

    const row = await keyRow(key);
    expect(row).toMatchObject({ status: 201, body: first.body, headers: { location: `/certificates/${certificate.id}` } });
    const written = await h.pool.query<{ certificate: string; event: string }>(
      `SELECT c.xmin::text AS certificate, o.xmin::text AS event FROM certificates c JOIN outbox o ON o.message_key = c.id::text WHERE c.id = $1`,
      [certificate.id],
    );
    // One transaction wrote the key's answer, the certificate and its event.
    expect(written.rows).toEqual([{ certificate: row?.xmin, event: row?.xmin }]);

    const before = await snapshot(h.pool);
    const retry = await apply(childId, key);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers["idempotent-replayed"]).toBe("true");
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.body).toBe(first.body);
    expect(await snapshot(h.pool)).toEqual(before);
  });

  it("writes the outbox row the kit's relay publishes: the event's id, topic, type and the certificate as its key", async () => {
    const { childId } = await registerChild(h, komi.id);
    const certificate = (await apply(childId, randomUUID())).json<{ id: string }>();
    const { rows } = await h.pool.query<{ event_id: string; topic: string; message_key: string; type: string; payload: string }>(
      "SELECT event_id, topic, message_key, type, payload FROM outbox WHERE message_key = $1",
      [certificate.id],
    );
    expect(rows).toHaveLength(1);
    const event = JSON.parse(rows[0]!.payload) as { id: string; type: string; aggregateId: string };
    expect(rows[0]).toMatchObject({ event_id: event.id, topic: CertificateIssued.topic, message_key: event.aggregateId, type: "registry.certificate.issued" });
  });

  it("issues once for duplicates sent together: the others get 409 or the first answer; another child under the key gets 422", async () => {
    const { childId } = await registerChild(h, komi.id);
    const key = randomUUID();
    const issuedBefore = (await outboxEvents(h.pool, "registry.certificate.issued")).length;
    const responses = await Promise.all(Array.from({ length: 6 }, () => apply(childId, key)));
    expectOneRunAmongDuplicates(responses);
    expect((await outboxEvents(h.pool, "registry.certificate.issued")).length).toBe(issuedBefore + 1);

    const other = await registerChild(h, komi.id);
    const reused = await apply(other.childId, key);
    expect(reused.statusCode).toBe(422);
    expect(reused.json()).toMatchObject({ code: "HTTP.IDEMPOTENCY_KEY_REUSED" });
    expect((await h.app.inject({ method: "GET", url: `/children/${other.childId}/certificate`, headers: clerk })).statusCode).toBe(404);
  });

  it("remembers a refusal decided in the transaction, and replays it even after the refusal no longer holds", async () => {
    // Registered at 17, 18 by the day they apply.
    const applyingAt = h.clock().toISOString();
    h.clock.set("2025-12-01T09:00:00Z");
    const { childId } = await registerChild(h, komi.id, { birthDate: "2008-01-01" });
    h.clock.set(applyingAt);
    const key = randomUUID();
    const refused = await apply(childId, key);
    expect(refused.statusCode).toBe(422);
    expect(await keyRow(key)).toMatchObject({ status: 422, body: refused.body });
    const retry = await apply(childId, key);
    expect([retry.statusCode, retry.headers["idempotent-replayed"], retry.body]).toEqual([422, "true", refused.body]);
  });
});
