import { domainErrors, sharedErrorTexts, type ErrorCategory } from "@kruzhok/errors";

/**
 * The registry's closed set of domain errors. Codes are stable: clients and tests check them.
 * Each message says what to fix.
 */
const codes = {
  AGE_OUT_OF_RANGE: "validation",
  DOCUMENT_INVALID: "validation",
  CATEGORY_UNKNOWN: "validation",
  CATEGORY_DUPLICATE: "validation",
  CATEGORY_PROOF_TOO_LONG: "validation",
  CATEGORY_PROOF_NOT_YET_ISSUED: "validation",
  CATEGORY_PROOF_EXPIRED: "validation",
  CLAIM_NOT_FOUND: "not_found",
  CLAIM_DECIDED: "illegal_state",
  SEARCH_TOO_BROAD: "validation",
  YEAR_IN_THE_PAST: "illegal_state",
  NOMINAL_FIXED: "illegal_state",
  CAP_BELOW_FINANCED: "illegal_state",
  YEAR_DATE_OUTSIDE_YEAR: "validation",
  YEAR_SETTINGS_RETROACTIVE: "validation",
  MUNICIPALITY_NOT_FOUND: "not_found",
  MUNICIPALITY_CODE_TAKEN: "conflict",
  GUARDIAN_ALREADY_REGISTERED: "conflict",
  GUARDIAN_NOT_FOUND: "not_found",
  CHILD_ALREADY_REGISTERED: "conflict",
  CHILD_NOT_FOUND: "not_found",
  CHILD_MERGED: "conflict",
  NOT_YOUR_INVITATION: "forbidden",
  INVITATION_NOT_FOUND: "not_found",
  PASSPORT_TOO_YOUNG: "validation",
  CERTIFICATE_EXISTS: "conflict",
  CERTIFICATE_NOT_FOUND: "not_found",
  CERTIFICATE_NOT_ACTIVE: "illegal_state",
  CERTIFICATE_TRANSITION: "illegal_state",
  ALREADY_FINANCED: "conflict",
  CAP_REACHED: "conflict",
  NO_YEAR_SETTINGS: "illegal_state",
  APPLICATION_NOT_FOUND: "not_found",
  APPLICATION_DECIDED: "illegal_state",
  PROVIDER_NOT_FOUND: "not_found",
  PROVIDER_TRANSITION: "illegal_state",
  PROVIDER_CHECKS_INCOMPLETE: "illegal_state",
  PROVIDER_ALREADY_APPLIED: "conflict",
  TAX_ID_INVALID: "validation",
  MOVE_OUTSIDE_REGION: "validation",
  MOVE_TO_SAME_MUNICIPALITY: "validation",
  BIRTH_DATE_IN_FUTURE: "validation",
  BIRTH_DATE_IMPLAUSIBLE: "validation",
  NOT_YOUR_CHILD: "forbidden",
  NOT_YOUR_RECORD: "forbidden",
  NOT_YOUR_APPLICANT: "forbidden",
  IMPORT_NOT_FOUND: "not_found",
  IMPORT_FILE_UNREADABLE: "validation",
  IMPORT_HEADER_INVALID: "validation",
  IMPORT_EMPTY: "validation",
  IMPORT_TOO_MANY_ROWS: "validation",
} as const satisfies Record<string, ErrorCategory>;

export type RegistryErrorCode = keyof typeof codes;

/** What each refusal says to the person, in Russian and Kazakh. */
const texts = {
  AGE_OUT_OF_RANGE: {
    ru: "Сертификат выдаётся детям от 5 до 17 лет включительно: проверьте дату рождения ребёнка.",
    kk: "Сертификат 5 пен 17 жас аралығындағы балаларға беріледі: баланың туған күнін тексеріңіз.",
  },
  DOCUMENT_INVALID: {
    ru: "Номер документа не соответствует его виду: проверьте вид документа и номер.",
    kk: "Құжат нөмірі оның түріне сәйкес келмейді: құжат түрі мен нөмірін тексеріңіз.",
  },
  CATEGORY_UNKNOWN: {
    ru: "Такой льготной категории нет в перечне муниципалитета: выберите категорию из перечня.",
    kk: "Мұндай жеңілдік санаты муниципалитет тізімінде жоқ: тізімнен санат таңдаңыз.",
  },
  CATEGORY_DUPLICATE: { ru: "Категория указана дважды: оставьте её один раз.", kk: "Санат екі рет көрсетілген: оны бір рет қалдырыңыз." },
  CATEGORY_PROOF_TOO_LONG: {
    ru: "Срок действия подтверждающего документа больше допустимого для этой категории: укажите срок из документа.",
    kk: "Растайтын құжаттың мерзімі осы санатқа рұқсат етілгеннен ұзақ: құжаттағы мерзімді көрсетіңіз.",
  },
  CATEGORY_PROOF_NOT_YET_ISSUED: {
    ru: "Дата выдачи документа ещё не наступила: проверьте дату выдачи.",
    kk: "Құжаттың берілген күні әлі келген жоқ: берілген күнін тексеріңіз.",
  },
  CATEGORY_PROOF_EXPIRED: {
    ru: "Срок действия документа истёк: принесите действующий документ.",
    kk: "Құжаттың мерзімі өтіп кеткен: қолданыстағы құжатты әкеліңіз.",
  },
  CLAIM_NOT_FOUND: { ru: "Такое заявление о льготе не найдено.", kk: "Мұндай жеңілдік туралы өтініш табылмады." },
  CLAIM_DECIDED: { ru: "По этому заявлению о льготе решение уже принято.", kk: "Бұл жеңілдік туралы өтініш бойынша шешім қабылданып қойған." },
  SEARCH_TOO_BROAD: {
    ru: "Укажите для поиска имя, дату рождения, номер документа или номер сертификата.",
    kk: "Іздеу үшін атын, туған күнін, құжат нөмірін немесе сертификат нөмірін көрсетіңіз.",
  },
  YEAR_DATE_OUTSIDE_YEAR: {
    ru: "Дата вступления параметров в силу должна относиться к году, для которого они заданы.",
    kk: "Параметрлердің күшіне ену күні олар берілген жылға жатуы керек.",
  },
  YEAR_SETTINGS_RETROACTIVE: {
    ru: "Параметры года не меняются задним числом: укажите сегодняшнюю или более позднюю дату вступления в силу.",
    kk: "Жыл параметрлері кері күнмен өзгертілмейді: күшіне енудің бүгінгі немесе кейінгі күнін көрсетіңіз.",
  },
  YEAR_IN_THE_PAST: { ru: "Параметры прошедшего года изменить нельзя.", kk: "Өткен жылдың параметрлерін өзгертуге болмайды." },
  NOMINAL_FIXED: {
    ru: "Номинал года уже нельзя изменить: по нему финансируются сертификаты.",
    kk: "Жылдың номиналын енді өзгертуге болмайды: ол бойынша сертификаттар қаржыландырылуда.",
  },
  CAP_BELOW_FINANCED: {
    ru: "Лимит меньше числа уже профинансированных сертификатов: укажите не меньше их числа.",
    kk: "Шектеу қаржыландырылған сертификаттар санынан аз: олардың санынан кем емес мән көрсетіңіз.",
  },
  MUNICIPALITY_NOT_FOUND: { ru: "Такой муниципалитет не найден.", kk: "Мұндай муниципалитет табылмады." },
  MUNICIPALITY_CODE_TAKEN: { ru: "Муниципалитет с таким кодом уже есть: выберите другой код.", kk: "Мұндай коды бар муниципалитет бар: басқа код таңдаңыз." },
  GUARDIAN_ALREADY_REGISTERED: {
    ru: "Родитель с этим документом уже зарегистрирован: войдите под своей учётной записью или обратитесь к оператору.",
    kk: "Осы құжатпен ата-ана тіркелген: өз есептік жазбаңызбен кіріңіз немесе операторға хабарласыңыз.",
  },
  GUARDIAN_NOT_FOUND: { ru: "Такой родитель (законный представитель) не найден.", kk: "Мұндай ата-ана (заңды өкіл) табылмады." },
  CHILD_ALREADY_REGISTERED: {
    ru: "Ребёнок с этим документом уже зарегистрирован: найдите его в личном кабинете или обратитесь к оператору.",
    kk: "Осы құжатпен бала тіркелген: оны жеке кабинеттен табыңыз немесе операторға хабарласыңыз.",
  },
  CHILD_NOT_FOUND: { ru: "Такой ребёнок не найден.", kk: "Мұндай бала табылмады." },
  CHILD_MERGED: {
    ru: "Эта запись ребёнка объединена с другой: работайте с основной записью.",
    kk: "Бұл бала жазбасы басқасымен біріктірілген: негізгі жазбамен жұмыс істеңіз.",
  },
  NOT_YOUR_INVITATION: { ru: "Это приглашение адресовано другому человеку.", kk: "Бұл шақыру басқа адамға арналған." },
  INVITATION_NOT_FOUND: { ru: "Приглашения стать законным представителем этого ребёнка нет.", kk: "Осы баланың заңды өкілі болу туралы шақыру жоқ." },
  PASSPORT_TOO_YOUNG: {
    ru: "Паспорт ребёнка принимается с 14 лет: укажите свидетельство о рождении.",
    kk: "Баланың паспорты 14 жастан бастап қабылданады: туу туралы куәлікті көрсетіңіз.",
  },
  CERTIFICATE_EXISTS: { ru: "У ребёнка уже есть сертификат.", kk: "Баланың сертификаты бар." },
  CERTIFICATE_NOT_FOUND: sharedErrorTexts.certificateNotFound,
  CERTIFICATE_NOT_ACTIVE: { ru: "Сертификат не действует: он приостановлен или закрыт.", kk: "Сертификат жарамсыз: ол тоқтатылған немесе жабылған." },
  CERTIFICATE_TRANSITION: { ru: "В текущем состоянии сертификата это действие невозможно.", kk: "Сертификаттың қазіргі күйінде бұл әрекет мүмкін емес." },
  ALREADY_FINANCED: { ru: "Сертификат уже финансируется в этом году.", kk: "Сертификат биыл қаржыландырылып қойған." },
  CAP_REACHED: {
    ru: "Лимит финансируемых сертификатов муниципалитета на этот год исчерпан.",
    kk: "Муниципалитеттің биылғы қаржыландырылатын сертификаттар шектеуі таусылды.",
  },
  NO_YEAR_SETTINGS: sharedErrorTexts.yearSettingsMissing,
  APPLICATION_NOT_FOUND: sharedErrorTexts.applicationNotFound,
  APPLICATION_DECIDED: { ru: "По этому заявлению решение уже принято.", kk: "Бұл өтініш бойынша шешім қабылданып қойған." },
  PROVIDER_NOT_FOUND: sharedErrorTexts.providerNotFound,
  PROVIDER_TRANSITION: { ru: "В текущем статусе организации это действие невозможно.", kk: "Ұйымның қазіргі мәртебесінде бұл әрекет мүмкін емес." },
  PROVIDER_CHECKS_INCOMPLETE: {
    ru: "Одобрить можно только после того, как пройдены все проверки: кадры, помещения, безопасность.",
    kk: "Барлық тексеру өткеннен кейін ғана мақұлдауға болады: кадрлар, үй-жай, қауіпсіздік.",
  },
  PROVIDER_ALREADY_APPLIED: { ru: "Организация уже подала заявку.", kk: "Ұйым өтінім беріп қойған." },
  TAX_ID_INVALID: { ru: "ИНН (БИН) указан с ошибкой: проверьте цифры.", kk: "СТН (БСН) қате көрсетілген: сандарды тексеріңіз." },
  MOVE_OUTSIDE_REGION: {
    ru: "Переезд возможен только в муниципалитет того же региона.",
    kk: "Көшу тек сол өңірдің муниципалитетіне ғана мүмкін.",
  },
  MOVE_TO_SAME_MUNICIPALITY: { ru: "Ребёнок уже относится к этому муниципалитету.", kk: "Бала осы муниципалитетке тіркелген." },
  BIRTH_DATE_IN_FUTURE: { ru: "Дата рождения ещё не наступила: проверьте её.", kk: "Туған күні әлі келген жоқ: оны тексеріңіз." },
  BIRTH_DATE_IMPLAUSIBLE: {
    ru: "Дата рождения неправдоподобна: ребёнку должно быть меньше 18 лет.",
    kk: "Туған күні шындыққа жанаспайды: бала 18 жасқа толмаған болуы керек.",
  },
  NOT_YOUR_CHILD: sharedErrorTexts.notYourChild,
  NOT_YOUR_RECORD: { ru: "Это чужая учётная запись.", kk: "Бұл басқа адамның есептік жазбасы." },
  NOT_YOUR_APPLICANT: {
    ru: "Ребёнок не подавал заявление в ваши группы и не занимается в них.",
    kk: "Бала сіздің топтарыңызға өтініш бермеген және оларда оқымайды.",
  },
  IMPORT_NOT_FOUND: { ru: "Такая загрузка не найдена.", kk: "Мұндай жүктеу табылмады." },
  IMPORT_FILE_UNREADABLE: {
    ru: "Файл не читается как CSV в кодировке UTF-8: сохраните его из таблицы как «CSV UTF-8» и загрузите снова.",
    kk: "Файл UTF-8 кодтауындағы CSV ретінде оқылмайды: оны кестеден «CSV UTF-8» ретінде сақтап, қайта жүктеңіз.",
  },
  IMPORT_HEADER_INVALID: {
    ru: "Первая строка файла должна называть столбцы, как указано на странице: проверьте названия столбцов.",
    kk: "Файлдың бірінші жолы бетте көрсетілгендей бағандарды атауы керек: баған атауларын тексеріңіз.",
  },
  IMPORT_EMPTY: { ru: "В файле нет ни одной строки с ребёнком.", kk: "Файлда бала туралы бірде-бір жол жоқ." },
  IMPORT_TOO_MANY_ROWS: {
    ru: "В одном файле не больше 10 000 строк: разделите файл на несколько.",
    kk: "Бір файлда 10 000 жолдан артық болмауы керек: файлды бірнешеге бөліңіз.",
  },
} as const;

export const registryError = domainErrors("REGISTRY", codes, texts);
