import { pino, type DestinationStream, type Logger, type LoggerOptions } from "pino";

export type { Logger } from "pino";

/**
 * Field names that carry personal data anywhere in a log line. Registry records hold names,
 * birth dates, document numbers and contacts; none of them may reach a log sink, whichever
 * object they travel in, so the paths cover the field at the top level and one or two levels down
 * (request bodies, events, errors). Contracts name people's fields `firstName`/`lastName`/…, never a
 * bare `name`, so that the names of programs, topics and municipalities stay readable in logs.
 */
export const personalFields = [
  "firstName",
  "lastName",
  "middleName",
  "patronymic",
  "fullName",
  "birthDate",
  "dateOfBirth",
  "documentNumber",
  "document",
  "passport",
  "birthCertificate",
  "snils",
  "iin",
  "phone",
  "email",
  "homeAddress",
  "password",
  "token",
] as const;

const secretKeys = ["authorization", "cookie", "set-cookie", "pass", "password", "smtp_pass"];
const redactedKeys = new Set<string>([...personalFields, ...secretKeys].map((key) => key.toLowerCase()));
const CENSOR = "[redacted]";
const MAX_DEPTH = 8;

// Values that are personal whatever field or sentence carries them: e-mail addresses, phone
// numbers, SNILS, and runs of 10 to 12 digits (INN, IIN, BIN, passport series and number). Not
// part of a longer word or id, so that UUIDs and codes stay readable.
const personalValues: readonly RegExp[] = [
  /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}.-]+\.\p{L}{2,}/gu,
  /\+\d[\d ()-]{8,}\d(?![\w-])/g,
  /(?<![\w-])8[ (-]*\d{3}[ )-]*\d{3}[ -]*\d{2}[ -]*\d{2}(?![\w-])/g,
  /(?<![\w-])\d{3}-\d{3}-\d{3}[ -]\d{2}(?![\w-])/g,
  /(?<![\w-])\d{4} ?\d{6}(?![\w-])/g,
  /(?<![\w-])\d{10,12}(?![\w-])/g,
];

/**
 * A sentence with the values in it that Postgres or a person's data may have put there removed:
 * Postgres quotes the offending value (`invalid input syntax for type uuid: "…"`, `value "…" is
 * out of range`) and echoes whole rows in details (`Key (tax_id)=(7701234567) already exists.`,
 * `Failing row contains (…)`); other errors may quote an e-mail address or a document number.
 */
export function scrubText(text: string): string {
  let out = text
    .replace(/\)=\((?:[^()]|\([^()]*\))*\)/g, ")=([redacted])")
    .replace(/(Failing row contains )\(.*\)/gs, "$1([redacted])")
    // A value is quoted after a colon or the word value; a constraint's or table's name is not.
    .replace(/(: |value )"(?:[^"\\]|\\.)*"/g, '$1"[redacted]"');
  for (const pattern of personalValues) out = out.replace(pattern, CENSOR);
  return out;
}

// Fields of a Postgres error (pg's DatabaseError) that echo the statement's values or the row.
const echoingErrorFields = new Set(["detail", "where", "internalQuery", "parameters", "values", "body", "input"]);

/**
 * A plain copy of an error for the log line, as pino would write it (type, message, stack, its own
 * fields, its cause), with its message and stack scrubbed of values (`scrubText`), the fields
 * that echo rows or parameters scrubbed or dropped, and its other fields redacted as any object.
 */
function redactError(error: Error, depth: number): Record<string, unknown> {
  // No prototype, so that pino's error serialiser names its type by `name`, not "Object".
  const copy = Object.assign(Object.create(null) as Record<string, unknown>, { name: error.constructor.name, message: scrubText(error.message) });
  if (error.stack) copy.stack = scrubText(error.stack);
  for (const [key, inner] of Object.entries(error)) {
    if (key === "message" || key === "stack") continue;
    if (redactedKeys.has(key.toLowerCase())) copy[key] = CENSOR;
    else if (echoingErrorFields.has(key)) copy[key] = typeof inner === "string" ? scrubText(inner) : inner === undefined ? undefined : CENSOR;
    else copy[key] = typeof inner === "string" ? scrubText(inner) : redact(inner, depth + 1);
  }
  if (error.cause !== undefined) copy.cause = redact(error.cause, depth + 1);
  if (error instanceof AggregateError) copy.aggregateErrors = error.errors.map((inner) => redact(inner, depth + 1));
  return copy;
}

/**
 * Copy of `value` with every personal or secret field replaced, at any depth: a child's birth
 * date inside an event inside a request body is still a birth date. Errors become plain copies
 * whose message, stack and fields are scrubbed too (`redactError`: Postgres puts the offending
 * row in `detail`). Other class instances pass untouched, as do values below MAX_DEPTH.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return redactError(value, depth);
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    copy[key] = redactedKeys.has(key.toLowerCase()) ? CENSOR : redact(inner, depth + 1);
  }
  return copy;
}

export interface LoggerConfig {
  service: string;
  level?: LoggerOptions["level"];
}

/**
 * The one way to make a logger: JSON lines, personal and secret fields replaced by "[redacted]".
 * `destination` lets tests capture output and assert on it.
 */
export function createLogger(config: LoggerConfig, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.level ?? "info",
    base: { service: config.service },
    timestamp: isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (bindings) => redact(bindings) as Record<string, unknown>,
      log: (object) => redact(object) as Record<string, unknown>,
    },
    hooks: {
      // `log.error(err)` with no message of its own takes the error's message as the line's
      // message, outside the object the formatter redacts: scrub it here.
      logMethod(args, method) {
        const [first, second] = args as unknown[];
        if (first instanceof Error && typeof second !== "string") {
          return method.apply(this, [first, scrubText(first.message), ...args.slice(1)] as Parameters<typeof method>);
        }
        return method.apply(this, args);
      },
    },
  };
  return pino(options, destination ?? standardOutput());
}

/**
 * Standard output, written in batches: a line joins a buffer written out once it holds 3 KB or
 * every 100 ms. Written with one `write(2)` each (pino's default), the system call was 40 % of
 * an access line's cost, 4.9 % of a position-lookup worker's CPU (2.1 % in batches; an
 * asynchronous write per line cost two system calls, BENCHMARKS.md). What is buffered is written
 * synchronously when the process exits (pino registers it, and flushes at a `fatal` line), so an
 * exit after an error keeps its lines; a process killed outright loses at most the last 100 ms.
 * A reader that stops reading (a stuck log collector) costs lines beyond `maxLength`, not the
 * service's progress: with synchronous writes a full pipe stopped every request.
 */
function standardOutput(): DestinationStream {
  // A write holds whole lines and at most PIPE_BUF (4096) bytes: a pipe takes such a write whole,
  // so the lines of a service's workers, which share its standard output, never interleave.
  return pino.destination({ dest: 1, sync: false, minLength: 3 * 1024, maxWrite: 4096, periodicFlush: 100, maxLength: 64 * 1024 * 1024 });
}

let isoTimeOf = -1;
let isoTimeText = "";
/**
 * pino's `isoTime`, made once per millisecond: a busy service writes several lines in each, and
 * formatting the date was a fifth of an access line's cost (BENCHMARKS.md).
 */
function isoTime(): string {
  const now = Date.now();
  if (now !== isoTimeOf) {
    isoTimeOf = now;
    isoTimeText = `,"time":"${new Date(now).toISOString()}"`;
  }
  return isoTimeText;
}

/** What a fixed line's fields may hold: what `redact` leaves as it is. */
export type LineValue = string | number | undefined;

/**
 * A writer of one `info` line of a fixed shape: `keys`, none of them a field redacted in every
 * line (checked here, once), with string or number values, then `message`. It writes what
 * `logger.info(fields, message)` writes, in the same order (level, time, the logger's bindings,
 * the fields, msg; an undefined value left out), without pino's general path: the hook of every
 * log method, a redacted copy of the object, serializers and stringifiers looked up per key.
 * That path was about half of the access line every request writes (BENCHMARKS.md). `logger`
 * is one `createLogger` made (its level label and stream); its level is read at every line.
 */
export function infoLine<K extends string>(logger: Logger, keys: readonly K[], message: string): (values: Readonly<Record<K, LineValue>>) => void {
  const refused = keys.filter((key) => redactedKeys.has(key.toLowerCase()));
  if (refused.length > 0) throw new Error(`${refused.join(", ")} is redacted in every log line; a line of fixed fields cannot carry it`);
  const internals = logger as unknown as Record<symbol, unknown>;
  const stream = internals[pino.symbols.streamSym] as DestinationStream;
  const names = keys.map((key) => `,${JSON.stringify(key)}:`);
  const end = `,"msg":${JSON.stringify(message)}}\n`;
  return (values) => {
    if (!logger.isLevelEnabled("info")) return;
    let line = `{"level":"info"${isoTime()}${internals[pino.symbols.chindingsSym] as string}`;
    for (let i = 0; i < keys.length; i++) {
      const value = values[keys[i]!];
      if (value === undefined) continue;
      line += names[i] + (typeof value === "string" ? JSON.stringify(value) : Number.isFinite(value) ? String(value) : "null");
    }
    stream.write(line + end);
  };
}
