import { stringify } from "csv-stringify/sync";
import ExcelJS from "exceljs";
import { dimsKey } from "../domain/cells";
import type { IndicatorReport } from "../usecases/report";

// The monthly indicator report as files a region files and a spreadsheet opens: one row per
// indicator, its breakdown as k=v;k=v, the value empty where it is suppressed (and the
// suppressed column says so: an empty value is never a zero). Shares are fractions (0.25 is
// 25 %), money is minor units, waiting times are seconds, as in the JSON. Text a spreadsheet
// would read as a formula is escaped (csv-stringify's escape_formulas; by hand for XLSX). Nothing
// is written as "" in XLSX: an absent municipality, breakdown or value is an empty cell.

const HEADER = ["as_of", "month", "scope", "region", "municipality", "measure", "dims", "value", "suppressed"];

function rowsOf(report: IndicatorReport): (string | number | null)[][] {
  return report.indicators.map((cell) => [
    report.asOf,
    report.month,
    report.scope,
    report.regionCode,
    report.municipalityId,
    cell.measure,
    dimsKey(cell.dims) || null,
    cell.value,
    cell.suppressed ? "true" : "false",
  ]);
}

export function reportFileName(report: IndicatorReport, extension: "csv" | "xlsx"): string {
  const scope = report.municipalityId ?? `region-${report.regionCode}`;
  return `indicators-${scope}-${report.asOf}.${extension}`.replace(/[^A-Za-z0-9._-]/g, "_");
}

export function reportCsv(report: IndicatorReport): string {
  return stringify([HEADER, ...rowsOf(report)], { escape_formulas: true, record_delimiter: "windows" });
}

const formulaStart = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
const escapeCell = (value: string | number | null): string | number | null => (typeof value === "string" && formulaStart.test(value) ? `'${value}` : value);

export async function reportXlsx(report: IndicatorReport): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet(`${report.month.slice(0, 7)}`);
  sheet.addRow(HEADER);
  sheet.getRow(1).font = { bold: true };
  for (const row of rowsOf(report)) sheet.addRow(row.map(escapeCell));
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
