import { describe, expect, it } from "vitest";
import { decodeHeaders, encodeHeaders } from "../src/parked";

describe("a parked message's headers", () => {
  it("come back byte for byte, NULs and repeated headers included (jsonb could not hold them as text)", () => {
    const headers = { trace: "00-abc-01", binary: Buffer.from([0, 255, 10]), repeated: ["one", Buffer.from("two")], gone: undefined };
    const stored = JSON.parse(JSON.stringify(encodeHeaders(headers))) as Record<string, string | string[]>;
    expect(decodeHeaders(stored)).toEqual({
      trace: Buffer.from("00-abc-01"),
      binary: Buffer.from([0, 255, 10]),
      repeated: [Buffer.from("one"), Buffer.from("two")],
    });
  });
});
