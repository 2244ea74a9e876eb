import { describe, expect, it } from "vitest";
import { decideReconciliation } from "../src/domain/register";

const register = (over: Partial<Parameters<typeof decideReconciliation>[0]> = {}) => ({ status: "approved" as const, number: 1, advance: 100_000, certificateTotal: 120_000, familyTotal: 30_000, ...over });

describe("an advance reconciled against its month's bill", () => {
  it("given an advance below the bill, the register pays the rest", () => {
    expect(decideReconciliation(register(), undefined)).toEqual({ advance: 100_000, billed: 150_000, rest: 50_000, excess: 0 });
  });

  it("given an advance beyond the bill (or a bill of nothing), the excess is the provider's to return", () => {
    expect(decideReconciliation(register({ certificateTotal: 30_000, familyTotal: 7_500 }), undefined)).toEqual({ advance: 100_000, billed: 37_500, rest: 0, excess: 62_500 });
    expect(decideReconciliation(register({ status: "paid", certificateTotal: 0, familyTotal: 0 }), undefined)).toEqual({ advance: 100_000, billed: 0, rest: 0, excess: 100_000 });
  });

  it("given a formed register, a register without an advance, or a supplementary one, refuses", () => {
    expect(() => decideReconciliation(register({ status: "formed" }), undefined)).toThrow(expect.objectContaining({ code: "PAYMENTS.REGISTER_TRANSITION" }));
    expect(() => decideReconciliation(register({ advance: 0 }), undefined)).toThrow(expect.objectContaining({ code: "PAYMENTS.ADVANCE_NONE" }));
    expect(() => decideReconciliation(register({ number: 2 }), undefined)).toThrow(expect.objectContaining({ code: "PAYMENTS.ADVANCE_NONE" }));
  });

  it("given one reconciled before, changes nothing", () => {
    expect(decideReconciliation(register(), { advance: 100_000, billed: 150_000, rest: 50_000, excess: 0 })).toBe("already_reconciled");
  });
});
