import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMunicipality, registryHarness, type RegistryHarness } from "./fixtures/registry";

// Postgres puts the values of a failing row in its errors' `detail` (and quotes a bad value in
// the message); the registry's log lines must not carry them on, whichever way an error is logged.
describe("log redaction of Postgres's errors", () => {
  let h: RegistryHarness;
  let municipalityId: string;
  beforeAll(async () => {
    h = await registryHarness("reg-log-redaction");
    ({ id: municipalityId } = await createMunicipality(h));
  });
  afterAll(async () => {
    await h.close();
  });

  const insertGuardian = (documentHash: string) =>
    h.pool.query(
      `INSERT INTO guardians (id, municipality_id, first_name, last_name, patronymic, phone, email, document_kind, document_number, document_hash)
       VALUES ($1, $2, 'Марина', 'Кузнецова', 'Олеговна', '+7 914 555-12-34', 'marina.k@example.ru', 'passport', '3004 987654', $3)`,
      [randomUUID(), municipalityId, documentHash],
    );

  it("keeps a failing row's values out of the log: detail, message and cause", async () => {
    const hash = `kuznetsova-3004-987654-${randomUUID()}`;
    await insertGuardian(hash);
    const duplicate = await insertGuardian(hash).catch((error: unknown) => error);
    expect(duplicate).toMatchObject({ code: "23505" });
    expect((duplicate as { detail: string }).detail).toContain(hash);
    const badUuid = await h.pool.query("SELECT 1 FROM guardians WHERE id = $1", ["Кузнецова Марина"]).catch((error: unknown) => error);
    expect((badUuid as Error).message).toContain("Кузнецова Марина");
    const notNull = await h.pool
      .query(`INSERT INTO guardians (id, municipality_id, first_name, last_name, email, document_kind, document_number, document_hash) VALUES ($1, $2, 'Марина', 'Кузнецова', 'marina.k@example.ru', 'passport', '3004 987654', NULL)`, [randomUUID(), municipalityId])
      .catch((error: unknown) => error);
    expect((notNull as { detail: string }).detail).toContain("marina.k@example.ru");

    const before = h.logs.length;
    h.logger.error({ err: duplicate }, "request failed");
    h.logger.warn({ err: new Error("registering the guardian failed", { cause: notNull }) }, "request failed");
    h.logger.error(badUuid);
    const written = h.logs.slice(before).join("");
    for (const value of [hash, "Кузнецова", "Марина", "Олеговна", "+7 914 555-12-34", "marina.k@example.ru", "3004 987654"]) {
      expect(written).not.toContain(value);
    }
    const line = JSON.parse(h.logs[before]!) as { err: Record<string, unknown> };
    expect(line.err).toMatchObject({ code: "23505", table: "guardians", constraint: "guardians_document_hash_key", detail: "Key (document_hash)=([redacted]) already exists." });
  });
});
