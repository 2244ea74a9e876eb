import { fileURLToPath } from "node:url";
import { httpMigrations } from "@kruzhok/http";
import { messagingMigrations } from "@kruzhok/messaging";
import { notificationMigrations } from "@kruzhok/notifications";
import { migrate, readMigrations, type Pool } from "@kruzhok/postgres";

/** The kit's tables (outbox, inbox, idempotency keys), the registry's own, then the notifications' delivered-set. */
export async function migrateRegistry(pool: Pool): Promise<string[]> {
  const own = await readMigrations(fileURLToPath(new URL("./store/migrations", import.meta.url)));
  return migrate(pool, [...messagingMigrations, ...httpMigrations, ...own, ...notificationMigrations]);
}
