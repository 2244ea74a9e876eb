import { describe, expect, it } from "vitest";
import { children, groupName, negotiateLanguage } from "../src/index";

describe("the family's language", () => {
  it("negotiates Accept-Language by q-value and primary tag, falling back when none is supported", () => {
    const supported = ["ru", "kk"] as const;
    expect(negotiateLanguage(undefined, supported, "ru")).toBe("ru");
    expect(negotiateLanguage("kk-KZ,kk;q=0.9,ru;q=0.8", supported, "ru")).toBe("kk");
    expect(negotiateLanguage("ru;q=0.5, kk;q=0.7", supported, "ru")).toBe("kk");
    expect(negotiateLanguage("en-US,en;q=0.9", supported, "ru")).toBe("ru");
    expect(negotiateLanguage("kk;q=0, ru", supported, "kk")).toBe("ru");
    expect(negotiateLanguage("de, *;q=0.1", supported, "kk")).toBe("kk");
    // A header sent twice arrives as a list: read as one.
    expect(negotiateLanguage(["ru;q=0.5", "kk"], supported, "ru")).toBe("kk");
  });

  it("counts children with Russian's three forms", () => {
    expect([1, 2, 5, 11, 21, 22, 112].map((n) => children(n, "ru"))).toEqual(["1 ребёнок", "2 ребёнка", "5 детей", "11 детей", "21 ребёнок", "22 ребёнка", "112 детей"]);
    expect(children(3, "kk")).toBe("3 бала");
  });

  it("names a group by its program and lesson times", () => {
    const slots = [{ weekday: 2, start: "15:00", end: "16:30" }, { weekday: 4, start: "15:00", end: "16:30" }];
    expect(groupName("Робототехника", slots, "ru")).toBe("«Робототехника», вт 15:00–16:30, чт 15:00–16:30");
    expect(groupName(null, slots.slice(0, 1), "kk")).toBe("топ, сс 15:00–16:30");
  });
});
