import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolate, type Isolation } from "@kruzhok/testkit";
import { AfterCommitError, createPool, onCommit, withTransaction, type Pool } from "../src";

// Work a transaction leaves for after its COMMIT, on the real Postgres.
describe("after-commit hooks", () => {
  let iso: Isolation;
  let pool: Pool;
  beforeAll(async () => {
    iso = await isolate("after-commit");
    pool = createPool({ connectionString: iso.databaseUrl, max: 4 });
    await pool.query(`CREATE TABLE notes (id text PRIMARY KEY);
      CREATE TABLE claims (id text, CONSTRAINT claims_once UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)`);
  });
  afterAll(async () => {
    await pool.end();
    await iso.cleanup();
  });

  const visibleElsewhere = async (id: string) => (await pool.query("SELECT 1 FROM notes WHERE id = $1", [id])).rowCount === 1;

  it("run once COMMIT has succeeded, before the transaction's caller gets its result", async () => {
    const seen: boolean[] = [];
    const result = await withTransaction(pool, async (tx) => {
      await tx.query("INSERT INTO notes (id) VALUES ('committed')");
      onCommit(tx, async () => void seen.push(await visibleElsewhere("committed")));
      expect(seen).toEqual([]);
      return "done";
    });
    expect(result).toBe("done");
    // The hook looked from another connection: the row was committed when it ran.
    expect(seen).toEqual([true]);
  });

  it("start in the order registered and run together", async () => {
    const events: string[] = [];
    let releaseFirst = () => undefined as void;
    await withTransaction(pool, async (tx) => {
      onCommit(tx, async () => {
        events.push("first started");
        // The second starts while the first still waits: they run together.
        await new Promise<void>((resolve) => (releaseFirst = resolve));
        events.push("first ended");
      });
      onCommit(tx, () => {
        events.push("second ran");
        releaseFirst();
      });
    });
    expect(events).toEqual(["first started", "second ran", "first ended"]);
  });

  it("never run after a rollback", async () => {
    let ran = false;
    await expect(
      withTransaction(pool, async (tx) => {
        await tx.query("INSERT INTO notes (id) VALUES ('rolled-back')");
        onCommit(tx, () => void (ran = true));
        throw new Error("the use case refused");
      }),
    ).rejects.toThrow("the use case refused");
    expect(ran).toBe(false);
    expect(await visibleElsewhere("rolled-back")).toBe(false);
  });

  it("never run when COMMIT itself fails", async () => {
    await pool.query("INSERT INTO claims (id) VALUES ('taken')");
    let ran = false;
    // The unique check is deferred to COMMIT: the statement passes, the commit does not.
    await expect(
      withTransaction(pool, async (tx) => {
        await tx.query("INSERT INTO claims (id) VALUES ('taken')");
        onCommit(tx, () => void (ran = true));
      }),
    ).rejects.toMatchObject({ code: "23505" });
    expect(ran).toBe(false);
  });

  it("of an attempt that is retried are dropped; the attempt that commits runs its own", async () => {
    const ran: number[] = [];
    let attempt = 0;
    await withTransaction(pool, async (tx) => {
      attempt++;
      const mine = attempt;
      onCommit(tx, () => void ran.push(mine));
      if (attempt === 1) throw Object.assign(new Error("could not serialize access"), { code: "40001" });
    });
    expect(ran).toEqual([2]);
  });

  it("need an open transaction of withTransaction", async () => {
    expect(() => onCommit(pool, () => undefined)).toThrow(/onCommit needs a transaction/);
    const client = await pool.connect();
    try {
      expect(() => onCommit(client, () => undefined)).toThrow(/onCommit needs a transaction/);
    } finally {
      client.release();
    }
    let late: (() => void) | undefined;
    await withTransaction(pool, async (tx) => {
      late = () => onCommit(tx, () => undefined);
    });
    expect(late).toThrow(/onCommit needs a transaction/);
  });

  it("that fail leave the data committed, let the other hooks run, and reach the caller as AfterCommitError", async () => {
    let otherRan = false;
    const failure = await withTransaction(pool, async (tx) => {
      await tx.query("INSERT INTO notes (id) VALUES ('hook-failed')");
      onCommit(tx, () => {
        throw new Error("redis is down");
      });
      onCommit(tx, () => void (otherRan = true));
      return 42;
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AfterCommitError);
    expect(failure).toMatchObject({ result: 42, errors: [expect.objectContaining({ message: "redis is down" })] });
    expect(otherRan).toBe(true);
    expect(await visibleElsewhere("hook-failed")).toBe(true);
  });
});
