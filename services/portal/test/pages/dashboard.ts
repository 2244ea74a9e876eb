// This area's page routes and who may open each: joined into the pages' matrix (../pages.int.test.ts).
import type { Access } from "./access";

export const PAGES: Record<string, Access> = {
  "GET /dashboard": "region+ministry",
  "GET /dashboard/stream": "region+ministry",
  "GET /dashboard/report": "region+ministry",
  // The dashboard's scripts: public files, like the portal's own script.
  "GET /assets/dashboard.js": "public",
  "GET /assets/echarts.js": "public",
};
