// This area's page routes and who may open each: joined into the pages' matrix (../pages.int.test.ts).
import type { Access } from "./access";

export const PAGES: Record<string, Access> = {
  "GET /municipality/registers": "municipality",
  "GET /municipality/registers/:id": "municipality",
  "POST /municipality/registers/:id/approval": "municipality",
  "POST /municipality/registers/:id/payment": "municipality",
  "GET /municipality/registers/:id/export": "municipality",
  "GET /municipality/advances": "municipality",
  "POST /municipality/advances/:id/reconciliation": "municipality",
  "GET /municipality/budget": "municipality",
};
