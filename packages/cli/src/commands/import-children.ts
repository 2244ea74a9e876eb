import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { Progress } from "../progress";
import { ServiceClient, Stop, municipalityIdOf, sleep, tokenFor } from "../client";

interface Report {
  id: string;
  fileName: string;
  status: "processing" | "done";
  total: number;
  processed: number;
  created: number;
  present: number;
  bad: number;
  badRows: { line: number; field: string | null; rule: string; reason: string }[];
}

export interface ImportOptions {
  municipality: string;
  role: "operator" | "municipality";
  basis?: string;
  lang: string;
  json: boolean;
  registryUrl: string;
  token?: string;
}

/** The file travels as base64 pieces in a JSON body: the registry's route takes them so. */
const PIECE = 16_000;
const POLL_MS = 500;

/**
 * A municipality's bulk import of children from a CSV file: the registry's import (the office's
 * page makes the same one, POST /municipalities/:id/child-imports), then its progress until done,
 * then the bad rows by line. Idempotent in the registry: a child already registered counts as
 * present, so a corrected file is imported again whole. Returns the exit code: 0 every row
 * imported or present, 2 some refused.
 */
export async function importChildren(file: string, options: ImportOptions, env: NodeJS.ProcessEnv): Promise<number> {
  const lookup = new ServiceClient("registry", options.registryUrl, undefined, options.lang);
  const municipalityId = await municipalityIdOf(lookup, options.municipality);
  const token = await tokenFor(options.token, env, { subject: `cli-import-${options.role}`, role: options.role, municipalityId });
  const registry = new ServiceClient("registry", options.registryUrl, token, options.lang);

  let content: Buffer;
  try {
    content = await readFile(file);
  } catch (error) {
    throw new Stop(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "error"}): check the path`);
  }
  const base64 = content.toString("base64");
  const pieces: string[] = [];
  for (let i = 0; i < base64.length; i += PIECE) pieces.push(base64.slice(i, i + PIECE));

  // One key for this run: a retry after a lost answer is the same import, not a second one.
  const headers: Record<string, string> = { "idempotency-key": randomUUID() };
  if (options.basis) headers["acting-basis"] = options.basis;
  let report = await registry.json<Report>("POST", `/municipalities/${municipalityId}/child-imports`, {
    headers,
    body: { fileName: basename(file), content: pieces.length > 0 ? pieces : [""] },
  });

  const progress = new Progress(report.total, () => `registered ${report.created}  present ${report.present}  refused ${report.bad}`);
  while (report.status !== "done") {
    progress.update(report.processed);
    await sleep(POLL_MS);
    report = await registry.json<Report>("GET", `/child-imports/${report.id}?limit=10000`);
  }
  if (report.bad > report.badRows.length) report = await registry.json<Report>("GET", `/child-imports/${report.id}?limit=10000`);
  progress.stop(report.processed);

  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (options.json) {
    out(JSON.stringify(report));
  } else {
    out(`import ${report.id}: ${report.fileName}, ${report.total} rows`);
    out(`  registered:      ${report.created}`);
    out(`  already present: ${report.present}`);
    out(`  refused:         ${report.bad}`);
    for (const row of report.badRows) out(`line ${row.line}${row.field ? ` ${row.field}` : ""}: ${row.reason} [${row.rule}]`);
  }
  if (report.bad > 0) {
    process.stderr.write(`kruzhok: ${report.bad} rows refused: correct those lines and import the file again (the children imported now count as present)\n`);
    return 2;
  }
  return 0;
}
