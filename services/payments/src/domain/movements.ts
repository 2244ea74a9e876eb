import { familyLanguage, type FamilyLanguage } from "@kruzhok/i18n";

// How a guardian reads a certificate's movements, in Russian or Kazakh. Pure.

export type Language = FamilyLanguage;

const descriptions: Record<string, Record<Language, string>> = {
  financing: { ru: "Зачисление номинала сертификата", kk: "Сертификат номиналын есепке алу" },
  lesson_charge: { ru: "Оплата посещённых занятий", kk: "Қатысқан сабақтар үшін төлем" },
  lesson_charge_correction: { ru: "Возврат по исправленному табелю", kk: "Түзетілген табель бойынша қайтару" },
  reservation: { ru: "Резерв на занятия по договору", kk: "Шарт бойынша сабақтарға резерв" },
  reservation_billed: { ru: "Резерв уменьшен после оплаты месяца", kk: "Ай төленгеннен кейін резерв азайды" },
  reservation_released: { ru: "Резерв снят: обучение завершено", kk: "Резерв алынды: оқу аяқталды" },
  certificate_closed: { ru: "Остаток возвращён в бюджет", kk: "Қалдық бюджетке қайтарылды" },
  certificate_moved: {
    ru: "Остаток возвращён в бюджет муниципалитета, откуда переехал ребёнок",
    kk: "Қалдық бала көшіп кеткен муниципалитеттің бюджетіне қайтарылды",
  },
  year_end: { ru: "Остаток года возвращён в бюджет", kk: "Жыл қалдығы бюджетке қайтарылды" },
};

export function describe(code: string, language: Language): string {
  return descriptions[code]?.[language] ?? code;
}

/** The reader's language from Accept-Language (its q-values too): Kazakh or Russian, Russian when it names neither. */
export function languageOf(acceptLanguage: string | undefined): Language {
  return familyLanguage(acceptLanguage);
}
