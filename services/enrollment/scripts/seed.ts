// Demo data for `npm start`. Enrollment has none of its own: its municipalities, certificates
// and groups arrive as registry and catalogue events, and applications come from families
// through the API. This reports what has arrived so far, so a demo shows that the events flow.
// REVIEW: seed demo applications (and a queue) through the API once the demo needs one.
import { z } from "zod";
import { parseConfig, serviceConfig } from "@kruzhok/config";
import { createPool, ensureDatabase, withDatabase } from "@kruzhok/postgres";
import { migrateEnrollment } from "../src/migrations";

const Config = z.object({
  DATABASE_URL: serviceConfig.shape.DATABASE_URL,
  SERVICE_DATABASE: z.string().regex(/^[a-z_][a-z0-9_]*$/).default("enrollment"),
});
const config = parseConfig(Config);
await ensureDatabase(config.DATABASE_URL, config.SERVICE_DATABASE);
const pool = createPool({ connectionString: withDatabase(config.DATABASE_URL, config.SERVICE_DATABASE), max: 2 });
try {
  await migrateEnrollment(pool);
  const { rows } = await pool.query<{ municipalities: number; certificates: number; groups: number; applications: number }>(
    `SELECT (SELECT count(*)::int FROM municipalities) AS municipalities, (SELECT count(*)::int FROM certificates) AS certificates,
            (SELECT count(*)::int FROM groups) AS groups, (SELECT count(*)::int FROM applications) AS applications`,
  );
  const c = rows[0]!;
  process.stdout.write(
    `enrollment: ${c.municipalities} municipalities, ${c.certificates} certificates, ${c.groups} groups heard of; ${c.applications} applications\n`,
  );
} finally {
  await pool.end();
}
