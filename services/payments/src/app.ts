import { buildApp, type HttpApp, type ServiceAppOptions } from "@kruzhok/http";
import type { PaymentsDeps } from "./deps";
import { certificateRoutes } from "./http/certificates";
import { municipalityRoutes } from "./http/municipalities";
import { registerRoutes } from "./http/registers";

export type PaymentsAppOptions = ServiceAppOptions & PaymentsDeps;

/** Payments' HTTP app; never listens (main.ts does, tests use inject). */
export async function buildPaymentsApp(options: PaymentsAppOptions): Promise<HttpApp> {
  const { pool, clock, ...http } = options;
  const app = await buildApp({ ...http, service: "payments", version: "1.0.0", idempotency: { pool } });
  const deps: PaymentsDeps = { pool, clock };
  await app.register(municipalityRoutes, deps);
  await app.register(registerRoutes, deps);
  await app.register(certificateRoutes, deps);
  return app;
}
