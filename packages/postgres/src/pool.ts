import pg from "pg";

const INT8 = 20;

/**
 * `pg` hands back int8 (bigint) as a string because a JS number cannot hold every int8. Money
 * and counters are int8 here, so they are parsed deliberately: a value beyond 2^53 is an error,
 * never a silently rounded amount.
 */
export function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`int8 value ${text} is beyond Number.MAX_SAFE_INTEGER`);
  }
  return value;
}

const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary"): unknown =>
    oid === INT8 ? parseInt8 : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
};

export interface PoolConfig {
  connectionString: string;
  max?: number;
  applicationName?: string;
  statementTimeoutMs?: number;
  /**
   * How long a caller waits for a connection (a free one, or a new one to open) before the
   * checkout fails with an error `isDatabaseUnavailable` recognises: the http kit answers it with
   * 503 and Retry-After rather than letting the request wait for ever behind a full pool or a
   * server that does not answer. Default 5 s.
   */
  acquireTimeoutMs?: number;
  /**
   * Told of every connection lost outside a query (a restart of Postgres, pg_terminate_backend, a
   * cut network), whether the client was idle in the pool or checked out between two queries.
   */
  onConnectionError?: (error: Error) => void;
}

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
export type Queryable = pg.Pool | pg.PoolClient;

/** The message pg-pool's checkout fails with once `connectionTimeoutMillis` passed. */
const ACQUIRE_TIMEOUT = "timeout exceeded when trying to connect";

/**
 * A connection failure rather than a refusal of the statement: the server is restarting or
 * unreachable, the connection was cut (admin_shutdown, crash_shutdown, cannot_connect_now, class
 * 08), or no connection was free in time. Retrying later may pass, so the http kit answers 503
 * with Retry-After. Nothing in it says whether a COMMIT sent before the cut took effect: a
 * client retries with its Idempotency-Key.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code } = error as { code?: unknown };
  if (typeof code === "string") {
    if (["57P01", "57P02", "57P03", "53300"].includes(code) || code.startsWith("08")) return true;
    if (["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND"].includes(code)) return true;
  }
  return (
    error.message === ACQUIRE_TIMEOUT ||
    error.message.startsWith("Connection terminated") ||
    error.message === "Query read timeout" ||
    error.message === "Client has encountered a connection error and is not queryable" ||
    error.message === "Client was closed and is not queryable"
  );
}

export function createPool(config: PoolConfig): pg.Pool {
  const statementTimeoutMs = config.statementTimeoutMs ?? 30_000;
  const pool = new pg.Pool({
    connectionString: config.connectionString,
    max: config.max ?? 10,
    application_name: config.applicationName,
    statement_timeout: statementTimeoutMs,
    // The server ends a statement at statement_timeout; a server that no longer answers at all
    // (a cut network) is given a little more, then the query fails here instead of hanging.
    query_timeout: statementTimeoutMs + 5_000,
    connectionTimeoutMillis: config.acquireTimeoutMs ?? 5_000,
    keepAlive: true,
    types,
  });
  const lost = (error: Error) => config.onConnectionError?.(error);
  // An idle client that loses its connection emits 'error' on the pool. A checked-out one emits
  // it on itself, where pg-pool listens no more: between two queries of a transaction (while the
  // route awaits Redis, say) a restart of Postgres would be an unhandled 'error' event and end
  // the process. Every client gets a listener of its own for its whole life; the query that
  // runs next on it fails, and the pool discards it when it is released with that error.
  pool.on("connect", (client) => client.on("error", lost));
  // pg-pool repeats an idle client's error on the pool, which must listen too (an 'error' event
  // nobody listens to throws); the client's own listener has reported it already.
  pool.on("error", () => undefined);
  return pool;
}

/** Replace the database name of a connection string. */
export function withDatabase(connectionString: string, database: string): string {
  const url = new URL(connectionString);
  url.pathname = `/${database}`;
  return url.toString();
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Create a database if it does not exist yet (each service owns one; tests make their own). */
export async function ensureDatabase(adminConnectionString: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminConnectionString });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (found.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE ${quoteIdent(database)}`);
      } catch (error) {
        // Two processes may race to create it; the loser sees duplicate_database (42P04).
        if ((error as { code?: string }).code !== "42P04") throw error;
      }
    }
  } finally {
    await client.end();
  }
}

export async function dropDatabase(adminConnectionString: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminConnectionString });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
