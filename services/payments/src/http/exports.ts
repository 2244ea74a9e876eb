import { stringify } from "csv-stringify/sync";
import ExcelJS from "exceljs";
import type { RegisterLineRow, RegisterRow } from "../store/registers";

// A register's exports: CSV (csv-stringify, formulas escaped), XLSX (exceljs) and JSON. Amounts are
// numbers of minor units; text cells that a spreadsheet would read as a formula (=, +, -, @ and
// their full-width forms, a leading tab or CR) get a leading apostrophe. Numbers stay numbers
// (a negative correction is -500, not '-500): a number cell is never a formula.

const header = ["register", "number", "provider", "month", "status", "payment_order", "enrollment", "certificate", "lessons", "certificate_amount", "family_amount", "currency"];

function rowsOf(register: RegisterRow, lines: readonly RegisterLineRow[]): (string | number)[][] {
  return lines.map((l) => [register.id, register.number, register.providerId, register.month, register.status, register.paymentOrder ?? "", l.enrollmentId, l.certificateId ?? "", l.lessons, l.certificateAmount, l.familyAmount, register.currency]);
}

export function registerCsv(register: RegisterRow, lines: readonly RegisterLineRow[]): string {
  return stringify([header, ...rowsOf(register, lines)], { escape_formulas: true });
}

const formulaStart = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
export function escapeCell(value: string | number): string | number {
  return typeof value === "string" && formulaStart.test(value) ? `'${value}` : value;
}

export async function registerXlsx(register: RegisterRow, lines: readonly RegisterLineRow[]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet(`${register.month} #${register.number}`);
  sheet.addRow(header);
  for (const row of rowsOf(register, lines)) sheet.addRow(row.map(escapeCell));
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

export function registerJson(register: RegisterRow, lines: readonly RegisterLineRow[]) {
  return { ...register, lineItems: lines };
}
