import { domainErrors, sharedErrorTexts, type ErrorCategory } from "@kruzhok/errors";

/**
 * The catalogue's closed set of domain errors. Codes are stable: clients and tests check them.
 * Each message says what to fix.
 */
const codes = {
  AGE_RANGE_INVERTED: "validation",
  HOURS_INCONSISTENT: "validation",
  CURRENCY_MISMATCH: "validation",
  CERTIFICATION_REQUIRED: "validation",
  CERTIFICATION_INVALID: "validation",
  CERTIFICATION_EXPIRED: "validation",
  SLOT_INVERTED: "validation",
  SLOTS_OVERLAP: "validation",
  SCHEDULE_ZONE_MISMATCH: "validation",
  GROUP_DATES_INVERTED: "validation",
  DATE_IMPLAUSIBLE: "validation",
  EXCEPTION_OUTSIDE_GROUP: "validation",
  CURSOR_INVALID: "validation",
  PROGRAM_NOT_FOUND: "not_found",
  GROUP_NOT_FOUND: "not_found",
  ENROLLMENT_NOT_FOUND: "not_found",
  PROVIDER_NOT_FOUND: "not_found",
  NOT_YOUR_PROGRAM: "forbidden",
  NOT_YOUR_CHILD: "forbidden",
  PROVIDER_NOT_APPROVED: "illegal_state",
  MUNICIPALITY_UNKNOWN: "illegal_state",
  PROGRAM_TRANSITION: "illegal_state",
  PROGRAM_WITHDRAWN: "illegal_state",
  GROUP_CLOSED: "illegal_state",
  CAPACITY_BELOW_ENROLLED: "illegal_state",
  ENROLLMENT_NOT_ENDED: "illegal_state",
  REVIEW_EXISTS: "conflict",
} as const satisfies Record<string, ErrorCategory>;

export type CatalogueErrorCode = keyof typeof codes;

/** What each refusal says to the person, in Russian and Kazakh. */
const texts = {
  AGE_RANGE_INVERTED: { ru: "Возраст «от» больше возраста «до»: поменяйте их местами.", kk: "«Бастап» жасы «дейін» жасынан үлкен: оларды ауыстырыңыз." },
  HOURS_INCONSISTENT: {
    ru: "Часы в неделю больше общего числа часов программы: проверьте оба числа.",
    kk: "Аптадағы сағаттар бағдарламаның жалпы сағатынан көп: екі санды да тексеріңіз.",
  },
  CURRENCY_MISMATCH: { ru: "Укажите цену в валюте муниципалитета.", kk: "Бағаны муниципалитеттің валютасында көрсетіңіз." },
  CERTIFICATION_REQUIRED: {
    ru: "Программа, оплачиваемая сертификатом, должна пройти сертификацию: укажите её номер и срок.",
    kk: "Сертификатпен төленетін бағдарлама сертификаттаудан өтуі керек: оның нөмірі мен мерзімін көрсетіңіз.",
  },
  CERTIFICATION_INVALID: {
    ru: "Сведения о сертификации указаны с ошибкой: срок должен заканчиваться позже даты выдачи.",
    kk: "Сертификаттау туралы мәліметтер қате: мерзімі берілген күннен кейін аяқталуы керек.",
  },
  CERTIFICATION_EXPIRED: {
    ru: "Срок сертификации программы истёк: продлите сертификацию.",
    kk: "Бағдарламаның сертификаттау мерзімі өтті: сертификаттауды ұзартыңыз.",
  },
  SLOT_INVERTED: sharedErrorTexts.lessonTimeInverted,
  SLOTS_OVERLAP: { ru: "Занятия в расписании пересекаются: разведите их по времени.", kk: "Кестедегі сабақтар қабаттасады: оларды уақыт бойынша ажыратыңыз." },
  SCHEDULE_ZONE_MISMATCH: {
    ru: "Расписание должно быть в часовом поясе муниципалитета.",
    kk: "Кесте муниципалитеттің уақыт белдеуінде болуы керек.",
  },
  GROUP_DATES_INVERTED: { ru: "Группа заканчивается раньше, чем начинается: проверьте даты.", kk: "Топ басталмай жатып аяқталады: күндерді тексеріңіз." },
  DATE_IMPLAUSIBLE: { ru: "Дата слишком далеко в прошлом: проверьте год.", kk: "Күн тым ертеде: жылын тексеріңіз." },
  EXCEPTION_OUTSIDE_GROUP: {
    ru: "Дата отмены занятий лежит вне дат группы.",
    kk: "Сабақ болмайтын күн топтың мерзімінен тыс.",
  },
  CURSOR_INVALID: { ru: "Ссылка на следующую страницу устарела: начните поиск заново.", kk: "Келесі бетке сілтеме ескірген: іздеуді қайта бастаңыз." },
  PROGRAM_NOT_FOUND: { ru: "Такая программа не найдена.", kk: "Мұндай бағдарлама табылмады." },
  GROUP_NOT_FOUND: sharedErrorTexts.groupNotFound,
  ENROLLMENT_NOT_FOUND: sharedErrorTexts.enrollmentNotFound,
  PROVIDER_NOT_FOUND: sharedErrorTexts.providerNotFound,
  NOT_YOUR_PROGRAM: { ru: "Это программа другой организации.", kk: "Бұл басқа ұйымның бағдарламасы." },
  NOT_YOUR_CHILD: sharedErrorTexts.notYourChild,
  PROVIDER_NOT_APPROVED: {
    ru: "Организация ещё не одобрена регионом: публиковать программы можно после одобрения.",
    kk: "Ұйымды өңір әлі мақұлдаған жоқ: бағдарламаларды мақұлдаудан кейін жариялауға болады.",
  },
  MUNICIPALITY_UNKNOWN: sharedErrorTexts.municipalityNotHeardYet,
  PROGRAM_TRANSITION: { ru: "В текущем статусе программы это действие невозможно.", kk: "Бағдарламаның қазіргі мәртебесінде бұл әрекет мүмкін емес." },
  PROGRAM_WITHDRAWN: { ru: "Программа снята с публикации: её нельзя изменить.", kk: "Бағдарлама жариялаудан алынған: оны өзгертуге болмайды." },
  GROUP_CLOSED: sharedErrorTexts.groupClosed,
  CAPACITY_BELOW_ENROLLED: {
    ru: "Мест меньше, чем уже зачислено детей: укажите не меньше их числа.",
    kk: "Орын саны қабылданған балалардан аз: олардың санынан кем емес мән көрсетіңіз.",
  },
  ENROLLMENT_NOT_ENDED: {
    ru: "Отзыв можно оставить после окончания занятий ребёнка в программе.",
    kk: "Пікірді бала бағдарламадағы сабақтарын аяқтағаннан кейін қалдыруға болады.",
  },
  REVIEW_EXISTS: { ru: "Отзыв на это зачисление уже оставлен.", kk: "Бұл қабылдау туралы пікір қалдырылған." },
} as const;

export const catalogueError = domainErrors("CATALOGUE", codes, texts);
