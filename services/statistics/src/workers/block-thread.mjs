// A worker thread does not inherit the TypeScript loader the service runs under (tsx): the
// thread registers it, then loads its TypeScript.
import { register } from "tsx/esm/api";

register();
await import("./block-thread.ts");
