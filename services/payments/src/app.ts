import { buildApp, type HttpApp, type ServiceAppOptions } from "@kruzhok/http";
import type { PaymentsDeps } from "./deps";
import { certificateRoutes } from "./http/certificates";
import { municipalityRoutes } from "./http/municipalities";
import { registerRoutes } from "./http/registers";

/** What each tag of the OpenAPI document groups, for the reader of /docs. */
export const paymentsTags: Readonly<Record<string, string>> = {
  billing: "Billing rules and the months billed from attendance",
  budget: "A municipality's year in money: budget, committed, reserved, spent",
  certificates: "A certificate's account: balance and movements",
  ledger: "Advances, reconciliations and the books check",
  registers: "Monthly payment registers per provider: approved, paid, exported",
};

export type PaymentsAppOptions = ServiceAppOptions & PaymentsDeps;

/** Payments' HTTP app; never listens (main.ts does, tests use inject). */
export async function buildPaymentsApp(options: PaymentsAppOptions): Promise<HttpApp> {
  const { pool, clock, ...http } = options;
  const app = await buildApp({ ...http, service: "payments", version: "1.0.0", openapi: { port: 3005, tags: paymentsTags }, idempotency: { pool } });
  const deps: PaymentsDeps = { pool, clock };
  await app.register(municipalityRoutes, deps);
  await app.register(registerRoutes, deps);
  await app.register(certificateRoutes, deps);
  return app;
}
