import { isPermanent } from "@kruzhok/errors";

/**
 * Whose fault a failed handling is. The consumer runner acts on it:
 *
 * - `permanent`: the event itself can never be handled (bytes that are not an event, a schema
 *   violation, a domain rule: `PermanentError`, `DomainError`). It goes to `<topic>.dlq`.
 * - `database`: the service's own database is unavailable. No event can be handled and none is
 *   to blame, and the parked table could not be written either: the runner retries with backoff,
 *   holding the partition, for as long as it takes, and the attempt does not count against the
 *   event (nothing is lost; the partition resumes where it stopped).
 * - `transient`: anything else — a bug, a constraint violation, a webhook that is down, a
 *   statement timeout, a serialization failure that outlived its retries. Retried a few times
 *   with backoff; an event that keeps failing is parked and its partition goes on.
 *
 * What counts as the database being unavailable, and why:
 * - an error Postgres itself sent (it has a SQLSTATE and a severity) of a class that is about the
 *   server, not the statement: 08 connection exception, 53 insufficient resources (too many
 *   connections, disk full, out of memory), 58 system error (I/O), 28 authorization (the
 *   service's role or password no longer works), 3D000 (its database is gone), 57P01–57P04 (the
 *   server shuts down, restarts, is starting, or dropped the database), 25006 (a failover left
 *   the pool on a read-only standby). Every other SQLSTATE is about what the statement did (23
 *   a constraint, 42 a bug, 57014 a statement timeout, 40001 a serialization failure) and is the
 *   event's;
 * - node-postgres's own messages for a connection it lost or cannot get ("Connection terminated
 *   …", "timeout exceeded when trying to connect" when the pool is exhausted, "… not queryable");
 * - a socket error (ECONNREFUSED, ECONNRESET, ETIMEDOUT …) only if the database does not answer
 *   a probe right then: the same codes come from a webhook the handler calls, and a webhook that
 *   is down must not stop the partition (`suspect`, resolved by `classifyFailure`).
 *
 * The runner adds one rule of its own: when parking an event fails, whatever the error, the
 * failure is the database's (the parked table cannot be written), and it holds the partition.
 */
export type FailureKind = "permanent" | "database" | "transient";

/** What an error says by itself; `suspect` is a socket error that may or may not be the database's. */
export type FailureEvidence = FailureKind | "suspect";

const DATABASE_SQLSTATE_CLASSES = new Set(["08", "28", "53", "58"]);
const DATABASE_SQLSTATES = new Set(["3D000", "57P01", "57P02", "57P03", "57P04", "25006"]);
const POOL_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /is not queryable/,
  /^Cannot use a pool after calling end on the pool/,
];
const SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/** Bytes that are not an event of its contract: dead-lettered at once. */
export class PoisonMessage extends Error {
  override readonly name = "PoisonMessage";
}

interface ErrorFields {
  code?: unknown;
  severity?: unknown;
  message?: unknown;
  cause?: unknown;
}

/** The error and its causes (`new Error(…, { cause })`), outermost first, a few deep. */
function chain(error: unknown): unknown[] {
  const errors: unknown[] = [];
  for (let current = error; current !== undefined && current !== null && errors.length < 5; current = (current as ErrorFields).cause) {
    errors.push(current);
  }
  return errors;
}

function evidenceOfOne(error: unknown): FailureEvidence | undefined {
  if (error instanceof PoisonMessage || isPermanent(error)) return "permanent";
  if (typeof error !== "object" || error === null) return undefined;
  const { code, severity, message } = error as ErrorFields;
  if (typeof code === "string" && typeof severity === "string" && /^[0-9A-Z]{5}$/.test(code)) {
    return DATABASE_SQLSTATES.has(code) || DATABASE_SQLSTATE_CLASSES.has(code.slice(0, 2)) ? "database" : "transient";
  }
  if (typeof message === "string" && POOL_MESSAGES.some((pattern) => pattern.test(message))) return "database";
  if (typeof code === "string" && SOCKET_CODES.has(code)) return "suspect";
  return undefined;
}

/** Pure: the kind an error shows by itself or through its causes (the first that tells wins). */
export function failureEvidence(error: unknown): FailureEvidence {
  for (const link of chain(error)) {
    const evidence = evidenceOfOne(link);
    if (evidence !== undefined) return evidence;
  }
  return "transient";
}

/**
 * The kind of a failure, asking `databaseAnswers` (a probe of the service's own pool) only when
 * the error is a socket error that could be the database's or a webhook's.
 */
export async function classifyFailure(error: unknown, databaseAnswers: () => Promise<boolean>): Promise<FailureKind> {
  const evidence = failureEvidence(error);
  if (evidence !== "suspect") return evidence;
  return (await databaseAnswers()) ? "transient" : "database";
}

/** Text for a log line or the parked table: one line, bounded, no NUL (Postgres text refuses it). */
export function describeFailure(error: unknown): { name: string; message: string } {
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  return {
    name: name.replaceAll("\u0000", "").slice(0, 200),
    message: message.replaceAll("\u0000", "").slice(0, 2_000),
  };
}
