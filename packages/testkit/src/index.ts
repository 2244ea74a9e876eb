export { startInfrastructure } from "./bring-up";
export type { Infrastructure, StartedInfrastructure } from "./infrastructure";
export { deleteRedisKeys, isolate, isolationId, type Isolation } from "./isolation";
export { waitFor } from "./wait";
export { seededRandom } from "./random";
export { freePort } from "./ports";
export { privateRedis, type PrivateRedis } from "./private-redis";
export { privateKafka, type PrivateKafka } from "./private-kafka";
export { serviceEnv, startServiceProcess, type ServiceProcess } from "./process";
export { describeServiceProcess } from "./service-process-suite";
export { testClock, type TestClock } from "./clock";
export {
  loadThenKill,
  retryAll,
  serviceUnderTest,
  type HttpAnswer,
  type Request,
  type ServiceUnderTest,
  type ServiceUnderTestOptions,
} from "./service-under-test";
export { systemUnderTest, type System, type SystemServiceSpec, type TopicEvent } from "./system";
export { expectOneRunAmongDuplicates, type InjectedAnswer } from "./duplicates";
export { captureLogs, type CapturedLogs } from "./logs";
export { bearer, devToken, type TokenFor, type TokenOptions } from "./tokens";
export { localIdentityProvider, type LocalIdentityProvider } from "./identity";
export { eventHandled, type InboxOutcome } from "./inbox";
export { serviceHarness, type Harness, type HarnessBase, type HarnessOptions, type RunningConsumer } from "./harness";
export { KRUZHOK_BIN, runKruzhok, type CommandRun } from "./cli";
