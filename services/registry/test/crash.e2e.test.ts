import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DEV_AUTH_SECRET, signDevToken } from "@kruzhok/http";
import { loadThenKill, retryAll, serviceUnderTest, type ServiceUnderTest } from "@kruzhok/testkit";

// The quality bar: kill the process at any point, and after a restart no certificate is lost or
// doubled. An office clerk issues certificates for a few hundred children through HTTP, each
// request with its Idempotency-Key; the registry is killed with SIGKILL in the middle; after the
// restart the clerk's software sends every request again with the same key, as a client does
// when it got no answer (or wants to be sure). Every child must then hold exactly one
// certificate, every answer must name it (the first answer and the retry's alike), no retry
// may be refused for a certificate its own first attempt issued, and every issued event must
// reach Kafka exactly once per certificate.
const CHILDREN = 400;
const IN_FLIGHT = 24;
const KILL_AFTER_ANSWERS = 120;

describe("the registry killed while issuing certificates", () => {
  const infra = inject("infra");
  let service: ServiceUnderTest;
  beforeAll(async () => {
    service = await serviceUnderTest(infra, {
      name: "registry_crash",
      main: fileURLToPath(new URL("../src/main.ts", import.meta.url)),
      maxSockets: IN_FLIGHT,
      env: { RATE_LIMIT_PER_MINUTE: "1000000" },
    });
  });
  afterAll(async () => service.cleanup());

  it("loses and doubles no certificate, and answers every retry with the certificate its first attempt issued", async () => {
    const first = await service.start();
    const region = `Bearer ${await signDevToken({ subject: "crash-region", role: "region", regionCode: "71" }, { secret: DEV_AUTH_SECRET })}`;
    const municipality = await service.send("POST", "/municipalities", region, { code: "7101", name: "Крах", regionCode: "71", timeZone: "Asia/Almaty", currency: "KZT" });
    expect(municipality.status, municipality.body).toBe(201);
    const municipalityId = (JSON.parse(municipality.body) as { id: string }).id;
    const year = await service.send("PUT", `/municipalities/${municipalityId}/years/${new Date().getUTCFullYear()}`, region, {
      nominal: 15_000_000,
      budget: 1_000_000_000_000,
      financedCap: 10_000,
      childrenPopulation: 10_000,
      categories: [{ code: "large_family", coefficient: 1.2 }],
      maxOpenApplications: 5,
      deadlines: { offerAcceptanceDays: 5, providerReviewWorkingDays: 3, monthCloseDay: 5 },
    });
    expect(year.status, year.body).toBeLessThan(300);

    // The children (and their guardians) are on file already; their registration is not what is tested.
    const { rows } = await service.pool.query<{ id: string }>(
      `WITH g AS (
         INSERT INTO guardians (id, municipality_id, first_name, last_name, document_kind, document_number, document_hash)
         SELECT gen_random_uuid(), $1, 'Мать', 'Крах' || i, 'passport', i::text, md5('g' || i)
           FROM generate_series(1, $2) AS i
         RETURNING id, document_number
       ), c AS (
         INSERT INTO children (id, municipality_id, first_name, last_name, birth_date, document_kind, document_number,
                               normalised_document, document_hash)
         SELECT gen_random_uuid(), $1, 'Ребёнок', 'Крах' || i, date '2010-01-01' + i % 4000, 'iin', i::text, 'iin:' || i,
                md5('c' || i)
           FROM generate_series(1, $2) AS i
         RETURNING id, document_number
       ), link AS (
         INSERT INTO child_guardians (child_id, guardian_id) SELECT c.id, g.id FROM c JOIN g USING (document_number)
       )
       SELECT id FROM c`,
      [municipalityId, CHILDREN],
    );
    const children = rows.map((row) => row.id);
    // The municipality's own staff issue in their authority (no Acting-Basis, which an operator
    // acting for a family would state and this process's send cannot carry).
    const clerk = `Bearer ${await signDevToken({ subject: "crash-clerk", role: "municipality", municipalityId }, { secret: DEV_AUTH_SECRET })}`;
    const issue = (i: number) =>
      service.send("POST", "/certificates", clerk, { childId: children[i] }, createHash("sha1").update(`crash:${children[i]}`).digest("hex"));

    // Before the kill: IN_FLIGHT requests at a time; SIGKILL once KILL_AFTER_ANSWERS came back.
    const { answers: before, sent } = await loadThenKill(CHILDREN, IN_FLIGHT, KILL_AFTER_ANSWERS, first, issue);
    service.reconnect();
    expect(before.size).toBeGreaterThanOrEqual(KILL_AFTER_ANSWERS);
    expect(sent).toBeLessThan(CHILDREN);
    for (const answer of before.values()) expect(answer.status, answer.body).toBe(201);

    // After the restart: every request again, with its own key.
    await service.start();
    const after = await retryAll(CHILDREN, IN_FLIGHT, issue);

    // Exactly one certificate per child, and every answer names it.
    const certificates = await service.pool.query<{ child_id: string; id: string; number: string }>("SELECT child_id, id, number FROM certificates");
    expect(certificates.rows).toHaveLength(CHILDREN);
    const ofChild = new Map(certificates.rows.map((row) => [row.child_id, row]));
    expect(ofChild.size).toBe(CHILDREN);
    const refused = [...after].filter(([, answer]) => answer.status !== 201).map(([i, answer]) => `${children[i]}: ${answer.status} ${answer.body}`);
    expect(refused).toEqual([]);
    const numberOf = (body: string) => (JSON.parse(body) as { number: string }).number;
    for (let i = 0; i < CHILDREN; i++) {
      const held = ofChild.get(children[i]!);
      expect(numberOf(after.get(i)!.body)).toBe(held?.number);
      const earlier = before.get(i);
      if (earlier) {
        expect(after.get(i)!.replayed).toBe(true);
        expect(numberOf(earlier.body)).toBe(held?.number);
      }
      // Requests never sent before the kill were issued fresh, not replayed.
      if (i >= sent) expect(after.get(i)!.replayed).toBe(false);
    }

    // One issued event per certificate in the outbox, all published, and Kafka holds each.
    const events = await service.pool.query<{ certificate_id: string; n: number }>(
      `SELECT payload::jsonb->'data'->>'certificateId' AS certificate_id, count(*)::int AS n FROM outbox
        WHERE type = 'registry.certificate.issued' GROUP BY 1`,
    );
    expect(events.rows).toHaveLength(CHILDREN);
    expect(events.rows.every((row) => row.n === 1)).toBe(true);
    await service.outboxDrained();
    const seen = await service.eventValues("kruzhok.registry.v1", "registry.certificate.issued", "certificateId");
    expect([...seen].sort()).toEqual(certificates.rows.map((row) => row.id).sort());
  });
});
