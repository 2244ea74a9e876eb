import { AggregatorRegistry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMetricsRegistry } from "@kruzhok/observability";
import type { Pool } from "@kruzhok/postgres";
import { isolate, type Isolation } from "@kruzhok/testkit";
import { OutboxRelay, createKafka } from "../src";
import { incrementCommitted, prepareDatabase, quietLogger } from "./fixtures/flow";

// A service runs several workers (packages/service cluster.ts); /metrics is the primary's
// aggregate of every worker's registry. Each worker's relay counts the same outbox table, so the
// backlog is their max: summed, two workers reported twice the events waiting.
describe("the outbox backlog across workers", () => {
  let iso: Isolation;
  let pool: Pool;
  beforeAll(async () => {
    iso = await isolate("backlog");
    pool = await prepareDatabase(iso.databaseUrl);
  });
  afterAll(async () => {
    await pool.end();
    await iso.cleanup();
  });

  it("reports the unpublished events once, however many workers count them", async () => {
    const topic = iso.topic("waiting");
    for (let i = 0; i < 3; i++) await incrementCommitted(pool, topic, `counter-${i}`, 1);
    const kafka = createKafka({ brokers: iso.kafkaBrokers, clientId: iso.id });
    // Two workers' relays, never started: nothing is published, the three events wait.
    const workers = [createMetricsRegistry("messaging-test"), createMetricsRegistry("messaging-test")];
    for (const metrics of workers) new OutboxRelay({ pool, kafka, logger: quietLogger, metrics });
    const aggregate = AggregatorRegistry.aggregate(await Promise.all(workers.map((registry) => registry.getMetricsAsJSON())));
    const backlog = await aggregate.getSingleMetric("outbox_backlog")?.get();
    expect(backlog?.values.map((v) => v.value)).toEqual([3]);
  });
});
