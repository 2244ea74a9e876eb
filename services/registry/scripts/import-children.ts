// A municipality's bulk import of children from a CSV file, from the command line: the same
// registry API as the office's page (POST /municipalities/:id/child-imports, then its progress),
// so a file gives the same report from either. Issue 19's `kruzhok import children FILE.csv`
// runs this.
//
//   pnpm --filter @kruzhok/registry import-children FILE.csv --municipality <id or 4-digit code>
//
// Options: --role operator|municipality (whose development token; operator by default),
// --basis "written_request; ref=…" (an operator's basis; else the import itself),
// --lang ru|kk|en (the report's language), --json (the final report as JSON on stdout).
// Environment: REGISTRY_URL (http://127.0.0.1:3001), KRUZHOK_TOKEN (a real token; without it a
// development token is signed with AUTH_DEV_SECRET, which only a registry in development mode takes).
// Exit codes: 0 every row imported or present; 2 some rows refused (listed by line); 1 no import.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { DEV_AUTH_SECRET, signDevToken } from "@kruzhok/http";

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
interface ProblemDocument {
  code?: string;
  detail?: string;
  invalidParams?: { name: string; reason: string }[];
}

/** A failure the person can act on: one line saying what to do. */
class Stop extends Error {}

const base = (process.env.REGISTRY_URL ?? "http://127.0.0.1:3001").replace(/\/$/, "");
const PIECE = 16_000;
const POLL_MS = 500;

function usage(): never {
  throw new Stop("usage: import-children FILE.csv --municipality <id or 4-digit code> [--role operator|municipality] [--basis …] [--lang ru|kk|en] [--json]");
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      municipality: { type: "string", short: "m" },
      role: { type: "string", default: "operator" },
      basis: { type: "string" },
      lang: { type: "string", default: "ru" },
      json: { type: "boolean", default: false },
    },
  });
  const [file] = positionals;
  if (!file || !values.municipality || positionals.length > 1) usage();
  if (values.role !== "operator" && values.role !== "municipality") throw new Stop(`--role ${values.role}: use operator or municipality`);
  const language = values.lang;

  const municipalityId = await municipalityIdOf(values.municipality);
  const token =
    process.env.KRUZHOK_TOKEN ??
    (await signDevToken({ subject: `cli-import-${values.role}`, role: values.role, municipalityId }, { secret: process.env.AUTH_DEV_SECRET ?? DEV_AUTH_SECRET }));
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, "accept-language": language, accept: "application/json" };
  if (values.basis) headers["acting-basis"] = values.basis;

  let content: Buffer;
  try {
    content = await readFile(file);
  } catch (error) {
    throw new Stop(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "error"}): check the path`);
  }
  const base64 = content.toString("base64");
  const pieces: string[] = [];
  for (let i = 0; i < base64.length; i += PIECE) pieces.push(base64.slice(i, i + PIECE));
  const fileName = file.split(/[\\/]/).pop() ?? file;

  // One key for this run: a retry after a lost answer is the same import, not a second one.
  const idempotencyKey = randomUUID();
  const started = await send<Report>("POST", `/municipalities/${municipalityId}/child-imports`, {
    headers: { ...headers, "content-type": "application/json", "idempotency-key": idempotencyKey },
    body: JSON.stringify({ fileName, content: pieces.length > 0 ? pieces : [""] }),
  });

  let report = started;
  const progress = new Progress(report.total);
  while (report.status !== "done") {
    progress.show(report);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    report = await send<Report>("GET", `/child-imports/${report.id}?limit=10000`, { headers });
  }
  if (report.bad > report.badRows.length) report = await send<Report>("GET", `/child-imports/${report.id}?limit=10000`, { headers });
  progress.done(report);

  if (values.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(`import ${report.id}: ${report.fileName}, ${report.total} rows`);
    out(`  registered:      ${report.created}`);
    out(`  already present: ${report.present}`);
    out(`  refused:         ${report.bad}`);
    for (const row of report.badRows) out(`line ${row.line}${row.field ? ` ${row.field}` : ""}: ${row.reason} [${row.rule}]`);
  }
  if (report.bad > 0) {
    process.stderr.write(`${report.bad} rows refused: correct those lines and import the file again (the children imported now will count as present)\n`);
    return 2;
  }
  return 0;
}

/** The municipality's id: given, or looked up by its 4-digit code. */
async function municipalityIdOf(given: string): Promise<string> {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(given)) return given;
  if (!/^\d{4}$/.test(given)) throw new Stop(`--municipality ${given}: give the municipality's id or its 4-digit code`);
  const all = await send<{ id: string; code: string }[]>("GET", "/municipalities", { headers: { accept: "application/json" } });
  const found = all.find((m) => m.code === given);
  if (!found) throw new Stop(`no municipality with code ${given}: list them with GET ${base}/municipalities`);
  return found.id;
}

/** A call to the registry, retried while it asks to wait (429, 503) or the connection fails; a refusal stops with its reason. */
async function send<T>(method: string, path: string, init: { headers: Record<string, string>; body?: string }): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { method, headers: init.headers, ...(init.body !== undefined && { body: init.body }) });
    } catch {
      if (attempt < 5) {
        await new Promise((resolve) => setTimeout(resolve, 1_000 * attempt));
        continue;
      }
      throw new Stop(`the registry at ${base} does not answer: start it, or set REGISTRY_URL`);
    }
    if ((res.status === 429 || res.status === 503) && attempt < 10) {
      await res.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 1_000 * Number(res.headers.get("retry-after") ?? "1")));
      continue;
    }
    const text = await res.text();
    if (res.ok) return JSON.parse(text) as T;
    let problem: ProblemDocument = {};
    try {
      problem = JSON.parse(text) as ProblemDocument;
    } catch {
      // Not a problem document: the status says enough.
    }
    if (res.status === 401) throw new Stop("the registry refused the token: set KRUZHOK_TOKEN, or run the registry in development mode");
    const fields = (problem.invalidParams ?? []).map((p) => `${p.name.replace(/^body\./, "")}: ${p.reason}`).join("; ");
    throw new Stop(`${problem.detail ?? `${method} ${path} answered ${res.status}`}${fields && !fields.includes(problem.detail ?? "\u0000") ? ` (${fields})` : ""} [${problem.code ?? res.status}]`);
  }
}

/** One line on stderr: redrawn in place on a terminal, every tenth on a pipe or a log. */
class Progress {
  private shownTenth = -1;
  private readonly tty = process.stderr.isTTY === true;
  constructor(private readonly total: number) {}

  show(report: Report): void {
    const share = this.total === 0 ? 1 : report.processed / this.total;
    const width = 30;
    const filled = Math.round(share * width);
    const line = `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${report.processed}/${this.total} ${Math.floor(share * 100)}%  registered ${report.created}  present ${report.present}  refused ${report.bad}`;
    if (this.tty) {
      process.stderr.write(`\r${line}`);
    } else if (Math.floor(share * 10) > this.shownTenth) {
      this.shownTenth = Math.floor(share * 10);
      process.stderr.write(`${line}\n`);
    }
  }

  done(report: Report): void {
    this.shownTenth = -1;
    this.show(report);
    if (this.tty) process.stderr.write("\n");
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  if (!(error instanceof Stop)) throw error;
  process.stderr.write(`import-children: ${error.message}\n`);
  process.exitCode = 1;
}
