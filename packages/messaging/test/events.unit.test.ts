import { describe, expect, it } from "vitest";
import { MunicipalityCreated } from "@kruzhok/contracts";
import { causeOf, newEvent } from "../src";

describe("what an event causes", () => {
  const at = new Date("2026-03-01T09:00:00Z");
  const created = (cause: { correlationId?: string; causationId?: string | null } = {}) =>
    newEvent(
      MunicipalityCreated,
      { ...cause, municipalityId: "0190a0e0-0000-7000-8000-000000000001", aggregateId: "0190a0e0-0000-7000-8000-000000000001" },
      { municipalityId: "0190a0e0-0000-7000-8000-000000000001", code: "4101", name: "Елизово", regionCode: "41", timeZone: "Asia/Kamchatka", currency: "RUB" },
      at,
    );

  it("carries the event's correlation on and names the event as the cause", () => {
    const first = created({ correlationId: "0190a0e0-0000-7000-8000-0000000000c0" });
    expect(causeOf(first)).toEqual({ correlationId: "0190a0e0-0000-7000-8000-0000000000c0", causationId: first.id });
  });

  it("chains: an event emitted with the cause of another shares its correlation and points at it", () => {
    const first = created();
    const next = created(causeOf(first));
    expect(next.correlationId).toBe(first.correlationId);
    expect(next.causationId).toBe(first.id);
  });
});
