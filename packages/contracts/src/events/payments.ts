import { z } from "zod";
import { defineEvent } from "../envelope";
import { Currency, LocalMonth, MinorUnits, Uuid } from "../primitives";
import { Topics } from "../topics";

// Payments events: money decisions, ids and amounts only. `aggregateId` is the certificate id for
// financing, the enrollment id for billing and reservations, the register id for registers.

/** The certificate's amount for the year was committed from the municipality's budget. */
export const CertificateFunded = defineEvent(
  Topics.payments,
  "payments.certificate.funded",
  1,
  z.object({ certificateId: Uuid, year: z.number().int(), amount: MinorUnits, currency: Currency, coefficient: z.number().positive() }),
);

/** The budget (or the cap) is exhausted: the request waits, ranked by category then time, and is funded as money frees. */
export const FinancingQueued = defineEvent(
  Topics.payments,
  "payments.financing.queued",
  1,
  z.object({ certificateId: Uuid, year: z.number().int(), amount: MinorUnits, reason: z.enum(["budget_exhausted", "cap_reached", "queue_ahead"]) }),
);

/** An enrollment's month was billed (a corrected summary: the difference, `version` the latest). */
export const MonthBilled = defineEvent(
  Topics.payments,
  "payments.month.billed",
  1,
  z.object({
    enrollmentId: Uuid,
    certificateId: Uuid.nullable(),
    providerId: Uuid,
    month: LocalMonth,
    version: z.number().int().positive(),
    lessons: z.number().int().nonnegative(),
    certificateAmount: MinorUnits,
    familyAmount: MinorUnits,
    uncoveredAmount: MinorUnits.describe("What the certificate could not cover and the family may not co-pay"),
    benefitAmount: MinorUnits.optional().describe("What the municipality pays of the family's part (`familyAmount`) as the child's category benefit; absent in bills made before 2026-12-04"),
    compensationAmount: MinorUnits.optional().describe("What the municipality pays of the family's part after the benefit, as compensation; absent in bills made before 2026-12-04"),
    currency: Currency,
    registerId: Uuid,
  }),
);

/**
 * What an enrollment's reservation of a year holds on the certificate now: the expected cost
 * reserved when the child enrolled (as far as the certificate reached), less what bills took
 * since; 0 once released (the enrollment ended, or its year's last month was billed). `seq`
 * orders one reservation's changes; a release keeps the seq of the change before it.
 */
export const ReservationChanged = defineEvent(
  Topics.payments,
  "payments.reservation.changed",
  1,
  z.object({
    enrollmentId: Uuid,
    certificateId: Uuid,
    year: z.number().int(),
    held: MinorUnits,
    missing: MinorUnits.describe("What the certificate could not reserve of the expected cost"),
    seq: z.number().int().nonnegative(),
    released: z.boolean(),
  }),
);

/** A payment register moved: approved by the municipality, or paid with the payment order's reference. */
export const RegisterChanged = defineEvent(
  Topics.payments,
  "payments.register.changed",
  1,
  z.object({ registerId: Uuid, providerId: Uuid, month: LocalMonth, number: z.number().int().positive(), status: z.enum(["approved", "paid"]), total: MinorUnits, paymentOrder: z.string().nullable() }),
);

/**
 * The municipality reconciled a provider's advance against its month's bill: the register pays
 * `rest`; `excess` is what the advance paid beyond the bill, which the provider owes back.
 */
export const AdvanceReconciled = defineEvent(
  Topics.payments,
  "payments.advance.reconciled",
  1,
  z.object({ registerId: Uuid, providerId: Uuid, month: LocalMonth, advance: MinorUnits, billed: MinorUnits, rest: MinorUnits, excess: MinorUnits, currency: Currency }),
);

export const paymentsEvents = [CertificateFunded, FinancingQueued, MonthBilled, ReservationChanged, RegisterChanged, AdvanceReconciled] as const;
