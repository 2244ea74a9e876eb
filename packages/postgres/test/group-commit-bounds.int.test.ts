import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolate, waitFor, type Isolation } from "@kruzhok/testkit";
import { GroupCommit, QueueFullError, createPool, type Pool } from "../src";

// A batcher's queue is bounded: past `maxQueued` waiting requests a new one is refused at once
// (QueueFullError, which the http kit answers with 503 HTTP.QUEUE_FULL and Retry-After) instead
// of growing without end while the batches in flight drain it slower than it fills.
describe("GroupCommit: a bounded queue", () => {
  let iso: Isolation;
  let pool: Pool;

  beforeAll(async () => {
    iso = await isolate("group-commit-bounds");
    pool = createPool({ connectionString: iso.databaseUrl, max: 2 });
    await pool.query("CREATE TABLE items (id text PRIMARY KEY)");
  });
  afterAll(async () => {
    await pool.end();
    await iso.cleanup();
  });

  it("refuses the request over maxQueued at once with its Retry-After, answers those it took, then takes requests again", async () => {
    let open = () => undefined as void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let started = 0;
    const commits = new GroupCommit<string, string>(
      pool,
      async (tx, ids) => {
        started++;
        await gate;
        await tx.query("INSERT INTO items (id) SELECT unnest($1::text[])", [ids]);
        return ids.map((id) => ({ status: "fulfilled", value: id }));
      },
      { maxBatch: 1, maxConcurrentBatches: 1, maxQueued: 2, retryAfterSeconds: 3 },
    );
    const first = commits.submit("a");
    await waitFor(() => (started === 1 ? true : undefined), { what: "the first batch in its transaction" });
    const waiting = [commits.submit("b"), commits.submit("c")];
    expect(commits.queued).toBe(2);

    const refused = await commits.submit("d").catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(QueueFullError);
    expect((refused as QueueFullError).retryAfterSeconds).toBe(3);

    open();
    expect(await Promise.all([first, ...waiting])).toEqual(["a", "b", "c"]);
    expect(await commits.submit("e")).toBe("e");
    const { rows } = await pool.query<{ id: string }>("SELECT id FROM items ORDER BY id");
    // The refused request did nothing.
    expect(rows.map((r) => r.id)).toEqual(["a", "b", "c", "e"]);
  });
});
