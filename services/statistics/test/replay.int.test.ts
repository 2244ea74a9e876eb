import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CertificateIssued, Topics } from "@kruzhok/contracts";
import { ConsumerRunner, createKafka, fastConsumerSettings, newEvent, sendToTopic, type Kafka } from "@kruzhok/messaging";
import { withTransaction } from "@kruzhok/postgres";
import { eventHandled, type RunningConsumer } from "@kruzhok/testkit";
import { randomUUID } from "node:crypto";
import { batchHandler, eventHandlers } from "../src/messaging/handlers";
import { DEV_PSEUDONYM_KEY } from "../src/config";
import { contributionSums, contributionsDump, publishedDump, statisticsHarness, MIN_CELL, type StatisticsHarness } from "./fixtures/statistics";
import { messageOf, regionStory, type StoryEvent } from "./fixtures/story";

// The story goes through real topics (three partitions each, so topics and partitions
// interleave as they will); a second, empty database then reads the same topics from offset 0,
// and a third gets the events by hand in reverse order. All three must publish the same cells,
// byte for byte.

describe("statistics from the topics: positions, poison, replay from offset 0", () => {
  let h: StatisticsHarness;
  let replay: StatisticsHarness;
  let reversed: StatisticsHarness;
  let consumer: RunningConsumer;
  let kafka: Kafka;
  const topics = { registry: "", catalogue: "", enrollment: "", attendance: "", payments: "" };
  let story: StoryEvent[];

  beforeAll(async () => {
    h = await statisticsHarness("stat-replay");
    replay = await statisticsHarness("stat-replay-empty");
    reversed = await statisticsHarness("stat-replay-reversed");
    topics.registry = h.iso.topic("kruzhok.registry.v1");
    topics.catalogue = h.iso.topic("kruzhok.catalogue.v1");
    topics.enrollment = h.iso.topic("kruzhok.enrollment.v1");
    topics.attendance = h.iso.topic("kruzhok.attendance.v1");
    topics.payments = h.iso.topic("kruzhok.payments.v1");
    consumer = await h.consume(Object.values(topics).map((topic) => ({ topic, partitions: 3 })));
    kafka = createKafka({ brokers: h.iso.kafkaBrokers, clientId: `${h.iso.id}-test` });
    story = regionStory({ regionCode: "11", municipalities: 2, children: 45 });
  }, 180_000);
  afterAll(async () => {
    await h.close();
    await replay.close();
    await reversed.close();
  });

  const topicOf = (s: StoryEvent) => {
    const names: Record<string, string> = { [Topics.registry]: topics.registry, [Topics.catalogue]: topics.catalogue, [Topics.enrollment]: topics.enrollment, [Topics.attendance]: topics.attendance, [Topics.payments]: topics.payments };
    const topic = names[s.contract.topic];
    if (!topic) throw new Error(`the story has an event of ${s.contract.topic}`);
    return topic;
  };

  it("applies every event once, records its position in the same transaction, and dead-letters a poison event", async () => {
    // A certificate event that breaks its contract goes to the dead-letter topic; the partition goes on.
    const municipalityId = story[0]!.event.municipalityId;
    const poison = newEvent(CertificateIssued, { municipalityId, aggregateId: randomUUID() }, {
      certificateId: randomUUID(), number: "x", childId: randomUUID(), birthYear: 2015, ageBand: "11-14", categories: [], funding: "accounting", guardianIds: [],
    }, new Date("2026-10-02T10:00:00Z"));
    const poisonMessage = { key: poison.aggregateId, value: JSON.stringify({ ...poison, data: { ...poison.data, birthYear: "two thousand" } }) };
    // The publisher runs its rounds while the events come in, as in the service: many rounds
    // here, one in the rebuild below, and the same cells must come out.
    let consuming = true;
    let rounds = 0;
    const publisher = (async () => {
      while (consuming) {
        const t = Date.now();
        const n = await h.publish();
        if (n > 0) rounds++;
        if (process.env.STAT_DEBUG) process.stderr.write(`round ${n} cells ${Date.now() - t} ms\n`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      // In waves, each handled before the next is sent: the consumers take a whole wave in a few
      // batches, faster than a round, so without waves one round would see everything.
      const waves = 6;
      const size = Math.ceil(story.length / waves);
      for (let i = 0; i < story.length; i += size) {
        const wave = story.slice(i, i + size);
        for (const topic of Object.values(topics)) {
          const messages = wave.filter((s) => topicOf(s) === topic).map(messageOf);
          if (messages.length > 0) await sendToTopic(kafka, topic, messages);
        }
        if (i === 0) await sendToTopic(kafka, topics.registry, [poisonMessage]);
        for (const s of wave) expect(await consumer.handled(s.event.id, s.event.type)).toBe("applied");
        if ((await h.publish()) > 0) rounds++;
      }
      expect(await consumer.handled(poison.id)).toBe("dead_lettered");
    } finally {
      consuming = false;
      await publisher;
    }
    await h.publish();
    expect(rounds).toBeGreaterThan(3);

    // The position in each partition is the offset after the last event applied there.
    const { rows } = await h.pool.query<{ topic: string; n: string }>("SELECT topic, sum(next_offset)::text AS n FROM positions GROUP BY topic ORDER BY topic");
    const sent = (topic: string) => story.filter((s) => topicOf(s) === topic).length;
    expect(Object.fromEntries(rows.map((r) => [r.topic, Number(r.n)]))).toEqual({
      [topics.catalogue]: sent(topics.catalogue),
      [topics.enrollment]: sent(topics.enrollment),
      [topics.attendance]: sent(topics.attendance),
      [topics.payments]: sent(topics.payments),
      // The poison message is dead-lettered, not applied: the position is that of the applied ones.
      [topics.registry]: expect.any(Number) as number,
    });
    const registry = rows.find((r) => r.topic === topics.registry)!;
    expect([sent(topics.registry), sent(topics.registry) + 1]).toContain(Number(registry.n));

    // Some cells were suppressed, none under 10 children shows.
    const { rows: cells } = await h.pool.query<{ measure: string; value: number | null; suppressed: boolean }>("SELECT measure, value, suppressed FROM published_cells");
    expect(cells.filter((c) => c.suppressed).length).toBeGreaterThan(0);
    const childCounts = ["certificates", "coverage.certified", "coverage.enrolled", "enrollments", "queue.length", "offers", "attendance.marks", "attendance.lessons", "money.committed.count", "financing.queued", "bills"];
    expect(cells.filter((c) => childCounts.includes(c.measure) && c.value !== null && c.value > 0 && c.value < MIN_CELL)).toEqual([]);
    // Attendance's and payments' measures are among them.
    const published = new Set(cells.filter((c) => c.suppressed || (c.value !== null && c.value > 0)).map((c) => c.measure));
    for (const measure of ["attendance.marks", "attendance.rate", "attendance.lessons", "money.committed", "bills", "money.spent", "money.family", "money.benefits", "signals", "money.budget"]) expect(published).toContain(measure);
    const resolved = story.filter((s) => s.event.type === "attendance.signal.resolved").length;
    expect(resolved).toBeGreaterThan(0);
    const { rows: signalCells } = await h.pool.query<{ n: number }>("SELECT coalesce(sum(value), 0)::int AS n FROM published_cells WHERE scope = 'region' AND period = 'month' AND measure = 'signals.resolved'");
    expect(signalCells[0]!.n).toBe(resolved);
  });

  it("rebuilds the same aggregates, byte for byte, from offset 0 into an empty database, and from the events in reverse order", async () => {
    const expectedCells = await publishedDump(h.pool);
    const expectedFacts = await contributionsDump(h.pool);
    expect(expectedCells.split("\n").length).toBeGreaterThan(1_000);

    const groupId = `${replay.iso.topicPrefix}statistics-replay`;
    const runner = new ConsumerRunner({
      kafka: createKafka({ brokers: h.iso.kafkaBrokers, clientId: `${replay.iso.id}-replay` }),
      pool: replay.pool,
      logger: replay.logger,
      groupId,
      topics: Object.values(topics),
      handlers: eventHandlers({ pool: replay.pool, clock: replay.clock, pseudonymKey: DEV_PSEUDONYM_KEY, minCell: MIN_CELL }),
      batch: batchHandler({ pool: replay.pool, clock: replay.clock, pseudonymKey: DEV_PSEUDONYM_KEY, minCell: MIN_CELL }),
      fromBeginning: true,
      ...fastConsumerSettings,
    });
    await runner.start();
    try {
      for (const s of story) await eventHandled(replay.pool, s.event.id, { consumer: groupId });
    } finally {
      await runner.stop();
    }
    await replay.publish();
    expect(await publishedDump(replay.pool)).toBe(expectedCells);
    expect(await contributionsDump(replay.pool)).toBe(expectedFacts);
    // The sums the publisher reads were kept right by every batch, in either order of the events.
    for (const pool of [h.pool, replay.pool]) {
      const sums = await contributionSums(pool);
      expect(sums.kept.split("\n").length).toBeGreaterThan(100);
      expect(sums.kept).toBe(sums.recomputed);
    }

    const handlers = eventHandlers({ pool: reversed.pool, clock: reversed.clock, pseudonymKey: DEV_PSEUDONYM_KEY, minCell: MIN_CELL });
    for (const s of [...story].reverse()) {
      const handler = handlers.find((one) => one.contract.type === s.event.type && one.contract.version === s.event.version)!;
      await withTransaction(reversed.pool, (tx) => handler.handle(s.event as never, { tx, logger: reversed.logger }));
    }
    await reversed.publish();
    expect(await publishedDump(reversed.pool)).toBe(expectedCells);
    const sums = await contributionSums(reversed.pool);
    expect(sums.kept).toBe(sums.recomputed);
    // The publisher folded every change its rounds saw into the sums.
    const { rows: unfolded } = await reversed.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM sum_changes");
    expect(unfolded[0]!.n).toBe(0);
  });
});
