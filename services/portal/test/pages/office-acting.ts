// This area's page routes and who may open each: joined into the pages' matrix (../pages.int.test.ts).
// The operator acting for a family at the office (src/http/office-acting*.ts).
import type { Access } from "./access";

export const PAGES: Record<string, Access> = {
  "GET /office/acting": "operator",
  "GET /office/acting/families/new": "operator",
  "POST /office/acting/families": "operator",
  "GET /office/acting/children/:id": "operator",
  "GET /office/acting/children/:id/certificate": "operator",
  "POST /office/acting/children/:id/certificate": "operator",
  "GET /office/acting/children/:id/applications": "operator",
  "POST /office/acting/children/:id/applications": "operator",
  "GET /office/acting/campaigns/:id/children/:childId": "operator",
  "POST /office/acting/campaigns/:id/children/:childId": "operator",
  "GET /office/acting/offers/:id": "operator",
  "POST /office/acting/offers/:id": "operator",
};
