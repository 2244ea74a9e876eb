import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolate, type Isolation } from "../src";

// Two test files' worth of isolation in one file: each gets its own database and key prefix,
// and neither sees what the other wrote.
describe("per-file isolation on the real Postgres and Redis", () => {
  let a: Isolation;
  let b: Isolation;
  beforeAll(async () => {
    [a, b] = await Promise.all([isolate("iso-a"), isolate("iso-b")]);
  });
  afterAll(async () => {
    await Promise.all([a.cleanup(), b.cleanup()]);
  });

  it("gives each file its own empty database", async () => {
    expect(a.databaseUrl).not.toEqual(b.databaseUrl);
    const clientA = new pg.Client({ connectionString: a.databaseUrl });
    const clientB = new pg.Client({ connectionString: b.databaseUrl });
    await Promise.all([clientA.connect(), clientB.connect()]);
    try {
      await clientA.query("CREATE TABLE seen (id int PRIMARY KEY)");
      await clientA.query("INSERT INTO seen VALUES (1), (2)");
      const inA = await clientA.query<{ n: string }>("SELECT count(*) AS n FROM seen");
      expect(inA.rows[0]?.n).toBe("2");
      const inB = await clientB.query<{ present: string | null }>("SELECT to_regclass('seen')::text AS present");
      expect(inB.rows[0]?.present).toBeNull();
    } finally {
      await Promise.all([clientA.end(), clientB.end()]);
    }
  });

  it("gives each file its own Redis key prefix, and cleanup deletes only its keys", async () => {
    const redis = new Redis(a.redisUrl);
    try {
      await redis.zadd(`${a.redisPrefix}queue`, 1, "child-1", 2, "child-2");
      await redis.zadd(`${b.redisPrefix}queue`, 1, "child-9");
      expect(await redis.zrank(`${a.redisPrefix}queue`, "child-2")).toBe(1);
      expect(await redis.zcard(`${b.redisPrefix}queue`)).toBe(1);

      const other = await isolate("iso-c");
      await redis.set(`${other.redisPrefix}k`, "v");
      await other.cleanup();
      expect(await redis.exists(`${other.redisPrefix}k`)).toBe(0);
      expect(await redis.zcard(`${a.redisPrefix}queue`)).toBe(2);
    } finally {
      redis.disconnect();
    }
  });
});
