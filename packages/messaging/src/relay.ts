import { CompressionTypes, Partitioners, type Kafka, type Producer } from "kafkajs";
import type { Logger, Outage } from "@kruzhok/observability";
import { counter, gauge, histogram, type Counter, type Histogram, type Registry } from "@kruzhok/observability";
import type { Pool, PoolClient } from "@kruzhok/postgres";
import { onOutboxAppend } from "./outbox";

export interface RelayOptions {
  pool: Pool;
  kafka: Kafka;
  logger: Logger;
  /** Rows per chunk; one Kafka request per chunk, unless it holds more than `maxRequestBytes`. */
  batchSize?: number;
  /**
   * Payload bytes one Kafka request carries at most (default 900,000): the broker refuses a
   * request whose batch for a partition is over its `message.max.bytes` (1 MB by default), and a
   * refused chunk was sent again every round, forever, holding everything behind it. A chunk
   * over it goes as several requests, in order; a single larger event goes alone.
   */
  maxRequestBytes?: number;
  /**
   * Chunks one round (one transaction, one lock) may publish when a backlog is waiting. The
   * connection marks the previous chunk and reads the next while Kafka takes the current one.
   */
  chunksPerRound?: number;
  /**
   * Pause after a round that found the outbox empty (default 25 ms). Each further empty round
   * doubles it, up to `maxIdleMs`: an idle service polled its outbox 40 times a second per
   * worker (four statements each), 0.15 of a core of Postgres for two enrollment workers while
   * they only answered lookups. An append in this process (`outboxAppended`) wakes the relay and
   * brings the pause back to `idleMs`, so this process's events keep their lag; an event written
   * by another process waits at most `maxIdleMs` for this relay (that process's own relay, if it
   * has one, is woken).
   */
  idleMs?: number;
  /** The longest pause while the outbox stays empty (default 500 ms). */
  maxIdleMs?: number;
  /** Published rows older than this are deleted (they are in Kafka now). */
  retentionMs?: number;
  /**
   * Prepended to every row's topic when publishing: a deployment (a benchmark, a second stack on
   * one broker) keeps its events apart from others' under the same topic names. Empty by default.
   */
  topicPrefix?: string;
  metrics?: Registry;
  /**
   * The broker's outages as the process sees them: told of every send's failure and success, so
   * that an outage is one log line (and dependency_up{dependency="kafka"} 0) rather than an error
   * per round; the rows wait in the outbox meanwhile.
   */
  outage?: Outage;
}

interface OutboxRow {
  seq: number;
  topic: string;
  message_key: string;
  payload: string;
  created_at: Date;
}

// One relay publishes at a time per database, so the order of publication is the order of
// `seq` even with several replicas; the others find the lock taken and wait for the next round.
const RELAY_LOCK = 4_242_002;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Publishes the outbox to Kafka: oldest unpublished rows first, acks from all in-sync replicas,
 * an idempotent producer, the aggregate id as key; a row is marked published only after Kafka
 * acknowledged it. A crash between the two re-sends the batch (at-least-once); consumers'
 * inboxes make that harmless.
 */
export class OutboxRelay {
  private readonly producer: Producer;
  private readonly batchSize: number;
  private readonly chunksPerRound: number;
  private readonly idleMs: number;
  private readonly maxIdleMs: number;
  /** An append in this process since the last empty round, or `stop`: the pause ends at once. */
  private woken = false;
  private endPause: (() => void) | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly maxRequestBytes: number;
  private readonly retentionMs: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private lastPurge = 0;
  private readonly published?: Counter;
  private readonly lag?: Histogram;

  constructor(private readonly options: RelayOptions) {
    this.batchSize = options.batchSize ?? 1_000;
    this.chunksPerRound = options.chunksPerRound ?? 10;
    this.idleMs = options.idleMs ?? 25;
    this.maxIdleMs = Math.max(this.idleMs, options.maxIdleMs ?? 500);
    this.maxRequestBytes = options.maxRequestBytes ?? 900_000;
    this.retentionMs = options.retentionMs ?? 24 * 3_600_000;
    this.producer = options.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const registry = options.metrics;
    if (registry) {
      this.published = counter(registry, {
        name: "outbox_published_total",
        help: "Events the relay published to Kafka",
      });
      this.lag = histogram(registry, {
        name: "outbox_publish_lag_seconds",
        help: "Time from the outbox commit to the Kafka acknowledgement",
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      });
      const pool = options.pool;
      // Every worker counts the same table: the cluster's figure is the max of theirs, not the
      // sum (summed, two workers reported twice the backlog).
      gauge(registry, {
        name: "outbox_backlog",
        help: "Events committed but not yet published",
        aggregator: "max",
        async collect() {
          const result = await pool.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL",
          );
          this.set(result.rows[0]?.n ?? 0);
        },
      });
    }
  }

  /**
   * Start publishing. Resolves once the first connection to the broker is made; when the broker
   * does not answer, the relay keeps trying in the background and publishes what waits in the
   * outbox once it does (`start` resolves then), so a service starts and takes writes while
   * the broker is down.
   */
  async start(): Promise<void> {
    this.running = true;
    this.listen();
    let connected!: () => void;
    const ready = new Promise<void>((resolve) => (connected = resolve));
    this.loop = this.connectThenRun(connected);
    await ready;
  }

  /** Like `start`, but returns at once: the relay connects and publishes in the background. */
  startInBackground(): void {
    this.running = true;
    this.listen();
    this.loop = this.connectThenRun(() => undefined);
  }

  private async connectThenRun(connected: () => void): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        await this.producer.connect();
        this.options.outage?.answered();
        break;
      } catch (error) {
        failures++;
        this.options.outage?.failed(error);
        const backoff = Math.min(5_000, 100 * 2 ** Math.min(failures, 6));
        if (!this.options.outage) this.options.logger.error({ err: error, backoffMs: backoff }, "outbox relay cannot reach the broker; retrying");
        await sleep(backoff);
      }
    }
    connected();
    if (this.running) await this.run();
  }

  /** Stop after the round in flight, publishing nothing more, and disconnect. */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.wake();
    await this.loop;
    await this.producer.disconnect();
  }

  /**
   * Publish until the outbox is empty (graceful shutdown, tests). When another round holds the
   * relay lock (this relay's own loop, or another replica) it waits for that round instead of
   * mistaking "nothing published by me" for "nothing left".
   */
  async drain(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if ((await this.publishBatch()) > 0) continue;
      const left = await this.options.pool.query("SELECT 1 FROM outbox WHERE published_at IS NULL LIMIT 1");
      if (left.rowCount === 0) return;
      if (Date.now() > deadline) throw new Error(`outbox not drained within ${timeoutMs} ms`);
      await sleep(10);
    }
  }

  private listen(): void {
    this.unsubscribe ??= onOutboxAppend(() => this.wake());
  }

  private wake(): void {
    this.woken = true;
    this.endPause?.();
  }

  /** Wait `ms`, or less if woken. */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.endPause = done;
    }).finally(() => (this.endPause = undefined));
  }

  private async run(): Promise<void> {
    let failures = 0;
    let idle = this.idleMs;
    while (this.running) {
      try {
        const sent = await this.publishBatch();
        failures = 0;
        if (sent > 0) idle = this.idleMs;
        else {
          // Woken since the last empty round: the append's COMMIT may not have been reached when
          // this round read, so the next one comes soon.
          if (this.woken) idle = this.idleMs;
          this.woken = false;
          if (this.running) await this.pause(idle);
          if (!this.woken) idle = Math.min(idle * 2, this.maxIdleMs);
        }
        if (Date.now() - this.lastPurge > 60_000) await this.purge();
      } catch (error) {
        failures++;
        const backoff = Math.min(5_000, 100 * 2 ** Math.min(failures, 6));
        // A broker outage is told once by the outage tracker; anything else each time.
        const told = this.options.outage?.told(error) === true;
        this.options.logger[told ? "debug" : "error"]({ err: error, backoffMs: backoff }, "outbox relay round failed; retrying");
        await sleep(backoff);
      }
    }
  }

  /** One round: returns how many events were published (0 when empty or another relay holds the lock). */
  async publishBatch(): Promise<number> {
    const client = await this.options.pool.connect();
    try {
      await client.query("BEGIN");
      const lock = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_xact_lock($1) AS locked", [
        RELAY_LOCK,
      ]);
      if (!lock.rows[0]?.locked) {
        await client.query("ROLLBACK");
        return 0;
      }
      let chunk = await this.read(client);
      let acked: OutboxRow[] = [];
      const published: OutboxRow[] = [];
      for (let index = 1; chunk.length > 0; index++) {
        const more = chunk.length === this.batchSize && index < this.chunksPerRound;
        const after = chunk[chunk.length - 1]?.seq;
        const previous = acked;
        // Kafka takes this chunk while the connection marks the one Kafka acknowledged last and
        // reads the next (`seq > after`; rows committed late with a lower seq wait for the next
        // round, as they would anyway). Any failure rolls the whole round back: its chunks are
        // sent again, which at-least-once delivery and the consumers' inboxes allow.
        const [, next] = await Promise.all([
          this.send(chunk),
          this.mark(client, previous).then(() => (more ? this.read(client, after) : [])),
        ]);
        published.push(...chunk);
        acked = chunk;
        chunk = next;
      }
      await this.mark(client, acked);
      await client.query("COMMIT");
      const now = Date.now();
      this.published?.inc(published.length);
      if (this.lag) for (const row of published) this.lag.observe((now - row.created_at.getTime()) / 1_000);
      return published.length;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async read(client: PoolClient, after?: number): Promise<OutboxRow[]> {
    const { rows } = await client.query<OutboxRow>(
      `SELECT seq, topic, message_key, payload, created_at FROM outbox
        WHERE published_at IS NULL${after === undefined ? "" : " AND seq > $2"} ORDER BY seq LIMIT $1`,
      after === undefined ? [this.batchSize] : [this.batchSize, after],
    );
    return rows;
  }

  private async send(rows: readonly OutboxRow[]): Promise<void> {
    const outage = this.options.outage;
    if (!outage) return this.sendNow(rows);
    try {
      await this.sendNow(rows);
      outage.answered();
    } catch (error) {
      outage.failed(error);
      throw new BrokerUnavailable(error);
    }
  }

  private async sendNow(rows: readonly OutboxRow[]): Promise<void> {
    let request: OutboxRow[] = [];
    let bytes = 0;
    for (const row of rows) {
      const size = Buffer.byteLength(row.payload) + Buffer.byteLength(row.message_key);
      if (request.length > 0 && bytes + size > this.maxRequestBytes) {
        await this.sendRequest(request);
        [request, bytes] = [[], 0];
      }
      request.push(row);
      bytes += size;
    }
    if (request.length > 0) await this.sendRequest(request);
  }

  private async sendRequest(rows: readonly OutboxRow[]): Promise<void> {
    const byTopic = new Map<string, { key: string; value: string }[]>();
    for (const row of rows) {
      const topic = `${this.options.topicPrefix ?? ""}${row.topic}`;
      let messages = byTopic.get(topic);
      if (!messages) byTopic.set(topic, (messages = []));
      messages.push({ key: row.message_key, value: row.payload });
    }
    await this.producer.sendBatch({
      acks: -1,
      compression: CompressionTypes.None,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }

  private async mark(client: PoolClient, rows: readonly OutboxRow[]): Promise<void> {
    if (rows.length === 0) return;
    await client.query("UPDATE outbox SET published_at = clock_timestamp() WHERE seq = ANY($1::bigint[])", [
      rows.map((row) => row.seq),
    ]);
  }

  private async purge(): Promise<void> {
    this.lastPurge = Date.now();
    await this.options.pool.query("DELETE FROM outbox WHERE published_at < now() - make_interval(secs => $1)", [
      this.retentionMs / 1_000,
    ]);
    // Rows marked published stay in the partial index of unpublished rows until a vacuum, and
    // every relay SELECT walks them; where autovacuum is off or slow (CI's Postgres has it off)
    // that grows to hundreds of milliseconds a round within a day. Cheap when little changed.
    await this.options.pool.query("VACUUM (SKIP_LOCKED) outbox");
  }
}

/** A send the broker did not take (the rows stay in the outbox for the next round). */
class BrokerUnavailable extends Error {
  override readonly name = "BrokerUnavailable";
  constructor(cause: unknown) {
    super(`the broker did not take the batch: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
