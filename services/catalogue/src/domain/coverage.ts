import type { Currency, FundingKind } from "@kruzhok/contracts";

/** How an estimate of what the certificate pays was made: a stable code, and the sentence a family reads. */
export type CoverageRule = "price_within_nominal" | "nominal_over_program_hours" | "voucher_pays_all";

export interface Coverage {
  /** Always an estimate: what is paid follows attendance and the municipality's billing rules, and the contract states it. */
  basis: "estimate";
  rule: CoverageRule;
  explanation: { ru: string; kk: string };
  /** What a certificate pays per lesson hour, minor units, by the rule. */
  certificatePaysPerHour: number;
  /** What the family would add per lesson hour, minor units; null where it adds nothing (the certificate or voucher covers everything). */
  familyCoPaymentPerHour: number | null;
}

const explanations: Record<CoverageRule, { ru: string; kk: string }> = {
  price_within_nominal: {
    ru: "Оценка: вся стоимость программы укладывается в номинал сертификата на год, доплата семьи не нужна. Точные условия — в договоре.",
    kk: "Бағалау: бағдарламаның бүкіл құны сертификаттың жылдық номиналына сыяды, отбасының қосымша төлемі қажет емес. Нақты шарттары — шартта.",
  },
  nominal_over_program_hours: {
    ru: "Оценка: номинал сертификата на год, разделённый на часы программы, оплачивает часть стоимости часа; остаток — доплата семьи. Точная сумма — в договоре.",
    kk: "Бағалау: бағдарлама сағаттарына бөлінген сертификаттың жылдық номиналы сағат құнының бір бөлігін төлейді; қалғаны — отбасының қосымша төлемі. Нақты сомасы — шартта.",
  },
  voucher_pays_all: {
    ru: "Ваучер оплачивает занятия полностью: семья ничего не доплачивает.",
    kk: "Ваучер сабақтарды толық төлейді: отбасы ештеңе қосып төлемейді.",
  },
};

/**
 * What a certificate would pay of a financed program's price, as the navigator shows it: an
 * estimate with the rule it used, never a statement of what will be charged. The nominal of the
 * year spread over the program's hours pays up to the hourly price; in Kazakhstan (tenge) a
 * voucher is free to the family, whatever the price, so no co-payment is shown. Null for free and
 * paid programs (no certificate money) and before the municipality has set this year's nominal.
 * REVIEW: payments owns the normative cost and benefits; this should come from a payments event
 * once that service publishes normative costs.
 */
export function certificateCoverage(fundingKind: FundingKind, pricePerHour: number, totalHours: number, nominal: number | null, currency: Currency): Coverage | null {
  if (fundingKind !== "financed" || nominal === null) return null;
  const perHour = Math.min(pricePerHour, Math.floor(nominal / totalHours));
  const rule: CoverageRule = currency === "KZT" ? "voucher_pays_all" : perHour >= pricePerHour ? "price_within_nominal" : "nominal_over_program_hours";
  const coPayment = rule === "nominal_over_program_hours" ? pricePerHour - perHour : null;
  return { basis: "estimate", rule, explanation: explanations[rule], certificatePaysPerHour: perHour, familyCoPaymentPerHour: coPayment };
}
