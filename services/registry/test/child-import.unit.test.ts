import { describe, expect, it } from "vitest";
import { headerProblem, IMPORT_COLUMNS, readRow, textProblem } from "../src/domain/child-import";
import { parseCsv } from "../src/domain/csv";

describe("a CSV file as offices save it", () => {
  it("reads a byte-order mark, CRLF, quoted commas, doubled quotes and line breaks, numbering records by the line they start on", () => {
    const text = '\uFEFFa,b,c\r\n1,"x, y","say ""hi"""\r\n2,"two\r\nlines",z\r\n\r\n3,,\r\n,,\r\n';
    expect(parseCsv(text)).toEqual({
      ok: true,
      records: [
        { line: 1, cells: ["a", "b", "c"] },
        { line: 2, cells: ["1", "x, y", 'say "hi"'] },
        { line: 3, cells: ["2", "two\r\nlines", "z"] },
        { line: 6, cells: ["3", "", ""] },
      ],
    });
  });

  it("takes the semicolon a Russian spreadsheet writes, LF and CR line ends, and a last line without its end", () => {
    expect(parseCsv("a;b\n1;2,5\r3;4")).toEqual({
      ok: true,
      records: [
        { line: 1, cells: ["a", "b"] },
        { line: 2, cells: ["1", "2,5"] },
        { line: 3, cells: ["3", "4"] },
      ],
    });
  });

  it("names the line of a quote never closed", () => {
    expect(parseCsv('a,b\n1,2\n3,"open\n4,5\n')).toEqual({ ok: false, line: 3, problem: "unclosed_quote" });
  });
});

describe("an import file's header and rows", () => {
  it("wants every required column once and no unknown one", () => {
    expect(headerProblem([...IMPORT_COLUMNS])).toBeUndefined();
    expect(headerProblem(IMPORT_COLUMNS.filter((c) => c !== "guardianEmail"))).toBeUndefined();
    expect(headerProblem(IMPORT_COLUMNS.filter((c) => c !== "birthDate"))).toEqual({ rule: "column_missing", column: "birthDate" });
    expect(headerProblem([...IMPORT_COLUMNS, "lastname"])).toEqual({ rule: "column_unknown", column: "lastname" });
    expect(headerProblem([...IMPORT_COLUMNS, "lastName"])).toEqual({ rule: "column_repeated", column: "lastName" });
  });

  const row = {
    lastName: "Иванова",
    firstName: "Анна",
    birthDate: "14.03.2016",
    documentKind: "birth_certificate",
    documentNumber: "IV-АБ 123456",
    guardianLastName: "Иванова",
    guardianFirstName: "Ольга",
    guardianDocumentKind: "passport",
    guardianDocumentNumber: "45 10 123456",
    guardianPhone: "+7 (900) 123-45-67",
  };

  it("reads a row as the registration it asks for: dates as offices type them, phones without their dashes", () => {
    expect(readRow(row)).toMatchObject({ ok: true, family: { child: { birthDate: "2016-03-14" }, guardian: { phone: "+79001234567", document: { kind: "passport" } } } });
  });

  it("names the first column a rule refuses, in column order, with the rule's code", () => {
    expect(readRow({ ...row, firstName: undefined, documentKind: "паспорт" })).toMatchObject({ ok: false, problem: { field: "firstName", rule: "required" } });
    expect(readRow({ ...row, documentKind: "паспорт" })).toMatchObject({ ok: false, problem: { field: "documentKind", rule: "invalid_value" } });
    expect(readRow({ ...row, guardianDocumentKind: "birth_certificate" })).toMatchObject({ ok: false, problem: { field: "guardianDocumentKind" } });
    expect(readRow({ ...row, birthDate: "30.02.2016" })).toMatchObject({ ok: false, problem: { field: "birthDate", rule: "invalid_format" } });
  });

  it("refuses invisible characters and words mixing alphabets cell by cell", () => {
    expect(textProblem({ ...row, lastName: "Ива\u200bнова" })).toMatchObject({ field: "lastName", rule: "text" });
    expect(textProblem({ ...row, guardianFirstName: "Оlga" })).toMatchObject({ field: "guardianFirstName", rule: "text" });
    expect(textProblem(row)).toBeUndefined();
  });
});
