import { domainErrors, sharedErrorTexts, type ErrorCategory } from "@kruzhok/errors";

/**
 * Attendance's closed set of domain errors. Codes are stable: clients and tests check them.
 * Each message says what to fix.
 */
const codes = {
  LESSON_NOT_IN_MONTH: "validation",
  DUPLICATE_CHILD: "validation",
  DATES_INVERTED: "validation",
  NOTICE_TOO_LONG: "validation",
  NOTICE_SUBJECT: "validation",
  LESSON_TIME_INVALID: "validation",
  RULES_INVALID: "validation",
  RULES_DATE_OUTSIDE_YEAR: "validation",
  RULES_RETROACTIVE: "validation",
  MONTH_NOT_ENDED: "validation",
  GROUP_NOT_FOUND: "not_found",
  MUNICIPALITY_UNKNOWN: "not_found",
  MARK_NOT_FOUND: "not_found",
  NOTICE_NOT_FOUND: "not_found",
  SIGNAL_NOT_FOUND: "not_found",
  CHILD_UNKNOWN: "not_found",
  NOT_YOUR_GROUP: "forbidden",
  NOT_YOUR_PROVIDER: "forbidden",
  NOT_YOUR_CHILD: "forbidden",
  NOT_ON_ROSTER: "illegal_state",
  LESSON_NOT_STARTED: "illegal_state",
  MONTH_CLOSED: "illegal_state",
  MONTH_NOT_CLOSED: "illegal_state",
  GROUP_CLOSED: "illegal_state",
  NOT_DISPUTED: "illegal_state",
  PROOF_NOT_NEEDED: "illegal_state",
  SIGNAL_RESOLVED: "illegal_state",
} as const satisfies Record<string, ErrorCategory>;

export type AttendanceErrorCode = keyof typeof codes;

/** What each refusal says to the person, in Russian and Kazakh. */
const texts = {
  LESSON_NOT_IN_MONTH: { ru: "Занятие не относится к этому месяцу.", kk: "Сабақ осы айға жатпайды." },
  DUPLICATE_CHILD: { ru: "Ребёнок отмечен дважды: оставьте одну отметку.", kk: "Бала екі рет белгіленген: бір белгіні қалдырыңыз." },
  DATES_INVERTED: { ru: "Дата окончания раньше даты начала: проверьте даты.", kk: "Аяқталу күні басталу күнінен ерте: күндерді тексеріңіз." },
  NOTICE_TOO_LONG: {
    ru: "Уведомление охватывает не больше года: на остальное время подайте ещё одно.",
    kk: "Хабарлама бір жылдан аспайды: қалған уақытқа тағы біреуін беріңіз.",
  },
  NOTICE_SUBJECT: {
    ru: "Уведомление указано не для того: карантин и ремонт касаются всей группы, болезнь и отпуск — ребёнка.",
    kk: "Хабарлама дұрыс көрсетілмеген: карантин мен жөндеу бүкіл топқа, ауру мен демалыс балаға қатысты.",
  },
  LESSON_TIME_INVALID: sharedErrorTexts.lessonTimeInverted,
  RULES_INVALID: {
    ru: "Правила учёта посещаемости указаны с ошибкой: праздники должны относиться к этому году.",
    kk: "Қатысуды есепке алу ережелері қате: мерекелер осы жылға жатуы керек.",
  },
  RULES_DATE_OUTSIDE_YEAR: {
    ru: "Дата вступления правил в силу должна относиться к году, для которого они заданы.",
    kk: "Ережелердің күшіне ену күні олар берілген жылға жатуы керек.",
  },
  RULES_RETROACTIVE: {
    ru: "Правила не меняются задним числом: укажите сегодняшнюю или более позднюю дату вступления в силу.",
    kk: "Ережелер кері күнмен өзгертілмейді: күшіне енудің бүгінгі немесе кейінгі күнін көрсетіңіз.",
  },
  MONTH_NOT_ENDED: { ru: "Месяц ещё не закончился: закрыть его можно после последнего дня.", kk: "Ай әлі аяқталған жоқ: оны соңғы күннен кейін жабуға болады." },
  GROUP_NOT_FOUND: sharedErrorTexts.groupNotFound,
  MUNICIPALITY_UNKNOWN: sharedErrorTexts.municipalityNotHeardYet,
  MARK_NOT_FOUND: { ru: "Отметки о посещении за это занятие нет.", kk: "Бұл сабаққа қатысу белгісі жоқ." },
  NOTICE_NOT_FOUND: { ru: "Такое уведомление об отсутствии не найдено.", kk: "Мұндай болмау туралы хабарлама табылмады." },
  SIGNAL_NOT_FOUND: { ru: "Такой сигнал о нарушении не найден.", kk: "Мұндай бұзушылық туралы белгі табылмады." },
  CHILD_UNKNOWN: { ru: "Ребёнок не зачислен в эту группу.", kk: "Бала бұл топқа қабылданбаған." },
  NOT_YOUR_GROUP: sharedErrorTexts.notYourGroup,
  NOT_YOUR_PROVIDER: { ru: "Это сведения другой организации.", kk: "Бұл басқа ұйымның мәліметтері." },
  NOT_YOUR_CHILD: sharedErrorTexts.notYourChild,
  NOT_ON_ROSTER: { ru: "Ребёнка нет в списке группы на дату занятия.", kk: "Сабақ күні бала топ тізімінде жоқ." },
  LESSON_NOT_STARTED: { ru: "Занятие ещё не началось: отмечайте посещение после начала.", kk: "Сабақ әлі басталған жоқ: қатысуды басталғаннан кейін белгілеңіз." },
  MONTH_CLOSED: {
    ru: "Месяц закрыт: изменения возможны только после его открытия муниципалитетом.",
    kk: "Ай жабық: өзгерістер тек муниципалитет оны ашқаннан кейін мүмкін.",
  },
  MONTH_NOT_CLOSED: { ru: "Месяц ещё не закрыт.", kk: "Ай әлі жабылған жоқ." },
  GROUP_CLOSED: sharedErrorTexts.groupClosed,
  NOT_DISPUTED: {
    ru: "Отметку подтверждает или оспаривает родитель, а решает спор оператор.",
    kk: "Белгіні ата-ана растайды не дауласады, ал дауды оператор шешеді.",
  },
  PROOF_NOT_NEEDED: { ru: "Для этого уведомления документ не нужен.", kk: "Бұл хабарламаға құжат қажет емес." },
  SIGNAL_RESOLVED: {
    ru: "Решение по этому сигналу уже принято, и изменить его нельзя.",
    kk: "Бұл белгі бойынша шешім қабылданған, оны өзгертуге болмайды.",
  },
} as const;

export const attendanceError = domainErrors("ATTENDANCE", codes, texts);
