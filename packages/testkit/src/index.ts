export { startInfrastructure, type Infrastructure, type StartedInfrastructure } from "./infrastructure";
export { isolate, type Isolation } from "./isolation";
export { waitFor } from "./wait";
export { freePort, startServiceProcess, type ServiceProcess } from "./process";
export { describeServiceProcess } from "./service-process-suite";
export { testClock, type TestClock } from "./clock";
export { loadThenKill, retryAll, serviceUnderTest, type HttpAnswer, type ServiceUnderTest } from "./service-under-test";
export { expectOneRunAmongDuplicates, type InjectedAnswer } from "./duplicates";
