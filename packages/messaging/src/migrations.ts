import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Migration } from "@kruzhok/postgres";

const file = "0000_kit_outbox_inbox.sql";

/** The outbox and inbox tables; every service runs these before its own migrations. */
export const messagingMigrations: Migration[] = [
  { name: file, sql: readFileSync(fileURLToPath(new URL(`./migrations/${file}`, import.meta.url)), "utf8") },
];
