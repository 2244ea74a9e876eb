import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CertificateConversionRequested, type EventEnvelope } from "@kruzhok/contracts";
import { createKafka, newEvent, sendToTopic, type Kafka } from "@kruzhok/messaging";
import { waitFor, type RunningConsumer } from "@kruzhok/testkit";
import { createMunicipality, issuedCertificate, outboxEvents, registryHarness, type RegistryHarness } from "./fixtures/registry";

interface Answer {
  certificateId: string;
  requestId: string | null;
  year: number;
  reason?: string;
}

describe("enrollment asks to finance a certificate (message flow)", () => {
  let h: RegistryHarness;
  let consumer: RunningConsumer;
  let kafka: Kafka;
  let topic: string;
  let municipalityId: string;

  beforeAll(async () => {
    h = await registryHarness("reg-conversion");
    topic = h.iso.topic("enrollment");
    municipalityId = (await createMunicipality(h, { timeZone: "Asia/Kamchatka", settings: { financedCap: 1 } })).id;
    consumer = await h.consume([{ topic, partitions: 1 }]);
    kafka = createKafka({ brokers: h.iso.kafkaBrokers, clientId: `registry-${h.iso.id}` });
  });
  afterAll(async () => {
    await h.close();
  });

  const request = (certificateId: string, requestId = crypto.randomUUID()) =>
    newEvent(CertificateConversionRequested, { municipalityId, aggregateId: certificateId }, { certificateId, requestId, year: 2026 }, h.clock());

  // The contract names the real topic; this file's consumer reads its own prefixed one.
  const publish = (event: EventEnvelope) => sendToTopic(kafka, topic, [{ key: event.aggregateId, value: JSON.stringify(event) }]);

  const answer = (type: string, requestId: string) =>
    waitFor(async () => (await outboxEvents<Answer>(h.pool, type)).find((e) => e.data.requestId === requestId), { what: `${type} for ${requestId}` });

  it("answers financed, then conversion-refused once the cap is reached, and converts a redelivered request once", async () => {
    const first = await issuedCertificate(h, municipalityId);
    const asked = request(first.certificateId);
    await publish(asked);
    const financed = await answer("registry.certificate.financed", asked.data.requestId);
    expect(financed.data).toMatchObject({ certificateId: first.certificateId, year: 2026, requestId: asked.data.requestId });
    const certificate = await h.pool.query<{ funding: string }>("SELECT funding FROM certificates WHERE id = $1", [first.certificateId]);
    expect(certificate.rows[0]?.funding).toBe("financed");

    // The same event again (a redelivery), then a request for a second certificate over the cap of 1.
    await publish(asked);
    const second = await issuedCertificate(h, municipalityId);
    const overCap = request(second.certificateId);
    await publish(overCap);
    const refused = await answer("registry.certificate.conversion-refused", overCap.data.requestId);
    expect(refused.data).toMatchObject({ certificateId: second.certificateId, reason: "cap_reached", year: 2026 });

    // One partition, in order: the redelivery was handled before the refusal, and skipped.
    const answersToFirst = (await outboxEvents<Answer>(h.pool, "registry.certificate.financed")).filter((e) => e.data.requestId === asked.data.requestId);
    expect(answersToFirst).toHaveLength(1);
    const { rows } = await h.pool.query<{ n: number }>("SELECT financed_count AS n FROM municipality_years WHERE municipality_id = $1 AND year = 2026", [municipalityId]);
    expect(rows[0]?.n).toBe(1);
  });

  it("answers a request for an already financed certificate with a refusal, not an error", async () => {
    const other = await createMunicipality(h, { settings: { financedCap: 5 } });
    const { certificateId } = await issuedCertificate(h, other.id);
    const first = newEvent(CertificateConversionRequested, { municipalityId: other.id, aggregateId: certificateId }, { certificateId, requestId: crypto.randomUUID(), year: 2026 }, h.clock());
    const second = newEvent(CertificateConversionRequested, { municipalityId: other.id, aggregateId: certificateId }, { certificateId, requestId: crypto.randomUUID(), year: 2026 }, h.clock());
    await publish(first);
    await publish(second);
    await answer("registry.certificate.financed", first.data.requestId);
    expect((await answer("registry.certificate.conversion-refused", second.data.requestId)).data.reason).toBe("already_financed");
  });

  it("sends a request for an unknown certificate to the dead-letter topic and moves on", async () => {
    const poison = request(crypto.randomUUID());
    await publish(poison);
    expect(await consumer.handled(poison.id)).toBe("dead_lettered");
    expect((await outboxEvents<Answer>(h.pool, "registry.certificate.conversion-refused")).some((e) => e.data.requestId === poison.data.requestId)).toBe(false);

    // The partition is not stuck behind it.
    const { certificateId } = await issuedCertificate(h, (await createMunicipality(h, { settings: { financedCap: 5 } })).id);
    const next = request(certificateId);
    await publish(next);
    await answer("registry.certificate.financed", next.data.requestId);
  });
});
