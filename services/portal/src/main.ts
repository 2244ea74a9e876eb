// Composition root of the portal: the only file that reads the environment or opens connections
// (through runService: config -> database -> app -> listen, and the reverse on SIGTERM). The
// portal publishes and consumes no events: it calls the other services' HTTP APIs.
import { runService } from "@kruzhok/service";
import { Services } from "./api/client";
import { buildPortalApp } from "./app";
import { PortalConfig } from "./config";
import { migratePortal } from "./migrations";
import { deleteExpiredSessions, deleteExpiredSignInAttempts } from "./store/sessions";

await runService({
  name: "portal",
  config: PortalConfig,
  migrate: migratePortal,
  topics: { published: [], consumed: [] },
  buildApp: ({ app, pool, clock, config }) =>
    buildPortalApp({
      ...app,
      pool,
      clock,
      services: new Services(
        { registry: config.REGISTRY_URL, catalogue: config.CATALOGUE_URL, enrollment: config.ENROLLMENT_URL, attendance: config.ATTENDANCE_URL, payments: config.PAYMENTS_URL, statistics: config.STATISTICS_URL },
        config.PORTAL_SERVICE_TIMEOUT_MS,
      ),
      secureCookies: config.PORTAL_SECURE_COOKIES,
      sessionTtlS: Math.min(config.PORTAL_SESSION_TTL_S, config.AUTH_MAX_TOKEN_LIFETIME_S),
      devSecret: app.auth.mode === "dev" ? app.auth.secret : undefined,
      ...(config.PORTAL_OIDC_CLIENT_ID &&
        config.PORTAL_OIDC_CLIENT_SECRET && {
          oidc: { clientId: config.PORTAL_OIDC_CLIENT_ID, clientSecret: config.PORTAL_OIDC_CLIENT_SECRET, scope: config.PORTAL_OIDC_SCOPE, publicUrl: config.PORTAL_PUBLIC_URL },
        }),
    }),
  handlers: () => [],
  jobs: ({ pool, clock, logger }) => [
    {
      name: "expired sessions",
      intervalMs: 60_000,
      run: async () => {
        const removed = (await deleteExpiredSessions(pool, clock())) + (await deleteExpiredSignInAttempts(pool, clock()));
        if (removed > 0) logger.info({ removed }, "expired sessions and sign-in attempts removed");
      },
    },
  ],
});
