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

const secretKeys = ["authorization", "cookie", "set-cookie"];
const redactedKeys = new Set<string>([...personalFields, ...secretKeys].map((key) => key.toLowerCase()));
const CENSOR = "[redacted]";
const MAX_DEPTH = 8;

/**
 * Copy of `value` with every personal or secret field replaced, at any depth: a child's birth
 * date inside an event inside a request body is still a birth date. Errors and other class
 * instances pass untouched (pino serialises them), as do values below MAX_DEPTH.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > MAX_DEPTH || value === null || typeof value !== "object") return value;
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
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (bindings) => redact(bindings) as Record<string, unknown>,
      log: (object) => redact(object) as Record<string, unknown>,
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
