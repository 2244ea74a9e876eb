import { CertificateFunded, FinancingQueued, MonthBilled, ReservationChanged } from "@kruzhok/contracts";
import { factOf, subjects } from "./facts";

const certificate = (certificateId: string) => ({ type: "certificate" as const, id: certificateId });

/**
 * Money: what is committed to certificates and who waits for financing (on the certificate
 * itself, so that a funding ends its wait), what enrollments' reservations hold, and each
 * enrollment's month as billed. Registers are providers' totals of the same bills.
 */
export function paymentsFacts() {
  return [
    factOf(CertificateFunded, (event) =>
      subjects({ subject: certificate(event.data.certificateId), kind: "financing.funded", attrs: { year: event.data.year, amount: event.data.amount } }),
    ),
    factOf(FinancingQueued, (event) => subjects({ subject: certificate(event.data.certificateId), kind: "financing.queued", attrs: { year: event.data.year } })),
    factOf(ReservationChanged, (event) =>
      subjects({
        subject: { type: "reservation", id: `${event.data.enrollmentId}|${event.data.year}` },
        kind: "reservation.changed",
        attrs: { held: event.data.held, seq: event.data.seq, released: String(event.data.released) },
      }),
    ),
    factOf(MonthBilled, (event) =>
      subjects({
        subject: { type: "bill", id: `${event.data.enrollmentId}|${event.data.month}` },
        kind: "month.billed",
        attrs: {
          month: event.data.month,
          version: event.data.version,
          certificateAmount: event.data.certificateAmount,
          familyAmount: event.data.familyAmount,
          benefitAmount: event.data.benefitAmount ?? 0,
        },
      }),
    ),
  ];
}
