export { startInfrastructure, type Infrastructure, type StartedInfrastructure } from "./infrastructure";
export { isolate, type Isolation } from "./isolation";
export { waitFor } from "./wait";
