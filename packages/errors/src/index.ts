/**
 * The closed set of error categories. Every domain error has one, and the HTTP layer maps each
 * category to one status once (packages/http); consumers treat every domain error as permanent
 * (dead-letter topic), since retrying a broken rule cannot make it pass.
 */
export const ErrorCategories = ["validation", "not_found", "conflict", "forbidden", "illegal_state", "unauthorized"] as const;
export type ErrorCategory = (typeof ErrorCategories)[number];

export interface DomainErrorDetails {
  /**
   * The field of the command the rule is about, as a path (`child.birthDate`, `guardianIds.0`),
   * never an HTTP one: the route names it in the request (`body.child.birthDate`, the http
   * kit's `requestFieldOf`).
   */
  field?: string;
  /**
   * The refusal rests only on news of another service that has not arrived yet (a group the
   * catalogue opened a moment ago, a certificate the registry just issued): the same request
   * may pass once it does. The http kit does not record such an answer under the request's
   * Idempotency-Key, so a retry with the same key runs again instead of replaying it for ever.
   */
  awaitingNews?: boolean;
  [key: string]: unknown;
}

/**
 * A rule said no. `code` is stable (`ENROLLMENT.SEAT_TAKEN`): clients and tests check it, never
 * the message. The message is for the person: it says what to fix.
 */
export class DomainError extends Error {
  override readonly name = "DomainError";
  constructor(
    readonly code: string,
    readonly category: ErrorCategory,
    message: string,
    readonly details: DomainErrorDetails = {},
  ) {
    super(message);
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

/** A failure that retrying cannot mend: a message that breaks its schema or a domain rule. */
export class PermanentError extends Error {
  override readonly name = "PermanentError";
}

export function isPermanent(error: unknown): boolean {
  return error instanceof PermanentError || error instanceof DomainError;
}

/**
 * What a refusal says to a family, a provider or an official, in Russian and Kazakh: one sentence
 * per code, saying what is wrong and what to do. The English message of the error stays the
 * developer's (logs, and problem documents asked for in English).
 */
export interface ErrorMessage {
  ru: string;
  kk: string;
}
export type ErrorLanguage = keyof ErrorMessage;

/** Sentences several services say alike (each service's table takes them by name: one wording for one situation). */
export const sharedErrorTexts = {
  notYourChild: { ru: "Вы не указаны законным представителем этого ребёнка.", kk: "Сіз осы баланың заңды өкілі ретінде көрсетілмегенсіз." },
  notYourGroup: { ru: "Это группа другой организации.", kk: "Бұл басқа ұйымның тобы." },
  municipalityNotHeardYet: {
    ru: "Сведения о муниципалитете ещё не поступили: повторите через минуту.",
    kk: "Муниципалитет туралы мәліметтер әлі түскен жоқ: бір минуттан соң қайталаңыз.",
  },
  yearSettingsMissing: {
    ru: "Параметры года для муниципалитета ещё не заданы: обратитесь в управление образования.",
    kk: "Муниципалитет үшін жыл параметрлері әлі белгіленбеген: білім басқармасына хабарласыңыз.",
  },
  groupNotFound: { ru: "Такая группа не найдена.", kk: "Мұндай топ табылмады." },
  groupClosed: { ru: "Группа закрыта.", kk: "Топ жабық." },
  certificateNotFound: { ru: "Такой сертификат не найден.", kk: "Мұндай сертификат табылмады." },
  providerNotFound: { ru: "Такая организация не найдена.", kk: "Мұндай ұйым табылмады." },
  applicationNotFound: { ru: "Такое заявление не найдено.", kk: "Мұндай өтініш табылмады." },
  enrollmentNotFound: { ru: "Такое зачисление не найдено.", kk: "Мұндай қабылдау табылмады." },
  lessonTimeInverted: { ru: "Занятие заканчивается раньше, чем начинается: проверьте время.", kk: "Сабақ басталмай жатып аяқталады: уақытты тексеріңіз." },
} as const satisfies Record<string, ErrorMessage>;

const messages = new Map<string, ErrorMessage>();

/** Make the sentences of codes known to the HTTP layer (a service's table does it when loaded; the kit's own codes too). */
export function registerErrorMessages(entries: Readonly<Record<string, ErrorMessage>>): void {
  for (const [code, message] of Object.entries(entries)) messages.set(code, message);
}

/** The sentence of `code` in `language`; undefined for a code nobody registered. */
export function errorMessage(code: string, language: ErrorLanguage): string | undefined {
  return messages.get(code)?.[language];
}

/**
 * A service's error constructor over its closed table of codes: `registryError("CAP_REACHED",
 * message, { field })` makes `REGISTRY.CAP_REACHED` with the category the table gives it. Every
 * code has its sentences in `texts` (the compiler refuses a table that misses one).
 */
export function domainErrors<const Codes extends Record<string, ErrorCategory>>(prefix: string, codes: Codes, texts: { readonly [K in keyof Codes]: ErrorMessage }) {
  registerErrorMessages(Object.fromEntries(Object.entries(texts).map(([code, text]) => [`${prefix}.${code}`, text])));
  return (code: keyof Codes & string, message: string, details: DomainErrorDetails = {}): DomainError =>
    new DomainError(`${prefix}.${code}`, codes[code]!, message, details);
}
