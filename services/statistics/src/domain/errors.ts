import { domainErrors, type ErrorCategory } from "@kruzhok/errors";

/** Statistics' closed set of domain errors. Codes are stable: clients and tests check them. */
const codes = {
  SCOPE_REQUIRED: "validation",
  PERIOD_INVERTED: "validation",
  OTHER_REGION: "forbidden",
  NOT_AGGREGATE_READER: "forbidden",
  MUNICIPALITY_UNKNOWN: "not_found",
} as const satisfies Record<string, ErrorCategory>;

export type StatisticsErrorCode = keyof typeof codes;

/** What each refusal says to the person, in Russian and Kazakh. */
const texts = {
  SCOPE_REQUIRED: { ru: "Укажите муниципалитет или регион отчёта.", kk: "Есептің муниципалитетін немесе өңірін көрсетіңіз." },
  PERIOD_INVERTED: { ru: "Начало периода позже его конца: проверьте даты.", kk: "Кезеңнің басы соңынан кейін: күндерді тексеріңіз." },
  OTHER_REGION: { ru: "Это данные другого региона.", kk: "Бұл басқа өңірдің деректері." },
  NOT_AGGREGATE_READER: { ru: "Статистика доступна региону и министерству.", kk: "Статистика өңір мен министрлікке қолжетімді." },
  MUNICIPALITY_UNKNOWN: { ru: "Такой муниципалитет не найден.", kk: "Мұндай муниципалитет табылмады." },
} as const;

export const statisticsError = domainErrors("STATISTICS", codes, texts);
