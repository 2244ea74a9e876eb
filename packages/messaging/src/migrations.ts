import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Migration } from "@kruzhok/postgres";

const files = ["0000_kit_outbox_inbox.sql", "0000_kit_parked_events.sql"];

/** The outbox, inbox and parked-events tables; every service runs these before its own migrations. */
export const messagingMigrations: Migration[] = files.map((file) => ({
  name: file,
  sql: readFileSync(fileURLToPath(new URL(`./migrations/${file}`, import.meta.url)), "utf8"),
}));
