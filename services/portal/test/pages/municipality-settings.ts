// This area's page routes and who may open each: joined into the pages' matrix (../pages.int.test.ts).
import type { Access } from "./access";

export const PAGES: Record<string, Access> = {
  "GET /municipality/settings": "municipality",
  "POST /municipality/settings/year": "municipality",
  "POST /municipality/settings/rules": "municipality",
  "POST /municipality/settings/billing": "municipality",
  "POST /municipality/settings/calendar": "municipality",
  "POST /municipality/settings/notices": "municipality",
  "GET /municipality/attendance": "municipality",
  "POST /municipality/attendance/close": "municipality",
  "POST /municipality/attendance/reopen": "municipality",
  "POST /municipality/signals/:id/resolution": "municipality",
  "POST /municipality/lessons/:id/children/:childId/resolution": "municipality",
};
