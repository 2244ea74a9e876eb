import type { Queryable } from "@kruzhok/postgres";

/**
 * Run `work` in a savepoint of the caller's transaction: what it wrote is rolled back when it
 * throws (the error thrown on for the caller to handle) or when `keep` refuses its result (a row
 * of an import refused by a rule), and the transaction goes on either way.
 */
export async function withSavepoint<T>(tx: Queryable, work: () => Promise<T>, keep: (result: T) => boolean = () => true): Promise<T> {
  await tx.query("SAVEPOINT registry_step");
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await tx.query("ROLLBACK TO SAVEPOINT registry_step");
    await tx.query("RELEASE SAVEPOINT registry_step");
    throw error;
  }
  if (!keep(result)) await tx.query("ROLLBACK TO SAVEPOINT registry_step");
  await tx.query("RELEASE SAVEPOINT registry_step");
  return result;
}
