import type { FundingKind } from "@kruzhok/contracts";

export interface Coverage {
  /** What a certificate pays per lesson hour, minor units. */
  certificatePaysPerHour: number;
  /** What the family pays per lesson hour on top, minor units. */
  familyPaysPerHour: number;
}

/**
 * What a certificate covers of a program's price, as a family reads it in the navigator.
 * Financed: the certificate pays the hourly price as long as the whole program fits in the
 * year's nominal, else the nominal spread over the program's hours; the family co-pays the
 * rest. Free: nobody pays. Paid: the family pays everything. Null when the municipality has
 * not set this year's nominal yet.
 * REVIEW: payments owns the normative cost and benefits; this is the navigator's estimate and
 * should come from a payments event once that service publishes normative costs.
 */
export function certificateCoverage(fundingKind: FundingKind, pricePerHour: number, totalHours: number, nominal: number | null): Coverage | null {
  switch (fundingKind) {
    case "free":
      return { certificatePaysPerHour: 0, familyPaysPerHour: 0 };
    case "paid":
      return { certificatePaysPerHour: 0, familyPaysPerHour: pricePerHour };
    case "financed": {
      if (nominal === null) return null;
      const perHour = Math.min(pricePerHour, Math.floor(nominal / totalHours));
      return { certificatePaysPerHour: perHour, familyPaysPerHour: pricePerHour - perHour };
    }
    default: {
      const exhaustive: never = fundingKind;
      return exhaustive;
    }
  }
}
