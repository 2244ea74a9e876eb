import { defineConfig } from "vitest/config";

// Three tiers, told apart by file suffix (STYLE.md §9):
//   *.unit.test.ts  pure logic, no I/O, runs anywhere in milliseconds
//   *.int.test.ts   one package or service on the real Postgres, Redis and Kafka
//   *.e2e.test.ts   several services as processes
// Integration and system tiers share one global setup that brings the infrastructure up once
// (packages/testkit/src/global-setup.ts); every test file then isolates itself with its own
// database, Redis key prefix and topic prefix, so files run in parallel.
const roots = ["packages/*/src", "packages/*/test", "services/*/src", "services/*/test", "test"];
const files = (suffix: string) => roots.map((root) => `${root}/**/*.${suffix}.test.ts`);
const exclude = ["**/node_modules/**", ".local/**"];

export default defineConfig({
  test: {
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: { json: ".local/test-results.json" },
    projects: [
      // Property tests brute-force small markets: seconds each on a busy 2-core machine.
      { test: { name: "unit", include: files("unit"), exclude, sequence: { groupOrder: 0 }, testTimeout: 30_000 } },
      {
        test: {
          name: "int",
          include: files("int"),
          exclude,
          sequence: { groupOrder: 1 },
          globalSetup: ["packages/testkit/src/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two cores: more workers only fight over them and the broker.
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: "e2e",
          include: files("e2e"),
          exclude,
          sequence: { groupOrder: 2 },
          globalSetup: ["packages/testkit/src/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          maxWorkers: 1,
        },
      },
    ],
  },
});
