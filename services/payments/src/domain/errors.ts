import { domainErrors, sharedErrorTexts, type ErrorCategory } from "@kruzhok/errors";

/**
 * Payments' closed set of domain errors. Codes are stable: clients and tests check them. Each
 * message says what to fix.
 */
const codes = {
  AMOUNT_INVALID: "validation",
  MONTH_INVALID: "validation",
  EXPORT_FORMAT: "validation",
  RULES_DATE_OUTSIDE_YEAR: "validation",
  RULES_RETROACTIVE: "validation",
  MUNICIPALITY_UNKNOWN: "not_found",
  CERTIFICATE_NOT_FOUND: "not_found",
  REGISTER_NOT_FOUND: "not_found",
  YEAR_UNKNOWN: "illegal_state",
  NOT_YOUR_REGISTER: "forbidden",
  NOT_YOUR_CERTIFICATE: "forbidden",
  INSUFFICIENT_FUNDS: "conflict",
  TRANSFER_REFUSED: "conflict",
  REGISTER_TRANSITION: "illegal_state",
  ADVANCE_NOT_OPEN: "illegal_state",
  ADVANCE_EXISTS: "conflict",
  ADVANCE_TOO_LARGE: "conflict",
  ADVANCE_NONE: "illegal_state",
} as const satisfies Record<string, ErrorCategory>;

export type PaymentsErrorCode = keyof typeof codes;

/** What each refusal says to the person, in Russian and Kazakh. */
const texts = {
  AMOUNT_INVALID: { ru: "Сумма должна быть целым положительным числом копеек (тиынов).", kk: "Сома тиынмен көрсетілген оң бүтін сан болуы керек." },
  MONTH_INVALID: { ru: "Месяц указан с ошибкой: ГГГГ-ММ.", kk: "Ай қате көрсетілген: ЖЖЖЖ-АА." },
  EXPORT_FORMAT: { ru: "Выгрузка бывает в CSV или XLSX.", kk: "Жүктеп алу CSV немесе XLSX пішімінде болады." },
  RULES_DATE_OUTSIDE_YEAR: {
    ru: "Дата вступления правил начисления в силу должна относиться к году, для которого они заданы.",
    kk: "Есептеу ережелерінің күшіне ену күні олар берілген жылға жатуы керек.",
  },
  RULES_RETROACTIVE: {
    ru: "Правила начисления не меняются задним числом: укажите сегодняшнюю или более позднюю дату вступления в силу.",
    kk: "Есептеу ережелері кері күнмен өзгертілмейді: күшіне енудің бүгінгі немесе кейінгі күнін көрсетіңіз.",
  },
  MUNICIPALITY_UNKNOWN: sharedErrorTexts.municipalityNotHeardYet,
  CERTIFICATE_NOT_FOUND: sharedErrorTexts.certificateNotFound,
  REGISTER_NOT_FOUND: { ru: "Такой реестр платежей не найден.", kk: "Мұндай төлем тізілімі табылмады." },
  YEAR_UNKNOWN: {
    ru: "Бюджет муниципалитета на этот год ещё не задан.",
    kk: "Муниципалитеттің биылғы бюджеті әлі белгіленбеген.",
  },
  NOT_YOUR_REGISTER: { ru: "Это реестр другой организации или муниципалитета.", kk: "Бұл басқа ұйымның немесе муниципалитеттің тізілімі." },
  NOT_YOUR_CERTIFICATE: { ru: "Это сертификат другого ребёнка.", kk: "Бұл басқа баланың сертификаты." },
  INSUFFICIENT_FUNDS: { ru: "Средств недостаточно.", kk: "Қаражат жеткіліксіз." },
  TRANSFER_REFUSED: { ru: "Перевод средств отклонён.", kk: "Қаражатты аудару қабылданбады." },
  REGISTER_TRANSITION: { ru: "В текущем состоянии реестра это действие невозможно.", kk: "Тізілімнің қазіргі күйінде бұл әрекет мүмкін емес." },
  ADVANCE_NOT_OPEN: {
    ru: "Аванс за месяц можно запросить со второго рабочего дня до конца этого месяца.",
    kk: "Ай үшін аванс сол айдың екінші жұмыс күнінен айдың соңына дейін сұралады.",
  },
  ADVANCE_EXISTS: { ru: "Аванс за этот месяц уже запрошен.", kk: "Бұл ай үшін аванс сұралған." },
  ADVANCE_TOO_LARGE: {
    ru: "Аванс не может быть больше суммы, зарезервированной за вашими зачислениями.",
    kk: "Аванс сіздің қабылдауларыңызға резервтелген сомадан аспауы керек.",
  },
  ADVANCE_NONE: { ru: "За месяц этого реестра аванс не выплачивался: сверять нечего.", kk: "Бұл тізілімнің айы үшін аванс төленбеген: салыстыратын ештеңе жоқ." },
} as const;

export const paymentsError = domainErrors("PAYMENTS", codes, texts);

/**
 * What an event needs has not reached payments yet: it travels on another partition or topic
 * (the registry's year settings beside its certificates' financing; the catalogue's groups beside
 * attendance's summaries), so an event may come first. Not a DomainError on purpose: the consumer
 * runner retries it with backoff (and parks it if the news never comes) instead of dead-lettering
 * an event that is only early, which left a financed certificate without its money.
 */
export class NotHeardYet extends Error {
  override readonly name = "NotHeardYet";
}
