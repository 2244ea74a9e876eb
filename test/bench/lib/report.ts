import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Git-ignored; one JSON + Markdown pair per benchmark run. */
export const resultsDir = resolve(dirname(fileURLToPath(import.meta.url)), "../results");
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** Tables and results go to stdout; progress notes to stderr, so stdout stays a clean report. */
export function out(text: string): void {
  process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

export function progress(message: string): void {
  process.stderr.write(`· ${message}\n`);
}

/** 12,345 or 12,345.6: thousands separated, `digits` decimals. */
export function fmt(value: number, digits = 0): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function pct(ratio: number): string {
  return `${(ratio * 100).toFixed(0)} %`;
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export interface Table {
  headers: string[];
  rows: string[][];
}

/** Plain-text table for the terminal, columns padded to their widest cell. */
export function textTable({ headers, rows }: Table): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}

export function markdownTable({ headers, rows }: Table): string {
  const escape = (cell: string) => cell.replaceAll("|", "\\|");
  const line = (cells: readonly string[]) => `| ${cells.map(escape).join(" | ")} |`;
  return [line(headers), line(headers.map(() => "---")), ...rows.map(line)].join("\n");
}

/** `2026-05-01T12-34-56Z`: sorts by time and is safe in a file name. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z").replaceAll(":", "-");
}

/** Write `<name>-<timestamp>.json` and `.md` under test/bench/results; returns their repo-relative paths. */
export async function writeResults(name: string, json: unknown, markdown: string, at = new Date()): Promise<string[]> {
  await mkdir(resultsDir, { recursive: true });
  const base = join(resultsDir, `${name}-${timestamp(at)}`);
  await writeFile(`${base}.json`, `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(`${base}.md`, markdown.endsWith("\n") ? markdown : `${markdown}\n`);
  return [`${base}.json`, `${base}.md`].map((path) => relative(repoRoot, path));
}

/**
 * Print a run's tables and notes to stdout (text tables) and return the same as Markdown under
 * `title`, for `writeResults`. Strings are notes, printed as they are.
 */
export function printRun(title: string, parts: readonly (Table | string)[]): string {
  const as = (render: (table: Table) => string) => parts.map((part) => (typeof part === "string" ? part : render(part)));
  out(`\n${as(textTable).join("\n\n")}\n`);
  return [`# ${title}`, "", ...as(markdownTable).flatMap((part) => [part, ""])].join("\n");
}
