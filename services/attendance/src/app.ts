import { buildApp, type HttpApp, type ServiceAppOptions } from "@kruzhok/http";
import type { AttendanceDeps } from "./deps";
import { markRoutes } from "./http/marks";
import { municipalityRoutes } from "./http/municipalities";
import { noticeRoutes } from "./http/notices";

export type AttendanceAppOptions = ServiceAppOptions & AttendanceDeps;

/** Attendance's HTTP app; never listens (main.ts does, tests use inject). */
export async function buildAttendanceApp(options: AttendanceAppOptions): Promise<HttpApp> {
  const { pool, clock, ...http } = options;
  const app = await buildApp({ ...http, service: "attendance", version: "1.0.0", idempotency: { pool } });
  const deps: AttendanceDeps = { pool, clock };
  await app.register(markRoutes, deps);
  await app.register(noticeRoutes, deps);
  await app.register(municipalityRoutes, deps);
  return app;
}
