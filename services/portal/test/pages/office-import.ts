// This area's page routes and who may open each: joined into the pages' matrix (../pages.int.test.ts).
import type { Access } from "./access";

export const PAGES: Record<string, Access> = {
  "GET /assets/office-import.css": "public",
  "GET /office/imports": "operator",
  "POST /office/imports": "operator",
  "GET /office/imports/:id": "operator",
};
