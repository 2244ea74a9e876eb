import { describe, expect, it } from "vitest";
import { parseInt8, withDatabase } from "../src";

describe("int8 columns", () => {
  it("come back as numbers when they fit exactly", () => {
    expect(parseInt8("15000000000000")).toBe(15_000_000_000_000);
    expect(parseInt8("-42")).toBe(-42);
  });
  it("refuse to round a value beyond 2^53", () => {
    expect(() => parseInt8("9007199254740993")).toThrow(/beyond Number.MAX_SAFE_INTEGER/);
  });
});

describe("withDatabase", () => {
  it("replaces only the database of a connection string", () => {
    expect(withDatabase("postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "registry")).toBe(
      "postgres://postgres@127.0.0.1:5432/registry?sslmode=disable",
    );
  });
});
