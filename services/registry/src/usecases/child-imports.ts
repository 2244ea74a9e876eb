import { createHash } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import { requireMunicipality, requireRole, type Actor } from "@kruzhok/actor";
import { isDomainError, type DomainError } from "@kruzhok/errors";
import type { Cause } from "@kruzhok/messaging";
import type { Queryable } from "@kruzhok/postgres";
import { cellsOf, columnOfRuleField, headerProblem, textProblem, MAX_IMPORT_ROWS, readRow, type ImportColumn, type ImportedFamily, type RowProblem } from "../domain/child-import";
import { parseCsv } from "../domain/csv";
import { documentHash } from "../domain/documents";
import { registryError } from "../domain/errors";
import { childByDocumentHash, claimWaitingRows, findImport, finishRow, guardianByDocumentHash, insertImport, markFinished, type ChildImportRow, type NewImportRow } from "../store/child-imports";
import { findMunicipality } from "../store/municipalities";
import type { RegistryDeps } from "../deps";
import { officeRoles } from "./access";
import { registerChildIn, registerGuardianIn } from "./people";
import { inTransaction, type Write } from "./transaction";
import { withSavepoint } from "../store/savepoints";

export interface ChildImportCommand {
  municipalityId: string;
  fileName: string;
  /** The file's bytes (UTF-8 CSV). */
  content: Buffer;
}

/**
 * The office starts a bulk import of children: the file is read and each row checked against the
 * registration's field rules now (a refused row is reported by its line at once); the rows that
 * pass wait for the import worker (`processChildImports`), which registers each through the same
 * use cases as the office's single registration. Nothing is registered here.
 */
export async function startChildImport(deps: RegistryDeps, actor: Actor, command: ChildImportCommand, cause: Cause): Promise<ChildImportRow> {
  requireMunicipality(requireRole(actor, ...officeRoles), command.municipalityId);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(command.content);
  } catch {
    throw registryError("IMPORT_FILE_UNREADABLE", "the file is not UTF-8 text: save it as «CSV UTF-8»", { field: "content" });
  }
  const csv = parseCsv(text);
  if (!csv.ok) throw registryError("IMPORT_FILE_UNREADABLE", `a quoted field opened on line ${csv.line} is never closed`, { field: "content", line: csv.line });
  const [header, ...records] = csv.records;
  if (!header) throw registryError("IMPORT_EMPTY", "the file is empty", { field: "content" });
  const problem = headerProblem(header.cells);
  if (problem) {
    throw registryError("IMPORT_HEADER_INVALID", `the header line: ${problem.rule.replace("_", " ")} «${problem.column}»; the columns are named on the office's page and in the API's description`, {
      field: "content",
      column: problem.column,
    });
  }
  if (records.length === 0) throw registryError("IMPORT_EMPTY", "the file has a header and no row", { field: "content" });
  if (records.length > MAX_IMPORT_ROWS) throw registryError("IMPORT_TOO_MANY_ROWS", `the file has ${records.length} rows; at most ${MAX_IMPORT_ROWS} in one file`, { field: "content" });

  const rows: NewImportRow[] = records.map(({ line, cells }) => {
    if (cells.length > header.cells.length) return { line, cells: null, bad: { field: null, rule: "cell_count", message: `has ${cells.length} cells; the header names ${header.cells.length}` } };
    const row = cellsOf(header.cells, cells);
    const bad = checkRow(row);
    return bad ? { line, cells: null, bad } : { line, cells: row };
  });
  return inTransaction(deps, cause, async ({ tx, now }) => {
    if (!(await findMunicipality(tx, command.municipalityId))) throw registryError("MUNICIPALITY_NOT_FOUND", `no municipality ${command.municipalityId}`);
    const id = uuidv7({ msecs: now.getTime() });
    const created: ChildImportRow = {
      id,
      municipalityId: command.municipalityId,
      fileName: command.fileName,
      contentHash: createHash("sha256").update(command.content).digest("hex"),
      actor: storedActor(actor, id),
      total: rows.length,
      createdAt: now,
      finishedAt: null,
    };
    await insertImport(tx, created, rows);
    return created;
  });
}

/**
 * What no field of any request may hold (invisible characters, words mixing alphabets: the http
 * kit's rules) and the registration's field rules, cell by cell: the file itself crosses the
 * kit's check as one opaque piece, so a bad cell refuses its row, not the whole file.
 */
function checkRow(cells: Partial<Record<ImportColumn, string>>): RowProblem | undefined {
  const text = textProblem(cells);
  if (text) return text;
  const read = readRow(cells);
  return read.ok ? undefined : read.problem;
}

/**
 * The actor each row is registered as. An operator's acts for families need a basis: the one
 * stated with the import, or the import itself as a written request (its id the reference), so
 * each family's trail says where its record came from.
 */
function storedActor(actor: Actor, importId: string): Record<string, unknown> {
  const basis = actor.basis ?? (actor.role === "operator" ? { kind: "written_request", reference: `import ${importId}` } : undefined);
  return { subject: actor.subject, role: actor.role, municipalityId: actor.municipalityId, ...(basis && { basis }) };
}

type RowResult = { outcome: "created" | "present"; childId: string } | { outcome: "bad"; problem: RowProblem };

/** The column a registration rule's refusal is about, when its field does not say. */
const columnOfCode: Record<string, ImportColumn> = {
  "REGISTRY.AGE_OUT_OF_RANGE": "birthDate",
  "REGISTRY.BIRTH_DATE_IN_FUTURE": "birthDate",
  "REGISTRY.BIRTH_DATE_IMPLAUSIBLE": "birthDate",
  "REGISTRY.PASSPORT_TOO_YOUNG": "documentKind",
  "REGISTRY.CHILD_ALREADY_REGISTERED": "documentNumber",
};

function badRow(error: DomainError, registering: "guardian" | "child"): RowResult {
  const field = typeof error.details.field === "string" ? error.details.field.replace(/^child\./, "") : undefined;
  return { outcome: "bad", problem: { field: columnOfRuleField(field, registering) ?? columnOfCode[error.code] ?? null, rule: error.code, message: error.message } };
}

/**
 * One row: the child already registered in this municipality is "present" (the same file
 * imported again creates nothing); otherwise its guardian (found by document, or registered) and
 * the child are registered through the office's own use cases, rules and trail included.
 */
async function importRow(write: Write, actor: Actor, municipalityId: string, family: ImportedFamily): Promise<RowResult> {
  const { tx } = write;
  const existing = await childByDocumentHash(tx, documentHash(family.child.document.kind, family.child.document.number));
  if (existing?.municipalityId === municipalityId) return { outcome: "present", childId: existing.id };
  let guardianId = (await guardianByDocumentHash(tx, documentHash(family.guardian.document.kind, family.guardian.document.number)))?.id;
  if (!guardianId) {
    try {
      guardianId = (await registerGuardianIn(write, actor, { ...family.guardian, municipalityId })).id;
    } catch (error) {
      if (!isDomainError(error)) throw error;
      // A sibling's row in another worker registered the guardian a moment ago: theirs is ours.
      guardianId = error.code === "REGISTRY.GUARDIAN_ALREADY_REGISTERED" ? (await guardianByDocumentHash(tx, documentHash(family.guardian.document.kind, family.guardian.document.number)))?.id : undefined;
      if (!guardianId) return badRow(error, "guardian");
    }
  }
  try {
    const child = await registerChildIn(write, actor, { ...family.child, guardianIds: [guardianId], categories: [] });
    return { outcome: "created", childId: child.id };
  } catch (error) {
    if (isDomainError(error)) return badRow(error, "child");
    throw error;
  }
}

/** A row in a savepoint of the batch's transaction: a refused row leaves nothing behind, its neighbours go on. */
async function inSavepoint(tx: Queryable, work: () => Promise<RowResult>): Promise<RowResult> {
  try {
    return await withSavepoint(tx, work, (result) => result.outcome !== "bad");
  } catch (error) {
    // Data Postgres refuses (SQLSTATE classes 22 and 23) would refuse again on every round and
    // hold the import up for ever: the row is reported instead. Anything else (the database
    // gone a moment) fails the batch, which the next round takes up again.
    const state = (error as { code?: unknown }).code;
    if (typeof state === "string" && /^2[23]/.test(state)) return { outcome: "bad", problem: { field: null, rule: "unprocessable", message: `the database refused the row (SQLSTATE ${state})` } };
    throw error;
  }
}

/**
 * The import worker's round: waiting rows in batches of `batch`, each batch one transaction
 * (each row's registration and its outcome commit together, so a worker killed mid-batch leaves
 * the batch waiting, and a row is never registered twice nor lost). Rows are locked with SKIP
 * LOCKED, so several workers share an import. Returns the rows done.
 */
export async function processChildImports(deps: RegistryDeps, options: { batch?: number; maxBatches?: number; workers?: number } = {}): Promise<number> {
  // Two loops at once: one waits on the database while the other runs its rules.
  const loops = await Promise.all(Array.from({ length: options.workers ?? 2 }, () => processBatches(deps, options.batch ?? 100, options.maxBatches ?? Infinity)));
  return loops.reduce((sum, n) => sum + n, 0);
}

async function processBatches(deps: RegistryDeps, batch: number, maxBatches: number): Promise<number> {
  const cause: Cause = { correlationId: uuidv7() };
  let done = 0;
  for (let round = 0; round < maxBatches; round++) {
    const claimed = await inTransaction(deps, cause, async (write) => {
      const { tx, now } = write;
      const rows = await claimWaitingRows(tx, batch);
      const imports = new Map<string, ChildImportRow>();
      for (const row of rows) {
        let found = imports.get(row.importId);
        if (!found) {
          found = await findImport(tx, row.importId);
          if (!found) throw new Error(`import ${row.importId} of a waiting row vanished`);
          imports.set(row.importId, found);
        }
        const { municipalityId } = found;
        const actor = found.actor as unknown as Actor;
        const read = readRow(row.cells);
        const result = read.ok ? await inSavepoint(tx, () => importRow(write, actor, municipalityId, read.family)) : ({ outcome: "bad", problem: read.problem } as const);
        await finishRow(tx, row.importId, row.line, result.outcome, result.outcome === "bad" ? result.problem : { childId: result.childId });
      }
      await markFinished(tx, [...imports.keys()], now);
      return rows.length;
    });
    done += claimed;
    if (claimed < batch) break;
  }
  return done;
}
