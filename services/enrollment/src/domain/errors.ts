import { domainErrors, sharedErrorTexts, type ErrorCategory } from "@kruzhok/errors";

/**
 * Enrollment's closed set of domain errors. Codes are stable (`ENROLLMENT.AGE_OUTSIDE_RANGE`):
 * clients and tests check them, never the message. Each message says why and what to do.
 */
const codes = {
  CERTIFICATE_MISSING: "validation",
  WALK_IN_NOT_MATCHED: "validation",
  CERTIFICATE_SUSPENDED: "validation",
  CERTIFICATE_CLOSED: "validation",
  CERTIFICATE_OTHER_MUNICIPALITY: "validation",
  AGE_OUTSIDE_RANGE: "validation",
  ALREADY_ENROLLED_IN_PROGRAM: "conflict",
  ALREADY_APPLYING_TO_PROGRAM: "conflict",
  TOO_MANY_OPEN_APPLICATIONS: "validation",
  SCHEDULE_CLASH: "validation",
  FINANCING_REFUSED: "validation",
  GROUP_NOT_ACCEPTING: "illegal_state",
  CERTIFICATION_EXPIRED: "illegal_state",
  EXPULSION_REASON_REQUIRED: "validation",
  NOT_EXPELLED: "illegal_state",
  CALENDAR_INVALID: "validation",
  SETTINGS_RETROACTIVE: "validation",
  SETTINGS_DATE_OUTSIDE_YEAR: "validation",
  GROUP_NOT_FOUND: "not_found",
  MUNICIPALITY_UNKNOWN: "illegal_state",
  YEAR_SETTINGS_MISSING: "illegal_state",
  APPLICATION_NOT_FOUND: "not_found",
  OFFER_NOT_FOUND: "not_found",
  ENROLLMENT_NOT_FOUND: "not_found",
  NOT_YOUR_CHILD: "forbidden",
  NOT_YOUR_GROUP: "forbidden",
  APPLICATION_NOT_IN_QUEUE: "illegal_state",
  APPLICATION_TRANSITION: "illegal_state",
  REVIEW_DONE: "illegal_state",
  OFFER_NOT_OPEN: "illegal_state",
  OFFER_EXPIRED: "illegal_state",
  ENROLLMENT_NOT_ACTIVE: "illegal_state",
  END_REASON_NOT_ALLOWED: "forbidden",
  SIGNATURE_METHOD: "validation",
  TRANSFER_SAME_GROUP: "validation",
  TRANSFER_PENDING: "conflict",
  GROUP_IN_CAMPAIGN: "illegal_state",
  CAMPAIGN_NOT_FOUND: "not_found",
  CAMPAIGN_WINDOW_INVALID: "validation",
  CAMPAIGN_MAX_CHOICES: "validation",
  CAMPAIGN_GROUP_OTHER_MUNICIPALITY: "validation",
  CAMPAIGN_GROUP_HAS_QUEUE: "conflict",
  CAMPAIGN_GROUP_TAKEN: "conflict",
  CAMPAIGN_NOT_OPEN: "illegal_state",
  CAMPAIGN_CHOICE_INVALID: "validation",
  CAMPAIGN_CHOICES_NOT_FOUND: "not_found",
  CAMPAIGN_NOT_CLOSED: "illegal_state",
  CAMPAIGN_INPUT_NOT_FROZEN: "illegal_state",
} as const satisfies Record<string, ErrorCategory>;

export type EnrollmentErrorCode = keyof typeof codes;

/** What each refusal says to the person, in Russian and Kazakh. */
const texts = {
  CERTIFICATE_MISSING: {
    ru: "У ребёнка нет действующего сертификата: сначала получите сертификат.",
    kk: "Баланың жарамды сертификаты жоқ: алдымен сертификат алыңыз.",
  },
  WALK_IN_NOT_MATCHED: {
    ru: "Сертификата с таким номером у ребёнка с такой датой рождения нет: сверьте номер с сертификатом, а дату — с документом ребёнка.",
    kk: "Осындай туған күні бар баланың мұндай нөмірлі сертификаты жоқ: нөмірді сертификатпен, күнді баланың құжатымен салыстырыңыз.",
  },
  CERTIFICATE_SUSPENDED: {
    ru: "Сертификат ребёнка приостановлен: обратитесь к оператору муниципалитета.",
    kk: "Баланың сертификаты тоқтатылған: муниципалитет операторына хабарласыңыз.",
  },
  CERTIFICATE_CLOSED: { ru: "Сертификат ребёнка закрыт.", kk: "Баланың сертификаты жабылған." },
  CERTIFICATE_OTHER_MUNICIPALITY: {
    ru: "Сертификат ребёнка выдан в другом муниципалитете: эта группа его не принимает.",
    kk: "Баланың сертификаты басқа муниципалитетте берілген: бұл топ оны қабылдамайды.",
  },
  AGE_OUTSIDE_RANGE: {
    ru: "Возраст ребёнка не подходит для этой группы: выберите группу по возрасту.",
    kk: "Баланың жасы бұл топқа сәйкес келмейді: жасына сай топ таңдаңыз.",
  },
  ALREADY_ENROLLED_IN_PROGRAM: { ru: "Ребёнок уже занимается по этой программе.", kk: "Бала осы бағдарлама бойынша оқып жүр." },
  ALREADY_APPLYING_TO_PROGRAM: {
    ru: "Заявление на эту программу уже подано: дождитесь ответа или отзовите его.",
    kk: "Бұл бағдарламаға өтініш берілген: жауабын күтіңіз немесе оны кері қайтарыңыз.",
  },
  TOO_MANY_OPEN_APPLICATIONS: {
    ru: "Открытых заявлений больше, чем разрешает муниципалитет: отзовите одно из них.",
    kk: "Ашық өтініштер муниципалитет рұқсат еткеннен көп: біреуін кері қайтарыңыз.",
  },
  SCHEDULE_CLASH: {
    ru: "Расписание группы пересекается с другими занятиями ребёнка: выберите другое время.",
    kk: "Топ кестесі баланың басқа сабақтарымен қабаттасады: басқа уақыт таңдаңыз.",
  },
  FINANCING_REFUSED: {
    ru: "Сертификат не удалось перевести на финансирование: средства или лимит муниципалитета исчерпаны.",
    kk: "Сертификатты қаржыландыруға ауыстыру мүмкін болмады: муниципалитеттің қаражаты не шектеуі таусылды.",
  },
  GROUP_NOT_ACCEPTING: { ru: "Группа сейчас не принимает заявления.", kk: "Топ қазір өтініш қабылдамайды." },
  CERTIFICATION_EXPIRED: {
    ru: "Сертификация программы истекла: по сертификату в неё записаться нельзя.",
    kk: "Бағдарламаның сертификаттау мерзімі өтті: оған сертификат бойынша жазылуға болмайды.",
  },
  EXPULSION_REASON_REQUIRED: {
    ru: "Укажите причину отчисления словами, которые прочтёт семья.",
    kk: "Шығару себебін отбасы оқитын сөздермен көрсетіңіз.",
  },
  NOT_EXPELLED: { ru: "Ответить можно только на отчисление.", kk: "Тек оқудан шығаруға ғана жауап беруге болады." },
  CALENDAR_INVALID: {
    ru: "Календарь указан с ошибкой: дни должны относиться к этому году и не повторяться.",
    kk: "Күнтізбе қате көрсетілген: күндер осы жылға жатуы және қайталанбауы керек.",
  },
  SETTINGS_RETROACTIVE: {
    ru: "Изменение не может вступить в силу задним числом: укажите сегодняшний день или более поздний.",
    kk: "Өзгеріс өткен күннен бастап күшіне ене алмайды: бүгінгі немесе одан кейінгі күнді көрсетіңіз.",
  },
  SETTINGS_DATE_OUTSIDE_YEAR: {
    ru: "Календарь года вступает в силу только в пределах этого года: укажите дату этого года.",
    kk: "Жылдың күнтізбесі тек сол жыл ішінде күшіне енеді: осы жылдың күнін көрсетіңіз.",
  },
  GROUP_NOT_FOUND: sharedErrorTexts.groupNotFound,
  MUNICIPALITY_UNKNOWN: sharedErrorTexts.municipalityNotHeardYet,
  YEAR_SETTINGS_MISSING: sharedErrorTexts.yearSettingsMissing,
  APPLICATION_NOT_FOUND: sharedErrorTexts.applicationNotFound,
  OFFER_NOT_FOUND: { ru: "Такое предложение места не найдено.", kk: "Мұндай орын ұсынысы табылмады." },
  ENROLLMENT_NOT_FOUND: sharedErrorTexts.enrollmentNotFound,
  NOT_YOUR_CHILD: sharedErrorTexts.notYourChild,
  NOT_YOUR_GROUP: sharedErrorTexts.notYourGroup,
  APPLICATION_NOT_IN_QUEUE: { ru: "Заявление уже не стоит в очереди.", kk: "Өтініш енді кезекте тұрған жоқ." },
  APPLICATION_TRANSITION: { ru: "В текущем состоянии заявления это действие невозможно.", kk: "Өтініштің қазіргі күйінде бұл әрекет мүмкін емес." },
  REVIEW_DONE: { ru: "Заявление уже рассмотрено.", kk: "Өтініш қаралып қойған." },
  OFFER_NOT_OPEN: { ru: "Предложение места уже принято, отклонено или истекло.", kk: "Орын ұсынысы қабылданған, қабылданбаған немесе мерзімі өткен." },
  OFFER_EXPIRED: {
    ru: "Срок, чтобы принять предложение места, истёк: место передано следующему в очереди.",
    kk: "Орын ұсынысын қабылдау мерзімі өтті: орын кезектегі келесі балаға берілді.",
  },
  ENROLLMENT_NOT_ACTIVE: { ru: "Зачисление уже завершено.", kk: "Қабылдау аяқталған." },
  END_REASON_NOT_ALLOWED: {
    ru: "Вы не можете завершить зачисление по этой причине: семья отзывает ребёнка, организация отчисляет.",
    kk: "Сіз қабылдауды бұл себеппен аяқтай алмайсыз: отбасы баланы алып кетеді, ұйым шығарады.",
  },
  SIGNATURE_METHOD: {
    ru: "Родитель подписывает договор электронно, оператор отмечает подпись на бумаге.",
    kk: "Ата-ана шартқа электронды түрде қол қояды, оператор қағаздағы қолды белгілейді.",
  },
  TRANSFER_SAME_GROUP: { ru: "Для перевода выберите другую группу.", kk: "Ауыстыру үшін басқа топ таңдаңыз." },
  TRANSFER_PENDING: {
    ru: "Перевод из этого зачисления уже запрошен: дождитесь его или отзовите заявление.",
    kk: "Осы қабылдаудан ауыстыру сұралған: оны күтіңіз немесе өтінішті кері қайтарыңыз.",
  },
  GROUP_IN_CAMPAIGN: {
    ru: "Группа участвует в кампании набора: выберите её в кампании до закрытия окна выбора.",
    kk: "Топ қабылдау науқанына қатысады: оны таңдау терезесі жабылғанша науқанда таңдаңыз.",
  },
  CAMPAIGN_NOT_FOUND: { ru: "Такая кампания набора не найдена.", kk: "Мұндай қабылдау науқаны табылмады." },
  CAMPAIGN_WINDOW_INVALID: {
    ru: "Окно выбора указано с ошибкой: оно должно открываться раньше, чем закрывается.",
    kk: "Таңдау терезесі қате көрсетілген: ол жабылудан бұрын ашылуы керек.",
  },
  CAMPAIGN_MAX_CHOICES: {
    ru: "Выбрано больше групп, чем разрешает кампания.",
    kk: "Науқан рұқсат еткеннен көп топ таңдалған.",
  },
  CAMPAIGN_GROUP_OTHER_MUNICIPALITY: { ru: "Группа относится к другому муниципалитету.", kk: "Топ басқа муниципалитетке жатады." },
  CAMPAIGN_GROUP_HAS_QUEUE: {
    ru: "В группе уже есть очередь: её нельзя включить в кампанию.",
    kk: "Топта кезек бар: оны науқанға қосуға болмайды.",
  },
  CAMPAIGN_GROUP_TAKEN: { ru: "Группа уже участвует в другой кампании.", kk: "Топ басқа науқанға қатысып жатыр." },
  CAMPAIGN_NOT_OPEN: { ru: "Окно выбора кампании сейчас закрыто.", kk: "Науқанның таңдау терезесі қазір жабық." },
  CAMPAIGN_CHOICE_INVALID: {
    ru: "Выбор указан с ошибкой: группы должны быть из кампании и не повторяться.",
    kk: "Таңдау қате көрсетілген: топтар науқаннан болуы және қайталанбауы керек.",
  },
  CAMPAIGN_CHOICES_NOT_FOUND: { ru: "Выбор групп для этого ребёнка не найден.", kk: "Осы бала үшін топтар таңдауы табылмады." },
  CAMPAIGN_NOT_CLOSED: { ru: "Окно выбора кампании ещё открыто.", kk: "Науқанның таңдау терезесі әлі ашық." },
  CAMPAIGN_INPUT_NOT_FROZEN: {
    ru: "Данные кампании ещё не зафиксированы: дождитесь закрытия окна выбора.",
    kk: "Науқан деректері әлі бекітілмеген: таңдау терезесінің жабылуын күтіңіз.",
  },
} as const;

export const enrollmentError = domainErrors("ENROLLMENT", codes, texts);
