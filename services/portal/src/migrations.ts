import { fileURLToPath } from "node:url";
import { migrate, readMigrations, type Pool } from "@kruzhok/postgres";

/** The portal keeps sessions only: everything a page shows belongs to the services it calls. */
export async function migratePortal(pool: Pool): Promise<string[]> {
  return migrate(pool, await readMigrations(fileURLToPath(new URL("./store/migrations", import.meta.url))));
}
