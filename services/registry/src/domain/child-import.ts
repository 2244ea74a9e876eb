import { z } from "zod";
import { LocalDate, NameText } from "@kruzhok/contracts";
import type { DocumentKind } from "./documents";

/**
 * The columns of a children's import file, in the order the office's page shows them. The
 * header line names them (any order; unknown columns are refused so a misspelt one is not
 * silently empty). One row: one child and the guardian who brings it; a guardian named in
 * several rows (siblings) is registered once.
 */
export const IMPORT_COLUMNS = [
  "lastName",
  "firstName",
  "patronymic",
  "birthDate",
  "documentKind",
  "documentNumber",
  "guardianLastName",
  "guardianFirstName",
  "guardianPatronymic",
  "guardianDocumentKind",
  "guardianDocumentNumber",
  "guardianPhone",
  "guardianEmail",
] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number];
export const OPTIONAL_COLUMNS: readonly ImportColumn[] = ["patronymic", "guardianPatronymic", "guardianPhone", "guardianEmail"];

/** The most rows one file may hold: a municipality's year of registrations comes in a few files. */
export const MAX_IMPORT_ROWS = 10_000;

export type ImportCells = Partial<Record<ImportColumn, string>>;

/** What is wrong with a header line: a column missing, one unknown, or one named twice. */
export function headerProblem(header: readonly string[]): { rule: "column_missing" | "column_unknown" | "column_repeated"; column: string } | undefined {
  const names = header.map((name) => name.trim());
  const unknown = names.find((name) => !(IMPORT_COLUMNS as readonly string[]).includes(name));
  if (unknown !== undefined) return { rule: "column_unknown", column: unknown };
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated !== undefined) return { rule: "column_repeated", column: repeated };
  const missing = IMPORT_COLUMNS.find((column) => !OPTIONAL_COLUMNS.includes(column) && !names.includes(column));
  if (missing !== undefined) return { rule: "column_missing", column: missing };
  return undefined;
}

/** A record's cells by column; an empty cell is an absent value. */
export function cellsOf(header: readonly string[], cells: readonly string[]): ImportCells {
  const row: ImportCells = {};
  header.forEach((name, index) => {
    const value = (cells[index] ?? "").trim();
    if (value !== "") row[name.trim() as ImportColumn] = value;
  });
  return row;
}

// The same rules as the registry's registration bodies (http/schemas.ts), over text cells.
const Name = NameText(1, 100);
/** A date as offices type it: 2016-03-14 or 14.03.2016. */
const BirthDate = z
  .string()
  .transform((text) => text.replace(/^(\d{2})\.(\d{2})\.(\d{4})$/, "$3-$2-$1"))
  .pipe(LocalDate);
const ChildDocumentKind = z.enum(["birth_certificate", "snils", "iin", "passport"]);
const GuardianDocumentKind = z.enum(["passport", "snils", "iin"]);
const DocumentNumber = z.string().trim().min(1).max(40);

const ImportRow = z.object({
  lastName: Name,
  firstName: Name,
  patronymic: Name.optional(),
  birthDate: BirthDate,
  documentKind: ChildDocumentKind,
  documentNumber: DocumentNumber,
  guardianLastName: Name,
  guardianFirstName: Name,
  guardianPatronymic: Name.optional(),
  guardianDocumentKind: GuardianDocumentKind,
  guardianDocumentNumber: DocumentNumber,
  guardianPhone: z
    .string()
    .transform((text) => text.replace(/[\s()-]/g, ""))
    .pipe(z.string().regex(/^\+?\d{10,15}$/, "must be 10 to 15 digits with an optional leading +, such as +79001234567"))
    .optional(),
  guardianEmail: z.email().max(254).optional(),
});

/** One row, read: the child and its guardian as the registration use cases take them. */
export interface ImportedFamily {
  child: { firstName: string; lastName: string; patronymic?: string | undefined; birthDate: string; document: { kind: DocumentKind; number: string } };
  guardian: {
    firstName: string;
    lastName: string;
    patronymic?: string | undefined;
    phone?: string | undefined;
    email?: string | undefined;
    document: { kind: DocumentKind; number: string };
  };
}

/** A row a rule refuses: the column, the rule's code (`required`, `invalid_format`, a domain code), the developer's sentence. */
export interface RowProblem {
  field: ImportColumn | null;
  rule: string;
  message: string;
}

// REVIEW: the http kit's rules for text in any request (packages/http/src/text.ts), copied
// because the kit does not export them; export `inputTextIssues` there and use it here.
const INVISIBLE = /\p{Cf}|(?![\t\n\r])\p{Cc}/u;
const WORD = /[\p{L}\p{M}]+/gu;
const SCRIPTS = [/\p{Script=Latin}/u, /\p{Script=Cyrillic}/u, /\p{Script=Greek}/u] as const;

/**
 * What no field of any request may hold, cell by cell: invisible characters, and words mixing
 * alphabets (a homoglyph of another person's name). The file crosses the kit's own check as
 * opaque base64, so a bad cell refuses its row, not the whole file.
 */
export function textProblem(cells: ImportCells): RowProblem | undefined {
  for (const column of IMPORT_COLUMNS) {
    const value = cells[column];
    if (value === undefined) continue;
    if (INVISIBLE.test(value)) return { field: column, rule: "text", message: "contains an invisible character (zero-width, bidi or control)" };
    for (const [word] of value.matchAll(WORD)) {
      if (SCRIPTS.filter((script) => script.test(word)).length > 1) return { field: column, rule: "text", message: `mixes alphabets in one word (${word.slice(0, 40)})` };
    }
  }
  return undefined;
}

/** The row as a registration, or the first column a rule refuses (in column order). */
export function readRow(cells: ImportCells): { ok: true; family: ImportedFamily } | { ok: false; problem: RowProblem } {
  const parsed = ImportRow.safeParse(cells);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ issue, column: String(issue.path[0]) as ImportColumn }));
    issues.sort((a, b) => IMPORT_COLUMNS.indexOf(a.column) - IMPORT_COLUMNS.indexOf(b.column));
    const { issue, column } = issues[0]!;
    const absent = cells[column] === undefined;
    return { ok: false, problem: { field: column, rule: absent ? "required" : issue.code, message: absent ? "is required" : issue.message } };
  }
  const row = parsed.data;
  return {
    ok: true,
    family: {
      child: {
        firstName: row.firstName,
        lastName: row.lastName,
        patronymic: row.patronymic,
        birthDate: row.birthDate,
        document: { kind: row.documentKind, number: row.documentNumber },
      },
      guardian: {
        firstName: row.guardianFirstName,
        lastName: row.guardianLastName,
        patronymic: row.guardianPatronymic,
        phone: row.guardianPhone,
        email: row.guardianEmail,
        document: { kind: row.guardianDocumentKind, number: row.guardianDocumentNumber },
      },
    },
  };
}

/** Where a registration rule's field (`document.number`, `guardianIds.0`) is in the file's row. */
export function columnOfRuleField(field: string | undefined, registering: "guardian" | "child"): ImportColumn | null {
  if (field === undefined) return null;
  if (field.startsWith("guardianIds")) return "guardianDocumentNumber";
  const byField: Record<string, ImportColumn> =
    registering === "guardian"
      ? { "document.number": "guardianDocumentNumber", "document.kind": "guardianDocumentKind", firstName: "guardianFirstName", lastName: "guardianLastName" }
      : { "document.number": "documentNumber", "document.kind": "documentKind", birthDate: "birthDate", firstName: "firstName", lastName: "lastName" };
  return byField[field] ?? null;
}
