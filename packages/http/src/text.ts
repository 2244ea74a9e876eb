import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";
import type { InvalidParam } from "@kruzhok/contracts";
import { HttpProblem } from "./problems";
import { WRITE_METHODS, onWriteRoutes } from "./route";

/**
 * What no field of any request may hold, whatever its schema says, checked before the schemas
 * (so a new route is covered without doing anything):
 * - invisible characters: Unicode format characters (zero-width spaces and joiners, bidi
 *   overrides, the BOM) and controls other than tab and line breaks, with which a name can look
 *   like another person's, or hide text from the office that reads it;
 * - words mixing Latin, Cyrillic or Greek letters (`Аnnа` with Latin n's: a homoglyph of
 *   `Анна`); words are runs of letters, so `IV-АБ` and `3D-принтер` are fine;
 * - strings longer than MAX_TEXT (a schema's own limit is usually far lower);
 * - numbers beyond 2^53, which JSON parsing has already rounded to something the client did not send.
 */
export const MAX_TEXT = 20_000;

// Format characters, and controls but tab, line feed and carriage return.
const INVISIBLE = /\p{Cf}|(?![\t\n\r])\p{Cc}/u;
const WORD = /[\p{L}\p{M}]+/gu;
const SCRIPTS = [/\p{Script=Latin}/u, /\p{Script=Cyrillic}/u, /\p{Script=Greek}/u] as const;
const MAX_DEPTH = 32;

function textIssue(text: string): string | undefined {
  if (text.length > MAX_TEXT) return `is longer than ${MAX_TEXT} characters`;
  if (INVISIBLE.test(text)) return "contains an invisible character (zero-width, bidi or control)";
  for (const [word] of text.matchAll(WORD)) {
    if (SCRIPTS.filter((script) => script.test(word)).length > 1) return `mixes alphabets in one word (${word.slice(0, 40)}): a letter of one looks like another's`;
  }
  return undefined;
}

/** Every string and number in `value` that breaks the rules above, named as a problem document names a field. */
export function inputTextIssues(value: unknown, path: string, depth = 0): InvalidParam[] {
  if (typeof value === "string") {
    const reason = textIssue(value);
    return reason ? [{ name: path, reason, rule: "text" }] : [];
  }
  if (typeof value === "number") {
    return Number.isFinite(value) && Math.abs(value) > Number.MAX_SAFE_INTEGER ? [{ name: path, reason: "is beyond 2^53: it cannot be read exactly", rule: "number" }] : [];
  }
  if (value === null || typeof value !== "object" || depth > MAX_DEPTH) return [];
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((item, index) => [String(index), item]) : Object.entries(value);
  return entries.flatMap(([key, inner]) => {
    const name = `${path}.${key}`;
    const keyReason = textIssue(key);
    return keyReason ? [{ name, reason: `its name ${keyReason}`, rule: "text" }] : inputTextIssues(inner, name, depth + 1);
  });
}

/**
 * Refuse such input on every write route with 400 HTTP.VALIDATION naming each field, before its
 * schema runs. Reads are left alone: their input is ids and filters their schemas bound, and
 * the lookups a family makes most (a queue position) pay nothing for it: the hook is on write
 * routes only (`onWriteRoutes`), so a read does not even pass through it.
 */
export function registerInputText(app: FastifyInstance): void {
  // A callback hook, not an async one: no promise and no turn of the microtask queue per request.
  onWriteRoutes(app, "preValidation", function refuseHiddenText(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
    if (!WRITE_METHODS.has(request.method)) {
      done();
      return;
    }
    const issues = [...inputTextIssues(request.body, "body"), ...inputTextIssues(request.query, "query"), ...inputTextIssues(request.params, "params")];
    done(issues.length > 0 ? new HttpProblem("HTTP.VALIDATION", `${issues.length} field(s) are invalid`, { invalidParams: issues }) : undefined);
  });
}
