export { migrate, readMigrations, type Migration } from "./migrate";
export {
  createPool,
  dropDatabase,
  ensureDatabase,
  isDatabaseUnavailable,
  parseInt8,
  quoteIdent,
  withDatabase,
  type Pool,
  type PoolClient,
  type PoolConfig,
  type Queryable,
} from "./pool";
export { pageByIdOf } from "./page";
export { GroupCommit, QueueFullError, type GroupCommitOptions } from "./group-commit";
export { AfterCommitError, onCommit, withTransaction, type CommitHook, type IsolationLevel } from "./transaction";
