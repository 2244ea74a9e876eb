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
