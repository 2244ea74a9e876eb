import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isolate, type Isolation } from "@kruzhok/testkit";
import { AfterCommitError, GroupCommit, createPool, onCommit, type Pool, type PoolClient } from "../src";

/** A promise to resolve from outside, to hold a batch where the test wants it. */
function gate() {
  let open = () => undefined as void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { open, wait };
}

// Group commit on the real Postgres: each request is a row to insert; a batch inserts its rows
// with one statement and reports, per batch, its requests and its transaction id.
describe("GroupCommit", () => {
  let iso: Isolation;
  let pool: Pool;
  let batches: { ids: string[]; txid: string }[];

  beforeAll(async () => {
    iso = await isolate("group-commit");
    pool = createPool({ connectionString: iso.databaseUrl, max: 8 });
    await pool.query("CREATE TABLE items (id text PRIMARY KEY, txid text NOT NULL)");
  });
  afterAll(async () => {
    await pool.end();
    await iso.cleanup();
  });
  beforeEach(async () => {
    batches = [];
    await pool.query("TRUNCATE items");
  });

  /** Insert the batch's rows in one statement; a refused id (`refuse:…`) is that request's own rejection. */
  const insertAll =
    (hold?: Promise<void>) =>
    async (tx: PoolClient, ids: readonly string[]): Promise<PromiseSettledResult<string>[]> => {
      const { rows } = await tx.query<{ txid: string }>("SELECT txid_current()::text AS txid");
      const txid = rows[0]!.txid;
      batches.push({ ids: [...ids], txid });
      await hold;
      const accepted = ids.filter((id) => !id.startsWith("refuse:"));
      await tx.query("INSERT INTO items (id, txid) SELECT id, $2 FROM unnest($1::text[]) AS id", [accepted, txid]);
      return ids.map((id) => (id.startsWith("refuse:") ? { status: "rejected", reason: new Error(`refused ${id}`) } : { status: "fulfilled", value: txid }));
    };

  const stored = async () => (await pool.query<{ id: string; txid: string }>("SELECT id, txid FROM items ORDER BY id")).rows;

  it("puts the requests of one turn in one transaction, each with its own outcome", async () => {
    const commits = new GroupCommit(pool, insertAll());
    const outcomes = await Promise.allSettled(["a", "refuse:b", "c"].map((id) => commits.submit(id)));
    expect(batches.map((b) => b.ids)).toEqual([["a", "refuse:b", "c"]]);
    const txid = batches[0]!.txid;
    expect(outcomes).toEqual([
      { status: "fulfilled", value: txid },
      { status: "rejected", reason: new Error("refused refuse:b") },
      { status: "fulfilled", value: txid },
    ]);
    // A refusal is that request's own: the batch committed the others, once.
    expect(await stored()).toEqual([
      { id: "a", txid },
      { id: "c", txid },
    ]);
  });

  it("flushes once per turn: a request of a later turn goes in a later batch", async () => {
    const commits = new GroupCommit(pool, insertAll());
    const first = [commits.submit("a"), commits.submit("b")];
    await nextTurn();
    const later = commits.submit("c");
    await Promise.all([...first, later]);
    expect(batches.map((b) => b.ids)).toEqual([["a", "b"], ["c"]]);
  });

  it("takes at most maxBatch requests a transaction", async () => {
    const commits = new GroupCommit(pool, insertAll(), { maxBatch: 2, maxConcurrentBatches: 3 });
    await Promise.all(["a", "b", "c", "d", "e"].map((id) => commits.submit(id)));
    // The three run at once, so they report in any order.
    expect(batches.map((b) => b.ids.join()).sort()).toEqual(["a,b", "c,d", "e"]);
    expect(new Set(batches.map((b) => b.txid)).size).toBe(3);
  });

  it("runs up to maxConcurrentBatches at once; what arrives meanwhile waits and goes in the next batch together", async () => {
    const held = gate();
    const commits = new GroupCommit(pool, insertAll(held.wait), { maxConcurrentBatches: 2 });
    const a = commits.submit("a");
    await waitUntil(() => batches.length === 1);
    // A second batch starts beside the first, which is held inside its transaction.
    const b = commits.submit("b");
    await waitUntil(() => batches.length === 2);
    // Both slots are taken: these wait, each arriving in a turn of its own.
    const c = commits.submit("c");
    await nextTurn();
    const d = commits.submit("d");
    await nextTurn();
    held.open();
    await Promise.all([a, b, c, d]);
    expect(batches.map((batch) => batch.ids)).toEqual([["a"], ["b"], ["c", "d"]]);
  });

  it("goes again one request at a time when a batch fails as a whole, so one failure fails only its own request", async () => {
    await pool.query("INSERT INTO items (id, txid) VALUES ('taken', 'before')");
    const commits = new GroupCommit(pool, insertAll());
    const outcomes = await Promise.allSettled(["a", "taken", "b"].map((id) => commits.submit(id)));
    // The batch hit the unique key as a whole; then each went alone.
    expect(batches[0]?.ids).toEqual(["a", "taken", "b"]);
    expect(batches.slice(1).map((b) => b.ids.join()).sort()).toEqual(["a", "b", "taken"]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(outcomes[1]).toMatchObject({ reason: { code: "23505" } });
    const rows = await stored();
    expect(rows.map((r) => r.id)).toEqual(["a", "b", "taken"]);
    // Nothing of the failed batch stayed: each row is from its own transaction.
    expect(rows.find((r) => r.id === "a")?.txid).not.toBe(batches[0]!.txid);
  });

  it("runs a batch's after-commit hooks once it committed, before answering; never those of a failed batch", async () => {
    await pool.query("INSERT INTO items (id, txid) VALUES ('taken', 'before')");
    const hooked: string[] = [];
    const commits = new GroupCommit(pool, async (tx, ids: readonly string[]) => {
      for (const id of ids) onCommit(tx, () => void hooked.push(id));
      return insertAll()(tx, ids);
    });
    const answered: string[] = [];
    await Promise.allSettled(["a", "taken"].map((id) => commits.submit(id).finally(() => answered.push(`${id}:${hooked.includes(id)}`))));
    // The batch of both failed: its hooks never ran. Then each alone: only the one that committed.
    expect(hooked).toEqual(["a"]);
    expect(answered.sort()).toEqual(["a:true", "taken:false"]);
  });

  it("does not run again a batch whose hooks failed: it committed, and each request learns its outcome with the failure", async () => {
    const commits = new GroupCommit(pool, async (tx, ids: readonly string[]) => {
      onCommit(tx, () => {
        throw new Error("redis is down");
      });
      return insertAll()(tx, ids);
    });
    const outcomes = await Promise.allSettled(["a", "refuse:b"].map((id) => commits.submit(id)));
    expect(batches).toHaveLength(1);
    const txid = batches[0]!.txid;
    expect(outcomes[0]).toMatchObject({ status: "rejected", reason: { result: txid } });
    expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(AfterCommitError);
    expect(outcomes[1]).toMatchObject({ status: "rejected", reason: { message: "refused refuse:b" } });
    expect(await stored()).toEqual([{ id: "a", txid }]);
  });
});

/** The next turn of the event loop, after the flush that the requests of this one scheduled. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Wait for a condition that the code under test makes true; checked every turn of the event loop. */
async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the condition");
    await nextTurn();
  }
}
