import { buildApp, type HttpApp, type ServiceAppOptions } from "@kruzhok/http";
import type { PaymentsDeps } from "./deps";

export type PaymentsAppOptions = ServiceAppOptions & PaymentsDeps;

/** Payments' HTTP app; never listens (main.ts does, tests use inject). */
export async function buildPaymentsApp(options: PaymentsAppOptions): Promise<HttpApp> {
  const { pool, clock, ...http } = options;
  const app = await buildApp({ ...http, service: "payments", version: "1.0.0", idempotency: { pool } });
  const deps: PaymentsDeps = { pool, clock };
  void deps;
  return app;
}
