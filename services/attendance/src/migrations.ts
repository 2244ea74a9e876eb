import { fileURLToPath } from "node:url";
import { httpMigrations } from "@kruzhok/http";
import { messagingMigrations } from "@kruzhok/messaging";
import { migrate, readMigrations, type Pool } from "@kruzhok/postgres";

/** The kit's tables (outbox, inbox, idempotency keys), then attendance's own. */
export async function migrateAttendance(pool: Pool): Promise<string[]> {
  const own = await readMigrations(fileURLToPath(new URL("./store/migrations", import.meta.url)));
  return migrate(pool, [...messagingMigrations, ...httpMigrations, ...own]);
}
