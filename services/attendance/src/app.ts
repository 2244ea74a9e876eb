import { buildApp, type HttpApp, type ServiceAppOptions } from "@kruzhok/http";
import type { AttendanceDeps } from "./deps";
import { markRoutes } from "./http/marks";
import { municipalityRoutes } from "./http/municipalities";
import { noticeRoutes } from "./http/notices";

/** What each tag of the OpenAPI document groups, for the reader of /docs. */
export const attendanceTags: Readonly<Record<string, string>> = {
  absences: "Absences a family notifies ahead",
  confirmation: "Families confirming or disputing the marks, and disputes resolved",
  marks: "Lessons and the attendance marks providers set",
  months: "A month closed (summaries for billing) and reopened with a reason",
  rules: "How attendance is counted, versioned from a date",
  signals: "Fraud signals with their evidence, resolved by the municipality",
};

export type AttendanceAppOptions = ServiceAppOptions & AttendanceDeps;

/** Attendance's HTTP app; never listens (main.ts does, tests use inject). */
export async function buildAttendanceApp(options: AttendanceAppOptions): Promise<HttpApp> {
  const { pool, clock, ...http } = options;
  const app = await buildApp({ ...http, service: "attendance", version: "1.0.0", openapi: { port: 3004, tags: attendanceTags }, idempotency: { pool } });
  const deps: AttendanceDeps = { pool, clock };
  await app.register(markRoutes, deps);
  await app.register(noticeRoutes, deps);
  await app.register(municipalityRoutes, deps);
  return app;
}
