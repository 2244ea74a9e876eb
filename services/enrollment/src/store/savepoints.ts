import type { Queryable } from "@kruzhok/postgres";

/**
 * Run `work` in a savepoint of the caller's transaction: when it throws, what it wrote is rolled
 * back, the transaction goes on, and the error is thrown on for the caller to handle (a refusal
 * recorded instead, a conflict named). Savepoints nest: each rolls back to its own.
 */
export async function withSavepoint<T>(tx: Queryable, work: () => Promise<T>): Promise<T> {
  await tx.query("SAVEPOINT enrollment_step");
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await tx.query("ROLLBACK TO SAVEPOINT enrollment_step");
    throw error;
  }
  await tx.query("RELEASE SAVEPOINT enrollment_step");
  return result;
}
