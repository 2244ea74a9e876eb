import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src";

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger({ service: "test", level: "info" }, stream) };
}

describe("log redaction", () => {
  it("never writes personal fields, at the top level or nested in bodies and events", () => {
    const { lines, logger } = capture();
    const child = {
      firstName: "Алиса",
      lastName: "Иванова",
      patronymic: "Петровна",
      birthDate: "2016-03-14",
      snils: "112-233-445 95",
      iin: "160314600123",
      documentNumber: "IV-АБ 123456",
    };
    const guardian = { phone: "+7 900 123-45-67", email: "mother@example.ru", passport: "4510 123456" };
    logger.info({ child, guardian, ...child }, "child registered");
    logger.info({ req: { headers: { authorization: "Bearer secret.jwt.token" } }, body: { event: { data: child } } }, "nested");

    const output = lines.join("");
    for (const secret of [
      "Алиса", "Иванова", "Петровна", "2016-03-14", "112-233-445 95", "160314600123", "IV-АБ 123456",
      "+7 900 123-45-67", "mother@example.ru", "4510 123456", "secret.jwt.token",
    ]) {
      expect(output).not.toContain(secret);
    }
    expect(output).toContain("[redacted]");
    expect(JSON.parse(lines[0]!)).toMatchObject({ service: "test", level: "info", msg: "child registered" });
  });

  it("keeps what is not personal readable", () => {
    const { lines, logger } = capture();
    logger.info({ municipalityId: "m-1", topic: "kruzhok.registry.v1", program: { title: "Робототехника" } }, "ok");
    expect(lines[0]).toContain("Робототехника");
    expect(lines[0]).toContain("kruzhok.registry.v1");
  });
});

describe("log redaction of errors", () => {
  class DatabaseError extends Error {
    constructor(
      message: string,
      readonly code: string,
      readonly detail: string,
      readonly table: string,
    ) {
      super(message);
    }
  }

  it("scrubs what errors carry: their message, stack, own fields, Postgres's detail, and their causes", () => {
    const { lines, logger } = capture();
    const unique = new DatabaseError(
      'duplicate key value violates unique constraint "guardians_snils_key"',
      "23505",
      "Key (snils)=(112-233-445 95) already exists.",
      "guardians",
    );
    const check = new DatabaseError(
      'new row for relation "children" violates check constraint "children_birth_date_check"',
      "23514",
      "Failing row contains (0191a2b3-0000-7000-8000-000000000001, Алиса, Иванова, 2016-03-14, mother@example.ru).",
      "children",
    );
    const syntax = new Error('invalid input syntax for type uuid: "Иванова Алиса"');
    const wrapped = new Error("registering the child failed", { cause: check });
    Object.assign(wrapped, { body: { firstName: "Алиса" }, request: { snils: "112-233-445 95" } });
    logger.error({ err: unique }, "request failed");
    logger.error({ err: wrapped }, "request failed");
    logger.warn({ err: syntax, nested: { err: new Error("no guardian with e-mail mother@example.ru or phone +7 900 123-45-67") } }, "lookup failed");
    logger.error(new Error("document 4510 123456 of IIN 160314600123 not found"));

    const output = lines.join("");
    for (const secret of ["112-233-445 95", "Алиса", "Иванова", "2016-03-14", "mother@example.ru", "+7 900 123-45-67", "4510 123456", "160314600123"]) {
      expect(output).not.toContain(secret);
    }
    const first = JSON.parse(lines[0]!) as { err: Record<string, unknown> };
    // What is needed to find the bug stays: the SQLSTATE, the table, the constraint, the column.
    expect(first.err).toMatchObject({ type: "DatabaseError", code: "23505", table: "guardians", detail: "Key (snils)=([redacted]) already exists." });
    expect(first.err.message).toContain("guardians_snils_key");
    // pino writes a cause's message after the error's own.
    expect(JSON.parse(lines[1]!)).toMatchObject({ err: { message: expect.stringContaining("registering the child failed: new row for relation") as unknown, body: "[redacted]" } });
    expect(JSON.parse(lines[3]!)).toMatchObject({ level: "error", msg: "document [redacted] of IIN [redacted] not found" });
  });

  it("keeps ids, instants and codes in error messages readable", () => {
    const { lines, logger } = capture();
    logger.error({ err: new Error("no group 0191a2b3-0000-7000-8000-123456789012 at 2026-12-03T06:00:00.000Z (ENROLLMENT.GROUP_NOT_FOUND)") }, "x");
    expect(lines[0]).toContain("0191a2b3-0000-7000-8000-123456789012 at 2026-12-03T06:00:00.000Z (ENROLLMENT.GROUP_NOT_FOUND)");
  });
});
