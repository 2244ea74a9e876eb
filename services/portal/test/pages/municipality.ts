// This area's page routes and who may open each: joined into the pages' matrix (../pages.int.test.ts).
import type { Access } from "./access";

export const PAGES: Record<string, Access> = {
  "GET /municipality": "municipality",
  "GET /municipality/providers": "municipality",
  "GET /municipality/providers/:id": "municipality",
  "POST /municipality/providers/:id/decision": "municipality",
  "GET /municipality/campaigns": "municipality",
  "POST /municipality/campaigns": "municipality",
  "GET /municipality/campaigns/:id": "municipality",
  "POST /municipality/campaigns/:id/draw": "municipality",
};
