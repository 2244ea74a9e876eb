import { describe, expect, it } from "vitest";
import { inputTextIssues, MAX_TEXT } from "../src/text";

describe("text no write route takes", () => {
  it("names every invisible character, mixed-alphabet word, huge string and rounded number, at any depth", () => {
    const body = {
      firstName: "Ан\u200Bна",
      lastName: "Аnnа",
      note: "Иван\u202Eова",
      document: { number: "x".repeat(MAX_TEXT + 1) },
      children: [{ budget: 2 ** 53 }, { tag: "ok" }],
      ["ключ\u200B"]: 1,
    };
    expect(inputTextIssues(body, "body").map((issue) => issue.name)).toEqual([
      "body.firstName",
      "body.lastName",
      "body.note",
      "body.document.number",
      "body.children.0.budget",
      "body.ключ\u200B",
    ]);
  });

  it("takes ordinary Russian and Kazakh text, document series that mix alphabets across a hyphen, and big safe numbers", () => {
    const body = {
      name: "АНО «Робототехника для всех» — 3D-принтеры, LEGO® и Wi-Fi",
      kazakh: "Балалар шығармашылығы үйі, Өскемен",
      document: "IV-АБ 123456",
      lines: "первая строка\nвторая\tстрока",
      budget: Number.MAX_SAFE_INTEGER,
      when: "2026-09-01T09:00:00Z",
    };
    expect(inputTextIssues(body, "body")).toEqual([]);
  });
});
