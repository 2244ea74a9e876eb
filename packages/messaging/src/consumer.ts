import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Producer } from "kafkajs";
import { Partitioners } from "kafkajs";
import type { z } from "zod";
import { EventEnvelope, deadLetterTopic, type EventContract } from "@kruzhok/contracts";
import { isPermanent } from "@kruzhok/errors";
import { counter, gauge, type Counter, type Gauge, type Logger, type Registry } from "@kruzhok/observability";
import { withTransaction, type Pool, type PoolClient } from "@kruzhok/postgres";

export interface HandlerContext {
  /** The transaction the effect is written in, together with the inbox row. */
  tx: PoolClient;
  /** Child logger carrying topic, partition, offset, eventId and correlationId. */
  logger: Logger;
}

/** A consumer's entry point for one event type and version, like a route for one path. */
export interface EventHandler<C extends EventContract = EventContract> {
  contract: C;
  handle(event: EventEnvelope<z.infer<C["data"]>>, context: HandlerContext): Promise<void>;
}

/** Helps TypeScript infer the data type of `handle` from the contract. */
export function handlerFor<C extends EventContract>(
  contract: C,
  handle: EventHandler<C>["handle"],
): EventHandler<C> {
  return { contract, handle };
}

export interface ConsumerOptions {
  kafka: Kafka;
  pool: Pool;
  logger: Logger;
  /** Consumer group id, also the inbox's consumer name. */
  groupId: string;
  topics: readonly string[];
  handlers: readonly EventHandler[];
  fromBeginning?: boolean;
  /** Retry delays for I/O failures (database down, broker hiccup): first and largest. */
  retry?: { initialMs: number; maxMs: number };
  /** Kafka session settings; tests pass short ones. The broker's minimum session is 6 s. */
  sessionTimeout?: number;
  heartbeatInterval?: number;
  maxWaitTimeInMs?: number;
  partitionsConsumedConcurrently?: number;
  metrics?: Registry;
}

type Outcome = "applied" | "duplicate" | "ignored" | "dead_lettered";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class PoisonMessage extends Error {
  override readonly name = "PoisonMessage";
}

/**
 * Runs a consumer group: each message is validated against its contract, handled in one
 * transaction together with its inbox row (a duplicate is skipped), and its offset committed
 * only afterwards. A permanent failure (bytes that are not an event, a schema violation, a
 * domain rule) goes to `<topic>.dlq` with the reason and the original bytes, and the partition
 * moves on; an I/O failure is retried with backoff, holding the partition, until it succeeds or
 * the runner stops.
 */
export class ConsumerRunner {
  private readonly consumer: Consumer;
  private readonly dlqProducer: Producer;
  private readonly handlers = new Map<string, EventHandler>();
  private stopping = false;
  private readonly processed?: Counter<"group" | "topic" | "outcome">;
  private readonly lag?: Gauge<"group" | "topic" | "partition">;

  constructor(private readonly options: ConsumerOptions) {
    for (const handler of options.handlers) {
      this.handlers.set(`${handler.contract.type}@${handler.contract.version}`, handler);
    }
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeout ?? 30_000,
      heartbeatInterval: options.heartbeatInterval ?? 3_000,
      maxWaitTimeInMs: options.maxWaitTimeInMs ?? 500,
      retry: { retries: 10 },
    });
    this.dlqProducer = options.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    if (options.metrics) {
      this.processed = counter(options.metrics, {
        name: "consumer_messages_total",
        help: "Messages handled by outcome",
        labelNames: ["group", "topic", "outcome"],
      });
      this.lag = gauge(options.metrics, {
        name: "consumer_lag_messages",
        help: "Messages behind the partition's high watermark after the last batch",
        labelNames: ["group", "topic", "partition"],
      });
    }
  }

  async start(): Promise<void> {
    await this.dlqProducer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.options.topics], fromBeginning: this.options.fromBeginning ?? true });
    await this.consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  /** Leave the group cleanly: the message in hand finishes or is left uncommitted. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer.disconnect();
    await this.dlqProducer.disconnect();
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const heartbeat = () => payload.heartbeat();
    for (const message of batch.messages) {
      if (!payload.isRunning() || payload.isStale() || this.stopping) return;
      const outcome = await this.processWithRetry(batch.topic, batch.partition, message, heartbeat);
      if (outcome === undefined) return; // stopping mid-retry: leave the offset uncommitted
      this.processed?.inc({ group: this.options.groupId, topic: batch.topic, outcome });
      payload.resolveOffset(message.offset);
      await heartbeat();
    }
    this.lag?.set(
      { group: this.options.groupId, topic: batch.topic, partition: String(batch.partition) },
      Number(batch.offsetLag()),
    );
  }

  private async processWithRetry(
    topic: string,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
  ): Promise<Outcome | undefined> {
    const retry = this.options.retry ?? { initialMs: 200, maxMs: 10_000 };
    let log = this.options.logger.child({ topic, partition, offset: message.offset });
    for (let attempt = 0; ; attempt++) {
      try {
        const parsed = this.parse(message);
        if (parsed.kind === "ignored") return "ignored";
        log = log.child({ eventId: parsed.event.id, correlationId: parsed.event.correlationId, type: parsed.event.type });
        return await this.apply(topic, partition, message, parsed.event, parsed.handler, log);
      } catch (error) {
        if (error instanceof PoisonMessage || isPermanent(error)) {
          await this.deadLetter(topic, partition, message, error as Error, log);
          return "dead_lettered";
        }
        if (this.stopping) return undefined;
        const delay = Math.min(retry.maxMs, retry.initialMs * 2 ** Math.min(attempt, 10));
        log.warn({ err: error, attempt, delayMs: delay }, "handling failed; retrying");
        await sleep(delay);
        await heartbeat().catch(() => undefined);
        if (this.stopping) return undefined;
      }
    }
  }

  private parse(message: KafkaMessage):
    | { kind: "ignored" }
    | { kind: "event"; event: EventEnvelope; handler: EventHandler } {
    let json: unknown;
    try {
      json = JSON.parse(message.value?.toString("utf8") ?? "");
    } catch {
      throw new PoisonMessage("value is not JSON");
    }
    const envelope = EventEnvelope.safeParse(json);
    if (!envelope.success) throw new PoisonMessage(`envelope invalid: ${describeIssues(envelope.error)}`);
    const handler = this.handlers.get(`${envelope.data.type}@${envelope.data.version}`);
    // A topic carries more event types than one consumer cares about; those pass by.
    if (!handler) return { kind: "ignored" };
    const data = handler.contract.data.safeParse(envelope.data.data);
    if (!data.success) {
      throw new PoisonMessage(
        `data of ${envelope.data.type} v${envelope.data.version} invalid: ${describeIssues(data.error)}`,
      );
    }
    return { kind: "event", event: { ...envelope.data, data: data.data }, handler };
  }

  private async apply(
    topic: string,
    partition: number,
    message: KafkaMessage,
    event: EventEnvelope,
    handler: EventHandler,
    logger: Logger,
  ): Promise<Outcome> {
    return withTransaction(this.options.pool, async (tx) => {
      const first = await recordInbox(tx, this.options.groupId, event.id, topic, partition, message.offset, "applied");
      if (!first) {
        logger.debug("duplicate event skipped");
        return "duplicate";
      }
      await handler.handle(event, { tx, logger });
      return "applied";
    });
  }

  private async deadLetter(
    topic: string,
    partition: number,
    message: KafkaMessage,
    error: Error,
    logger: Logger,
  ): Promise<void> {
    const headers: IHeaders = {
      ...message.headers,
      "x-dlq-reason": error.message,
      "x-dlq-error": error.name,
      "x-dlq-topic": topic,
      "x-dlq-partition": String(partition),
      "x-dlq-offset": message.offset,
      "x-dlq-consumer": this.options.groupId,
      "x-dlq-failed-at": new Date().toISOString(),
    };
    await this.dlqProducer.send({
      topic: deadLetterTopic(topic),
      acks: -1,
      messages: [{ key: message.key, value: message.value, headers }],
    });
    logger.error({ reason: error.message }, "message sent to the dead-letter topic");
    const eventId = eventIdOf(message);
    if (eventId) {
      // Remember it so that a replay does not dead-letter it again.
      await recordInbox(this.options.pool, this.options.groupId, eventId, topic, partition, message.offset, "dead_lettered");
    }
  }
}

async function recordInbox(
  db: Pool | PoolClient,
  consumer: string,
  eventId: string,
  topic: string,
  partition: number,
  offset: string,
  outcome: "applied" | "dead_lettered",
): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO inbox (consumer, event_id, topic, kafka_partition, kafka_offset, outcome)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
    [consumer, eventId, topic, partition, offset, outcome],
  );
  return result.rowCount === 1;
}

function eventIdOf(message: KafkaMessage): string | undefined {
  try {
    const parsed = EventEnvelope.shape.id.safeParse((JSON.parse(message.value?.toString("utf8") ?? "") as { id?: unknown }).id);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
    .join("; ");
}

/**
 * Consumer settings for tests and local runs: kafkajs' defaults (30 s session, 3 s heartbeat, 5 s
 * fetch wait) make every group join and idle fetch slow. 6 s is the broker's minimum session.
 */
export const fastConsumerSettings = { sessionTimeout: 6_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 } as const;
