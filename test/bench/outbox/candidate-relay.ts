// NOT production code: a prototype of the change this benchmark suggests for
// packages/messaging/src/relay.ts (which only its owners edit), kept here so the suggestion is
// measured rather than guessed. Run it with `outbox/main.ts --relay candidate`.
//
// Differences from OutboxRelay.publishBatch, everything else (lock, order, acks, idempotent
// producer, mark-after-ack) unchanged:
//  1. One round (one transaction, one advisory lock) publishes up to `chunksPerRound` chunks of
//     `batchSize`, and overlaps the database work with Kafka: while chunk k is being sent, the
//     connection marks chunk k-1 (acked already) and reads chunk k+1 (`seq > last read`).
//     Previously SELECT, send, UPDATE and COMMIT ran strictly one after another.
//  2. `SET LOCAL synchronous_commit = off` for the round: losing the last marks in a crash only
//     re-sends events, which at-least-once delivery and the consumers' inboxes already allow;
//     the relay's commits stop waiting for (and competing with) the application's WAL flushes.
import { CompressionTypes, Partitioners, type Kafka, type Producer } from "kafkajs";
import type { Logger } from "@kruzhok/observability";
import type { Pool, PoolClient } from "@kruzhok/postgres";

export interface CandidateRelayOptions {
  pool: Pool;
  kafka: Kafka;
  logger: Logger;
  batchSize?: number;
  idleMs?: number;
  chunksPerRound?: number;
  synchronousCommit?: boolean;
}

interface OutboxRow {
  seq: number;
  topic: string;
  message_key: string;
  payload: string;
}

const RELAY_LOCK = 4_242_002;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class CandidateRelay {
  private readonly producer: Producer;
  private readonly batchSize: number;
  private readonly idleMs: number;
  private readonly chunksPerRound: number;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: CandidateRelayOptions) {
    this.batchSize = options.batchSize ?? 1_000;
    this.idleMs = options.idleMs ?? 25;
    this.chunksPerRound = options.chunksPerRound ?? 10;
    this.producer = options.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  async start(): Promise<void> {
    await this.producer.connect();
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.producer.disconnect();
  }

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

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if ((await this.publishBatch()) === 0) await sleep(this.idleMs);
      } catch (error) {
        this.options.logger.error({ err: error }, "candidate relay round failed; retrying");
        await sleep(500);
      }
    }
  }

  private read(client: PoolClient, after: number | undefined): Promise<OutboxRow[]> {
    const sql = `SELECT seq, topic, message_key, payload FROM outbox
                  WHERE published_at IS NULL${after === undefined ? "" : " AND seq > $2"} ORDER BY seq LIMIT $1`;
    return client
      .query<OutboxRow>(sql, after === undefined ? [this.batchSize] : [this.batchSize, after])
      .then((result) => result.rows);
  }

  private async mark(client: PoolClient, seqs: number[]): Promise<void> {
    if (seqs.length === 0) return;
    await client.query("UPDATE outbox SET published_at = clock_timestamp() WHERE seq = ANY($1::bigint[])", [seqs]);
  }

  private async send(rows: readonly OutboxRow[]): Promise<void> {
    const byTopic = new Map<string, { key: string; value: string }[]>();
    for (const row of rows) {
      let messages = byTopic.get(row.topic);
      if (!messages) byTopic.set(row.topic, (messages = []));
      messages.push({ key: row.message_key, value: row.payload });
    }
    await this.producer.sendBatch({
      acks: -1,
      compression: CompressionTypes.None,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }

  async publishBatch(): Promise<number> {
    const client = await this.options.pool.connect();
    try {
      await client.query("BEGIN");
      if (this.options.synchronousCommit === false) await client.query("SET LOCAL synchronous_commit = off");
      const lock = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_xact_lock($1) AS locked", [RELAY_LOCK]);
      if (!lock.rows[0]?.locked) {
        await client.query("ROLLBACK");
        return 0;
      }
      let chunk = await this.read(client, undefined);
      let acked: number[] = [];
      let published = 0;
      for (let index = 0; chunk.length > 0; index++) {
        const last = chunk.at(-1)?.seq;
        const more = chunk.length === this.batchSize && index + 1 < this.chunksPerRound;
        const toMark = acked;
        // Kafka I/O and the connection's work run side by side; the connection runs its two
        // statements in order. A failed send rejects the round: ROLLBACK un-marks the chunks
        // marked in it and they are sent again (at-least-once, as before).
        const [, next] = await Promise.all([
          this.send(chunk),
          this.mark(client, toMark).then(() => (more ? this.read(client, last) : [])),
        ]);
        acked = chunk.map((row) => row.seq);
        published += chunk.length;
        chunk = next;
      }
      await this.mark(client, acked);
      await client.query("COMMIT");
      return published;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
