import type { TestProject } from "vitest/node";
import { startInfrastructure } from "./bring-up";
import type { Infrastructure } from "./infrastructure";

declare module "vitest" {
  export interface ProvidedContext {
    infra: Infrastructure;
  }
}

/** Vitest global setup of the int and e2e tiers: the infrastructure comes up once per run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = await startInfrastructure();
  const { databaseUrl, redisUrl, kafkaBrokers, source } = started;
  project.provide("infra", { databaseUrl, redisUrl, kafkaBrokers, source });
  return () => started.stop();
}
