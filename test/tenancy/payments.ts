import { randomUUID } from "node:crypto";
import {
  enrolled,
  financed,
  group,
  issued,
  paymentsHarness,
  summarised,
  summary,
  world,
  type PaymentsHarness,
} from "../../services/payments/test/fixtures/payments";
import { defineMatrix, type World } from "./matrix";

// Payments' routes (port 3005): billing rules, payment registers, a certificate's account. Its
// rule: another provider's register is 403 NOT_YOUR_REGISTER, another family's certificate 403
// NOT_YOUR_CERTIFICATE; everything else is the actor kit's role and place.

interface PaymentsWorld extends World {
  registerId: string;
  certificateId: string;
}

async function paymentsWorld(h: PaymentsHarness): Promise<PaymentsWorld> {
  const home = await world(h);
  const neighbour = await world(h);
  const g = await group(h, home);
  const c = await issued(h, home);
  await financed(h, home, c);
  const enrollmentId = await enrolled(h, home, g, c);
  await summarised(h, home, summary(g, c, enrollmentId, "2026-11", { billable: 4 }));
  const { rows } = await h.pool.query<{ id: string }>(`SELECT id FROM registers WHERE provider_id = $1`, [g.providerId]);
  // Tuesday 3 November in Kamchatka: the month's 2nd working day, when a provider may ask for an advance.
  h.clock.set("2026-11-03T00:00:00Z");
  return {
    home: home.municipalityId,
    neighbour: neighbour.municipalityId,
    guardianId: c.guardianId,
    providerId: g.providerId,
    otherGuardianId: randomUUID(),
    otherProviderId: randomUUID(),
    registerId: rows[0]!.id,
    certificateId: c.certificateId,
    secrets: [rows[0]!.id, enrollmentId, c.certificateId],
  };
}

export const paymentsMatrix = defineMatrix<PaymentsWorld, PaymentsHarness>({
  service: "payments",
  refusals: /^PAYMENTS\.(NOT_YOUR_\w+|\w+_NOT_FOUND)$/,
  harness: (label) => paymentsHarness(label),
  world: paymentsWorld,
  routes: {
    "PUT /municipalities/:id/years/:year/billing-rules": {
      owner: "municipality",
      call: (w) => ({ url: `/municipalities/${w.home}/years/2026/billing-rules`, payload: { normativePerHour: 20_000, coPayment: true, unexcused: "not_charged" } }),
    },
    "GET /municipalities/:id/years/:year/billing-rules": { owner: "municipality", call: (w) => ({ url: `/municipalities/${w.home}/years/2026/billing-rules` }) },
    "GET /municipalities/:id/years/:year/billing-rules/versions": { owner: "municipality", call: (w) => ({ url: `/municipalities/${w.home}/years/2026/billing-rules/versions` }) },
    "GET /municipalities/:id/years/:year/books-check": { owner: "municipality", call: (w) => ({ url: `/municipalities/${w.home}/years/2026/books-check` }) },
    "GET /municipalities/:id/budget": { owner: "municipality", call: (w) => ({ url: `/municipalities/${w.home}/budget?year=2026` }) },
    "GET /certificates/:id/account": { owner: "guardian", call: (w) => ({ url: `/certificates/${w.certificateId}/account?year=2026` }) },
    "PUT /certificates/:id/compensation": { owner: "guardian", call: (w) => ({ url: `/certificates/${w.certificateId}/compensation`, payload: { childOrder: 3 } }) },
    "GET /registers": {
      owner: "municipality",
      call: (w) => ({ url: `/registers?municipalityId=${w.home}` }),
      notForeign: { "provider of another provider": "a provider lists its own registers only: another provider's list is empty" },
    },
    "POST /advances": {
      owner: "provider",
      call: () => ({ url: "/advances", payload: { month: "2026-11", amount: 1_000 } }),
      notForeign: { "provider of another provider": "a provider asks for an advance of its own (refused here: nothing is reserved for it)" },
    },
    "GET /registers/:id": { owner: "provider", call: (w) => ({ url: `/registers/${w.registerId}` }) },
    "GET /registers/:id/export": { owner: "provider", call: (w) => ({ url: `/registers/${w.registerId}/export?format=json` }) },
    "POST /registers/:id/approval": { owner: "municipality", call: (w) => ({ url: `/registers/${w.registerId}/approval` }) },
    "GET /advance-reconciliations": { owner: "municipality", call: (w) => ({ url: `/advance-reconciliations?municipalityId=${w.home}` }) },
    "POST /registers/:id/advance-reconciliation": { owner: "municipality", call: (w) => ({ url: `/registers/${w.registerId}/advance-reconciliation` }) },
    "POST /registers/:id/payment": { owner: "municipality", call: (w) => ({ url: `/registers/${w.registerId}/payment`, payload: { paymentOrder: "PO-41-2026-11" } }) },
  },
});
