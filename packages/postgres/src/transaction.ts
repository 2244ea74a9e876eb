import type pg from "pg";

export type IsolationLevel = "read committed" | "repeatable read" | "serializable";

/**
 * Run `work` in one transaction on one client: COMMIT when it resolves, ROLLBACK when it throws.
 * Serialization failures and deadlocks (40001, 40P01) are retried a few times, since Postgres
 * asks the client to retry them.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  options: { isolation?: IsolationLevel; retries?: number } = {},
): Promise<T> {
  const retries = options.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query(`BEGIN ISOLATION LEVEL ${(options.isolation ?? "read committed").toUpperCase()}`);
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      const code = (error as { code?: string }).code;
      if ((code === "40001" || code === "40P01") && attempt < retries) continue;
      throw error;
    } finally {
      client.release();
    }
  }
}
