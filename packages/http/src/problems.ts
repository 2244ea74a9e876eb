import type { FastifyReply, FastifyRequest } from "fastify";
import { ActorErrorCodes } from "@kruzhok/actor";
import type { InvalidParam, ProblemDocument } from "@kruzhok/contracts";
import { errorMessage, isDomainError, type DomainError, type ErrorCategory, type ErrorLanguage, type ErrorMessage } from "@kruzhok/errors";
import { negotiateLanguage } from "@kruzhok/i18n";
import { QueueFullError, isDatabaseUnavailable } from "@kruzhok/postgres";
import { routeOptionsOf } from "./route";

/**
 * Where a domain error's field is in the request. `as-is`: the field names no part of the
 * request (the state a rule looked at), or a route's clients have always seen it bare.
 */
export type RequestPart = "body" | "query" | "params" | "headers" | "as-is";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * The request part of domain errors' fields, by the field's first segment, where it is not
     * the body: `{ childId: "params" }` makes a use case's `childId` the client's `params.childId`.
     */
    fieldsIn?: Readonly<Record<string, RequestPart>>;
  }
}

/**
 * The name a client sees for a domain error's field: use cases and rules name the command's
 * field (`childId`, `guardianIds.0`), the client the request's (`body.childId`). The body unless
 * the route's `fieldsIn` says otherwise.
 */
export function requestFieldOf(field: string, fieldsIn: Readonly<Record<string, RequestPart>> = {}): string {
  const part = fieldsIn[field.split(".", 1)[0] ?? field] ?? "body";
  return part === "as-is" ? field : `${part}.${field}`;
}

/**
 * The closed set of codes the HTTP layer itself answers with. Domain errors carry their own
 * codes (`ENROLLMENT.SEAT_TAKEN`); these are the ones no domain owns. Clients check `code`,
 * never `title` or `detail`.
 */
export const HttpErrorCodes = {
  "HTTP.VALIDATION": {
    status: 400,
    title: "The request does not match its schema",
    ru: "Некоторые поля заполнены неверно: исправьте отмеченные поля.",
    kk: "Кейбір өрістер қате толтырылған: белгіленген өрістерді түзетіңіз.",
  },
  "HTTP.MALFORMED_BODY": { status: 400, title: "The request body is not valid JSON", ru: "Запрос повреждён: отправьте его ещё раз.", kk: "Сұрау бүлінген: оны қайта жіберіңіз." },
  /** Any other 4xx Fastify raises (bad Content-Length, …); the status is Fastify's. */
  "HTTP.BAD_REQUEST": { status: 400, title: "The request cannot be processed", ru: "Запрос не удалось обработать: отправьте его ещё раз.", kk: "Сұрауды өңдеу мүмкін болмады: оны қайта жіберіңіз." },
  "HTTP.ADDRESS_NOT_ALLOWED": { status: 403, title: "Not served to this client address", ru: "С этого адреса доступ закрыт.", kk: "Бұл мекенжайдан кіруге болмайды." },
  "HTTP.NOT_FOUND": { status: 404, title: "No such route", ru: "Такой страницы нет.", kk: "Мұндай бет жоқ." },
  "HTTP.REQUEST_TIMEOUT": { status: 408, title: "The request did not arrive whole in time", ru: "Запрос пришёл не целиком: отправьте его ещё раз.", kk: "Сұрау толық келмеді: оны қайта жіберіңіз." },
  "HTTP.BAD_URL": { status: 400, title: "The URL is not valid", ru: "Адрес указан с ошибкой.", kk: "Мекенжай қате көрсетілген." },
  "HTTP.IDEMPOTENCY_IN_PROGRESS": {
    status: 409,
    title: "A request with this Idempotency-Key is still running",
    ru: "Такой же запрос ещё выполняется: подождите немного и обновите страницу.",
    kk: "Дәл осындай сұрау әлі орындалып жатыр: сәл күтіп, бетті жаңартыңыз.",
  },
  "HTTP.PAYLOAD_TOO_LARGE": { status: 413, title: "The request body is too large", ru: "Отправлено слишком много данных: уменьшите объём.", kk: "Тым көп дерек жіберілді: көлемін азайтыңыз." },
  "HTTP.URI_TOO_LONG": { status: 414, title: "A segment of the URL is too long", ru: "Адрес слишком длинный.", kk: "Мекенжай тым ұзын." },
  "HTTP.UNSUPPORTED_MEDIA_TYPE": { status: 415, title: "The content type is not supported", ru: "Данные отправлены в неподдерживаемом формате.", kk: "Деректер қолдау көрсетілмейтін пішімде жіберілді." },
  "HTTP.IDEMPOTENCY_KEY_REUSED": {
    status: 422,
    title: "The Idempotency-Key was used for a different request",
    ru: "Этот ключ повтора уже использован для другого запроса: начните действие заново.",
    kk: "Бұл қайталау кілті басқа сұрау үшін қолданылған: әрекетті қайта бастаңыз.",
  },
  "HTTP.RATE_LIMITED": { status: 429, title: "Too many requests", ru: "Слишком много запросов: повторите чуть позже.", kk: "Сұраулар тым көп: сәл кейінірек қайталаңыз." },
  "HTTP.HEADERS_TOO_LARGE": { status: 431, title: "The request's headers are too large", ru: "Запрос слишком велик.", kk: "Сұрау тым үлкен." },
  "HTTP.INTERNAL": {
    status: 500,
    title: "Internal error",
    ru: "У нас что-то сломалось: повторите позже, а при обращении в поддержку назовите номер запроса.",
    kk: "Бізде бірдеңе бұзылды: кейінірек қайталаңыз, қолдау қызметіне жүгінгенде сұрау нөмірін айтыңыз.",
  },
  "HTTP.NOT_READY": { status: 503, title: "The service is not ready", ru: "Сервис ещё запускается: повторите через минуту.", kk: "Қызмет әлі іске қосылып жатыр: бір минуттан соң қайталаңыз." },
  "HTTP.OVERLOADED": {
    status: 503,
    title: "The service is overloaded; retry after the time given",
    ru: "Сервис перегружен: повторите через несколько секунд.",
    kk: "Қызмет шамадан тыс жүктелген: бірнеше секундтан соң қайталаңыз.",
  },
  "HTTP.DATABASE_UNAVAILABLE": {
    status: 503,
    title: "The service's database is unavailable for a moment; retry after the time given",
    ru: "Сервис ненадолго недоступен: повторите через несколько секунд.",
    kk: "Қызмет біраз уақытқа қолжетімсіз: бірнеше секундтан соң қайталаңыз.",
  },
  "HTTP.QUEUE_FULL": {
    status: 503,
    title: "Too many requests of this kind are waiting; retry after the time given",
    ru: "Сейчас очень много таких запросов: повторите через несколько секунд.",
    kk: "Қазір мұндай сұраулар өте көп: бірнеше секундтан соң қайталаңыз.",
  },
  "HTTP.TIMEOUT": {
    status: 503,
    title: "The request took too long and was given up; retry after the time given",
    ru: "Запрос выполнялся слишком долго: повторите через несколько секунд.",
    kk: "Сұрау тым ұзақ орындалды: бірнеше секундтан соң қайталаңыз.",
  },
  "AUTH.UNAUTHENTICATED": { status: 401, title: "Authentication required", ru: "Войдите в систему.", kk: "Жүйеге кіріңіз." },
} as const satisfies Record<string, { status: number; title: string } & ErrorMessage>;
export type HttpErrorCode = keyof typeof HttpErrorCodes;

/**
 * Domain categories to statuses, once for the house.
 * - validation → 422: the body matched its schema (else 400 HTTP.VALIDATION) but a rule refused
 *   it, so clients can tell "fix the form" from "fix the request".
 * - illegal_state → 409: the request is fine, the resource's current state refuses it
 *   (RFC 9110 §15.5.10); retrying after the state changes may pass.
 */
export const categoryStatus: Record<ErrorCategory, { status: number; title: string } & ErrorMessage> = {
  validation: { status: 422, title: "A rule refused the request", ru: "Правило не позволяет это сделать", kk: "Ереже мұны істеуге мүмкіндік бермейді" },
  not_found: { status: 404, title: "Not found", ru: "Не найдено", kk: "Табылмады" },
  conflict: { status: 409, title: "Conflict", ru: "Уже сделано или противоречит сделанному", kk: "Бұрын жасалған немесе жасалғанға қайшы" },
  forbidden: { status: 403, title: "Forbidden", ru: "Нет доступа", kk: "Қолжетімділік жоқ" },
  illegal_state: { status: 409, title: "Not allowed in the current state", ru: "Сейчас это сделать нельзя", kk: "Қазір мұны істеуге болмайды" },
  unauthorized: { status: 401, title: "Authentication required", ru: "Войдите в систему", kk: "Жүйеге кіріңіз" },
};

/** An HTTP-layer refusal with a code from the closed table; the error handler renders it. */
export class HttpProblem extends Error {
  override readonly name = "HttpProblem";
  readonly status: number;
  constructor(
    readonly code: HttpErrorCode,
    detail: string,
    readonly extra: { invalidParams?: InvalidParam[]; headers?: Record<string, string>; reasonsLocalized?: boolean } = {},
  ) {
    super(detail);
    this.status = HttpErrorCodes[code].status;
  }
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json; charset=utf-8";
export const BEARER_CHALLENGE = 'Bearer realm="kruzhok"';

/** What the error handler sends, and whether the cause is ours (logged as an error) or theirs. */
export interface Problem {
  body: ProblemDocument;
  headers: Record<string, string>;
  internal: boolean;
}

/**
 * The language of a problem document: what the request's Accept-Language asks for among Russian,
 * Kazakh and English; English (the developer's) when it asks for none of them.
 */
export type ProblemLanguage = "en" | ErrorLanguage;
const PROBLEM_LANGUAGES: readonly ProblemLanguage[] = ["en", "ru", "kk"];

interface Occurrence {
  instance: string;
  requestId: string;
  /** en when not given. */
  language?: ProblemLanguage | undefined;
  /** The route's `fieldsIn`. */
  fieldsIn?: Readonly<Record<string, RequestPart>> | undefined;
}

function problem(
  code: string,
  status: number,
  title: string,
  detail: string,
  at: Occurrence,
  extra: { invalidParams?: InvalidParam[]; headers?: Record<string, string> } = {},
): Problem {
  const body: ProblemDocument = {
    type: `urn:kruzhok:problem:${code}`,
    title,
    status,
    detail,
    instance: at.instance,
    code,
    ...(extra.invalidParams?.length && { invalidParams: extra.invalidParams }),
    requestId: at.requestId,
  };
  const language = at.language ?? "en";
  return { body, headers: { ...extra.headers, "content-language": language, vary: "Accept-Language" }, internal: status >= 500 };
}

export function httpProblem(code: HttpErrorCode, detail: string, at: Occurrence, extra: HttpProblem["extra"] = {}): Problem {
  const entry = HttpErrorCodes[code];
  const language = at.language ?? "en";
  if (language === "en") return problem(code, entry.status, entry.title, detail, at, extra);
  // The person's language: the code's sentence, and each field's rule in words.
  const invalidParams = extra.reasonsLocalized ? extra.invalidParams : extra.invalidParams?.map((param) => ({ ...param, reason: ruleReason(param.rule, language) }));
  return problem(code, entry.status, entry[language], entry[language], at, { ...extra, invalidParams });
}

/** One schema failure as Fastify reports it (both zod via the type provider and ajv). */
interface SchemaIssue {
  keyword: string;
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

const contextNames: Record<string, string> = { querystring: "query" };

/**
 * `body.child.birthDate` for each failed field. A strict object's unknown keys arrive as one
 * issue on the parent; each key becomes its own entry so the client sees every field named.
 */
export function invalidParamsOf(issues: readonly SchemaIssue[], context = "body", language: ProblemLanguage = "en"): InvalidParam[] {
  const root = contextNames[context] ?? context;
  const nameOf = (segments: readonly string[]) => [root, ...segments].join(".");
  const english = issues.flatMap((issue): (InvalidParam & { params?: Record<string, unknown> })[] => {
    const segments = issue.instancePath.split("/").filter((segment) => segment !== "");
    const unknownKeys = issue.params?.keys;
    if (issue.keyword === "unrecognized_keys" && Array.isArray(unknownKeys)) {
      return unknownKeys.map((key) => ({
        name: nameOf([...segments, String(key)]),
        reason: "is not a known field",
        rule: issue.keyword,
      }));
    }
    const extraProperty = issue.params?.additionalProperty;
    if (issue.keyword === "additionalProperties" && typeof extraProperty === "string") {
      return [{ name: nameOf([...segments, extraProperty]), reason: "is not a known field", rule: issue.keyword }];
    }
    return [{ name: nameOf(segments), reason: issue.message ?? "is invalid", rule: issue.keyword, params: issue.params }];
  });
  // The person's language: each rule in words, a number's bounds as they are.
  return english.map(({ params, ...param }) => (language === "en" ? param : { ...param, reason: ruleReason(param.rule, language, params) }));
}

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
  validation?: unknown;
  validationContext?: unknown;
}

/** Seconds a client is told to wait when the database is unavailable (a restart takes a few). */
const RETRY_AFTER_S = 2;

/** Map anything thrown while handling a request to the problem document the client gets. */
export function toProblem(error: unknown, at: Occurrence): Problem {
  if (error instanceof HttpProblem) return httpProblem(error.code, error.message, at, error.extra);
  if (isDomainError(error)) {
    const { status } = categoryStatus[error.category];
    const field = error.details.field;
    const language = at.language ?? "en";
    const message = (language === "en" ? undefined : errorMessage(error.code, language)) ?? error.message;
    return problem(error.code, status, titleOf(error, language), message, at, {
      invalidParams: field ? [{ name: requestFieldOf(field, at.fieldsIn), reason: message, rule: error.code }] : undefined,
      headers: error.category === "unauthorized" ? { "www-authenticate": BEARER_CHALLENGE } : undefined,
    });
  }
  const fastifyError = (typeof error === "object" && error !== null ? error : {}) as FastifyLikeError;
  if (Array.isArray(fastifyError.validation)) {
    const context = typeof fastifyError.validationContext === "string" ? fastifyError.validationContext : "body";
    const invalidParams = invalidParamsOf(fastifyError.validation as SchemaIssue[], context, at.language);
    return httpProblem("HTTP.VALIDATION", `${invalidParams.length} field(s) are invalid`, at, { invalidParams, reasonsLocalized: true });
  }
  switch (fastifyError.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return httpProblem("HTTP.PAYLOAD_TOO_LARGE", "The request body exceeds the size limit", at);
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return httpProblem("HTTP.MALFORMED_BODY", "The body must be a JSON document", at);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return httpProblem("HTTP.UNSUPPORTED_MEDIA_TYPE", "Send application/json", at);
    // The router's refusals (Fastify's frameworkErrors): before any route matched, so no field can be named.
    case "FST_ERR_MAX_PARAM_LENGTH":
      return httpProblem("HTTP.URI_TOO_LONG", "A segment of the path is longer than any route takes", at);
    case "FST_ERR_BAD_URL":
      return httpProblem("HTTP.BAD_URL", "The path is not a valid URL (a malformed percent-encoding)", at);
  }
  // Our dependency failed, not the request: the client is told to come back (with its
  // Idempotency-Key, a retry cannot do the work twice). Logged as internal (5xx).
  if (isDatabaseUnavailable(error)) {
    return httpProblem("HTTP.DATABASE_UNAVAILABLE", `The database did not answer in time; retry in ${RETRY_AFTER_S} s`, at, {
      headers: { "retry-after": String(RETRY_AFTER_S) },
    });
  }
  if (error instanceof QueueFullError) {
    return httpProblem("HTTP.QUEUE_FULL", `${error.message}; retry in ${error.retryAfterSeconds} s`, at, {
      headers: { "retry-after": String(error.retryAfterSeconds) },
    });
  }
  if (fastifyError.code === "FST_ERR_HANDLER_TIMEOUT") {
    return httpProblem("HTTP.TIMEOUT", `The request was not answered within the service's time limit; retry in ${RETRY_AFTER_S} s`, at, {
      headers: { "retry-after": String(RETRY_AFTER_S) },
    });
  }
  const status = typeof fastifyError.statusCode === "number" ? fastifyError.statusCode : 500;
  if (status >= 400 && status < 500) {
    // Fastify's own 4xx messages describe the request, not our internals, so they can be shown.
    const detail = typeof fastifyError.message === "string" ? fastifyError.message : "Bad request";
    const { title, ...texts } = HttpErrorCodes["HTTP.BAD_REQUEST"];
    const language = at.language ?? "en";
    return language === "en" ? problem("HTTP.BAD_REQUEST", status, title, detail, at) : problem("HTTP.BAD_REQUEST", status, texts[language], texts[language], at);
  }
  return httpProblem("HTTP.INTERNAL", "Something went wrong on our side; quote the requestId when reporting it", at);
}

/** A domain error's title: its category's, but the actor's refusals keep the titles clients have always seen (in English). */
function titleOf(error: DomainError, language: ProblemLanguage): string {
  if (language !== "en") return categoryStatus[error.category][language];
  const actorCode = ActorErrorCodes[error.code as keyof typeof ActorErrorCodes] as { title: string } | undefined;
  return actorCode?.title ?? categoryStatus[error.category].title;
}

/** What a schema rule asks of a field, in the person's language (the rule's code stays in `rule`). */
const ruleTexts: Record<string, ErrorMessage> = {
  required: { ru: "обязательное поле", kk: "міндетті өріс" },
  invalid_type: { ru: "значение не того вида: проверьте, что введено", kk: "мәннің түрі дұрыс емес: енгізілгенді тексеріңіз" },
  type: { ru: "значение не того вида: проверьте, что введено", kk: "мәннің түрі дұрыс емес: енгізілгенді тексеріңіз" },
  too_small: { ru: "слишком мало или слишком коротко", kk: "тым аз немесе тым қысқа" },
  too_big: { ru: "слишком много или слишком длинно", kk: "тым көп немесе тым ұзын" },
  invalid_format: { ru: "неверный формат", kk: "пішімі дұрыс емес" },
  format: { ru: "неверный формат", kk: "пішімі дұрыс емес" },
  pattern: { ru: "неверный формат", kk: "пішімі дұрыс емес" },
  invalid_value: { ru: "недопустимое значение: выберите из предложенных", kk: "рұқсат етілмеген мән: ұсынылғандардан таңдаңыз" },
  enum: { ru: "недопустимое значение: выберите из предложенных", kk: "рұқсат етілмеген мән: ұсынылғандардан таңдаңыз" },
  unrecognized_keys: { ru: "лишнее поле: уберите его", kk: "артық өріс: оны алып тастаңыз" },
  additionalProperties: { ru: "лишнее поле: уберите его", kk: "артық өріс: оны алып тастаңыз" },
};

/** A rule's words; a number's bounds (zod's `minimum`, `maximum` of a number) said as they are. */
function ruleReason(rule: string | undefined, language: ErrorLanguage, params: Record<string, unknown> = {}): string {
  if (params.origin === "number" && rule === "too_small" && typeof params.minimum === "number") {
    return language === "ru" ? `должно быть не меньше ${params.minimum}` : `кемінде ${params.minimum} болуы керек`;
  }
  if (params.origin === "number" && rule === "too_big" && typeof params.maximum === "number") {
    return language === "ru" ? `должно быть не больше ${params.maximum}` : `ең көбі ${params.maximum} болуы керек`;
  }
  return ruleTexts[rule ?? ""]?.[language] ?? (language === "ru" ? "значение не прошло проверку" : "мән тексеруден өтпеді");
}

export function occurrenceOf(request: FastifyRequest): Occurrence {
  return {
    instance: request.url.split("?", 1)[0] ?? request.url,
    requestId: request.id,
    fieldsIn: routeOptionsOf(request).config?.fieldsIn,
    language: negotiateLanguage(request.headers["accept-language"], PROBLEM_LANGUAGES, "en"),
  };
}

/**
 * Send a problem as a string so that no route's response serializer reshapes it.
 */
export function sendProblem(reply: FastifyReply, { body, headers }: Problem): FastifyReply {
  return reply.code(body.status).headers(headers).header("content-type", PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}
