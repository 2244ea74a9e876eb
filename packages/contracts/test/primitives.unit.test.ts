import { describe, expect, it } from "vitest";
import { cleanText, Money, NameText, ProblemDocument, TimeZone, EventEnvelope } from "../src";

describe("money", () => {
  it("accepts integer minor units with a currency", () => {
    expect(Money.parse({ amount: 150_000_00, currency: "RUB" })).toEqual({ amount: 15_000_000, currency: "RUB" });
  });

  it.each([
    [{ amount: 10.5, currency: "RUB" }, "amount", "must be a whole number of minor units"],
    [{ amount: -1, currency: "KZT" }, "amount", "must not be negative"],
    [{ amount: 100, currency: "USD" }, "currency", ""],
    [{ amount: 100, currency: "RUB", note: "x" }, "", ""],
  ])("refuses %j, naming the field", (input, field, message) => {
    const result = Money.safeParse(input);
    expect(result.success).toBe(false);
    const issue = result.error?.issues[0];
    expect(issue?.path.join(".")).toBe(field);
    expect(issue?.message).toContain(message);
  });
});

describe("time zone", () => {
  it("accepts IANA zones, Kamchatka included", () => {
    expect(TimeZone.parse("Asia/Kamchatka")).toBe("Asia/Kamchatka");
    expect(TimeZone.parse("UTC")).toBe("UTC");
  });
  it.each(["+12:00", "Mars/Olympus", "", "Kamchatka"])("refuses %j", (zone) => {
    expect(TimeZone.safeParse(zone).success).toBe(false);
  });
});

describe("event envelope", () => {
  const valid = {
    id: "0195f0a0-1234-7abc-8def-0123456789ab",
    type: "registry.certificate.issued",
    version: 1,
    occurredAt: "2026-09-01T00:00:00Z",
    municipalityId: "0195f0a0-0000-7000-8000-000000000001",
    aggregateId: "cert-1",
    correlationId: "0195f0a0-1234-7abc-8def-0123456789ab",
    causationId: null,
    data: { anything: true },
  };
  it("accepts a well-formed envelope and tolerates added fields", () => {
    expect(EventEnvelope.parse({ ...valid, addedLater: 1 }).type).toBe("registry.certificate.issued");
  });
  it("refuses a non-v7 id and a malformed type", () => {
    expect(EventEnvelope.safeParse({ ...valid, id: "6f1c1a52-2f4b-4b1c-9d3e-1a2b3c4d5e6f" }).success).toBe(false);
    expect(EventEnvelope.safeParse({ ...valid, type: "Issued" }).success).toBe(false);
  });
});

describe("problem document", () => {
  it("requires the stable code beside RFC 9457's members", () => {
    expect(ProblemDocument.safeParse({ type: "about:blank", title: "Bad", status: 400 }).success).toBe(false);
    expect(
      ProblemDocument.parse({ type: "about:blank", title: "Bad", status: 400, code: "HTTP.VALIDATION" }).code,
    ).toBe("HTTP.VALIDATION");
  });
});

describe("names", () => {
  const name = NameText(1, 20);
  it("stores a name as it shows: composed letters, one space between words", () => {
    expect(name.parse("  Е\u0308лкина\u00A0\u00A0 Анна ")).toBe("Ёлкина Анна");
    expect(cleanText("И\u0306")).toBe("Й");
  });
  it("refuses a name without letters, and counts length after cleaning", () => {
    expect(name.safeParse("12 345").success).toBe(false);
    expect(name.safeParse("— · —").success).toBe(false);
    expect(name.safeParse("Ё").success).toBe(true);
    expect(NameText(2, 5).safeParse("  А  Б  ").success).toBe(true);
    expect(NameText(2, 5).safeParse("   А   ").success).toBe(false);
  });
});
