import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolate, startServiceProcess, type Isolation } from "@kruzhok/testkit";

// What the migration Jobs of deploy/k8s run: a service's own process with MIGRATE_ONLY=true. It
// migrates its database and exits 0 without waiting for Redis or Kafka (both unreachable here:
// a service that went on to start would wait KAFKA_START_WAIT_MS for the broker, then listen and
// never exit); run again it applies nothing; a failing migration exits non-zero, which fails the Job.

const main = fileURLToPath(new URL("../../services/attendance/src/main.ts", import.meta.url));
const ownMigrations = readdirSync(fileURLToPath(new URL("../../services/attendance/src/store/migrations", import.meta.url))).filter((name) => name.endsWith(".sql"));

let isolation: Isolation;
let database: string;

beforeAll(async () => {
  isolation = await isolate("migrate-only");
  database = new URL(isolation.databaseUrl).pathname.slice(1);
});
afterAll(async () => {
  await isolation.cleanup();
});

/** The migration Job's process: attendance with MIGRATE_ONLY, on `serviceDatabase`, with nothing at Redis's or Kafka's address. */
async function migrateOnly(serviceDatabase: string): Promise<{ code: number | null; output: string; seconds: number }> {
  const started = performance.now();
  const child = startServiceProcess(main, {
    MIGRATE_ONLY: "true",
    AUTH_MODE: "development",
    HOST: "127.0.0.1",
    PORT: "1",
    DATABASE_URL: isolation.infra.databaseUrl,
    SERVICE_DATABASE: serviceDatabase,
    REDIS_URL: "redis://127.0.0.1:1",
    KAFKA_BROKERS: "127.0.0.1:1",
  });
  const code = await child.exited;
  return { code, output: child.output(), seconds: (performance.now() - started) / 1000 };
}

async function appliedIn(connectionString: string): Promise<string[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query<{ name: string }>("SELECT name FROM schema_migrations ORDER BY name")).rows.map((row) => row.name);
  } finally {
    await client.end();
  }
}

describe("MIGRATE_ONLY: the migration Job's process", () => {
  it("applies every migration and exits 0 without Redis or Kafka; run again it applies none", async () => {
    const first = await migrateOnly(database);
    expect(first.code, first.output).toBe(0);
    expect(first.output).toContain("migrations applied; exiting (MIGRATE_ONLY)");
    // Well inside KAFKA_START_WAIT_MS (15 s): it never waited for the broker.
    expect(first.seconds).toBeLessThan(15);
    const applied = await appliedIn(isolation.databaseUrl);
    expect(applied).toEqual(expect.arrayContaining(ownMigrations));
    expect(applied.length).toBeGreaterThan(ownMigrations.length);

    const second = await migrateOnly(database);
    expect(second.code, second.output).toBe(0);
    expect(second.output).toContain("no migration to apply; exiting (MIGRATE_ONLY)");
    expect(await appliedIn(isolation.databaseUrl)).toEqual(applied);
  });

  it("exits non-zero, naming the migration, when one fails", async () => {
    // A table in the way of attendance's first migration (CREATE TABLE municipalities, no IF NOT EXISTS).
    const blocked = `${database}_blocked`;
    const admin = new pg.Client({ connectionString: isolation.infra.databaseUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${blocked}`);
    } finally {
      await admin.end();
    }
    const blockedUrl = new URL(isolation.databaseUrl);
    blockedUrl.pathname = `/${blocked}`;
    const client = new pg.Client({ connectionString: blockedUrl.toString() });
    await client.connect();
    try {
      await client.query("CREATE TABLE municipalities (id int)");
      const failed = await migrateOnly(blocked);
      expect(failed.code, failed.output).not.toBe(0);
      expect(failed.output).toContain("migration 0001_attendance.sql failed");
    } finally {
      await client.end();
      const cleanup = new pg.Client({ connectionString: isolation.infra.databaseUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${blocked} WITH (FORCE)`).finally(() => cleanup.end());
    }
  });
});
