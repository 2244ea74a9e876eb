import { describe, expect, it } from "vitest";
import { addressMatcher } from "../src";

describe("address lists", () => {
  it("match addresses, ranges and loopback, IPv4 seen through IPv6 too", () => {
    const allowed = addressMatcher(["loopback", "10.0.0.0/8", "192.0.2.7", "fd00::/8"]);
    expect(["127.0.0.1", "::1", "10.255.0.1", "192.0.2.7", "::ffff:10.0.0.1", "fd12::1"].filter((address) => !allowed(address))).toEqual([]);
    expect(["192.0.2.8", "11.0.0.1", "::2", "fe80::1", "not an address", ""].filter(allowed)).toEqual([]);
  });
});
