import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Producer } from "kafkajs";
import { Partitioners } from "kafkajs";
import type { z } from "zod";
import { EventEnvelope, deadLetterTopic, type EventContract } from "@kruzhok/contracts";
import { counter, gauge, type Counter, type Gauge, type Logger, type Outage, type Registry } from "@kruzhok/observability";
import { AfterCommitError, withTransaction, type Pool, type PoolClient, type Queryable } from "@kruzhok/postgres";
import { PoisonMessage, classifyFailure, describeFailure, type FailureKind } from "./failures";
import {
  admitEvent,
  admitEvents,
  claimParked,
  hasRedriveRequests,
  nextInChain,
  parkEvent,
  parkedCounts,
  redriveHeads,
  reparkChain,
  resolveParked,
  type Delivery,
  type ParkedMessage,
} from "./parked";

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

/** One event of a fetched batch, validated against its contract, with where it was read. */
export interface BatchEvent<C extends EventContract = EventContract> {
  contract: C;
  event: EventEnvelope<z.infer<C["data"]>>;
  topic: string;
  partition: number;
  offset: string;
}

/**
 * A consumer's handler of many events at once (batch mode): the runner hands it the events of one
 * fetch of one partition that this consumer has not handled yet (their inbox rows are written in
 * the same transaction), in partition order, and commits their offsets after the transaction
 * commits. It must have the effect of the consumer's per-event handlers applied one by one in
 * that order: if it throws, the transaction is rolled back and the runner handles the same events
 * through those handlers one at a time, with the per-event retries, parking and dead letters.
 */
export interface BatchHandler {
  handle(events: readonly BatchEvent[], context: HandlerContext): Promise<void>;
  /** Events per transaction at most (default 500); a larger fetch is split. */
  maxEvents?: number;
}

export interface ConsumerOptions {
  kafka: Kafka;
  pool: Pool;
  logger: Logger;
  /** Consumer group id, also the inbox's and the parked table's consumer name. */
  groupId: string;
  topics: readonly string[];
  handlers: readonly EventHandler[];
  /**
   * Batch mode: the events of each fetched partition batch are applied by this handler in one
   * transaction; `handlers` still validate and route each event, and handle them one by one when
   * a batch fails (its poison event is then parked or dead-lettered as in per-event mode).
   */
  batch?: BatchHandler;
  fromBeginning?: boolean;
  /**
   * An event's own failures (failures.ts) are tried `attempts` times in all, `initialMs` apart and
   * doubling up to `maxMs`; then the event is parked and its partition goes on. While the
   * database is unavailable the runner waits with the same backoff for as long as it takes.
   */
  retry?: { initialMs?: number; maxMs?: number; attempts?: number };
  /** How often the runner redrives the parked events an operator asked for and counts the parked. */
  parkedSweepMs?: number;
  /** Kafka session settings; tests pass short ones. The broker's minimum session is 6 s. */
  sessionTimeout?: number;
  heartbeatInterval?: number;
  maxWaitTimeInMs?: number;
  partitionsConsumedConcurrently?: number;
  metrics?: Registry;
}

type Outcome = "applied" | "duplicate" | "ignored" | "dead_lettered" | "parked" | "parked_behind";

/** What one sweep did with the parked events an operator asked to redrive. */
export interface RedriveSummary {
  applied: number;
  deadLettered: number;
  skipped: number;
  parkedAgain: number;
}

/** A message parsed: an event for one of the handlers, or one of a type this consumer does not handle. */
type Parsed = { kind: "ignored" } | { kind: "event"; event: EventEnvelope; handler: EventHandler };

/** The fields of a message the runner reads: a live one from Kafka, or a parked one from the table. */
type Message = Pick<KafkaMessage, "key" | "value" | "offset"> & { headers?: IHeaders };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// One runner of a consumer group at a time redrives its parked events (replicas take turns), so
// that two do not race through one chain; the row lock in each redrive makes it safe regardless.
const SWEEP_LOCK = 4_242_003;
// A probe that does not answer in this long counts as a database that does not answer.
const PROBE_TIMEOUT_MS = 2_000;

const REDRIVE_OUTCOME_LABELS: Record<keyof RedriveSummary, string> = {
  applied: "applied",
  deadLettered: "dead_lettered",
  skipped: "skipped",
  parkedAgain: "parked_again",
};

/**
 * A client checked out of the pool whose connection dies (the server restarts, terminates the
 * backend) fails its query with the error and then emits it as an event as well; pg-pool listens
 * for that only while the client is idle, so a checked-out client would throw it as an uncaught
 * exception and end the process, where the runner means to wait for the database instead. The
 * query's own rejection carries the failure; the event is dropped. Once per client.
 * REVIEW: belongs in createPool (@kruzhok/postgres) for every checked-out client, the HTTP
 * paths' too; remove this when the pool does it.
 */
const guarded = new WeakSet<PoolClient>();
function guardConnection(client: PoolClient): void {
  if (guarded.has(client)) return;
  guarded.add(client);
  client.on("error", () => undefined);
}

/** A redrive could not finish (the database or the broker went away, the runner stops): the rows wait for the next sweep. */
class SweepInterrupted extends Error {
  override readonly name = "SweepInterrupted";
}

/**
 * Runs a consumer group: each message is validated against its contract, handled in one
 * transaction together with its inbox row (a duplicate is skipped), and its offset committed
 * only afterwards. What a failure leads to depends on whose fault it is (failures.ts):
 *
 * - permanent (bytes that are not an event, a schema violation, a domain rule): the message goes
 *   to `<topic>.dlq` with the reason and the original bytes, and the partition moves on;
 * - the event's own (a bug, a constraint, a webhook that is down): retried a few times with
 *   backoff, then parked in `parked_events` with the error and the attempts, and the partition
 *   moves on. Later events of the same key are parked behind it unhandled, so an aggregate's
 *   events are never applied out of order; other keys flow (parked.ts);
 * - the service's database unavailable: retried with backoff, holding the partition, until it
 *   answers or the runner stops; nothing can progress meanwhile and nothing is lost.
 *
 * Every `parkedSweepMs` the runner redrives the chains an operator asked for (operator.ts marks
 * them `redrive_requested`; the handlers run here, in the service, never in the tool): each
 * event through the same handler, in order, until its chain is done or an event fails again and
 * is parked with its attempts counted, the rest of the chain behind it.
 */
export class ConsumerRunner {
  private readonly consumer: Consumer;
  private readonly dlqProducer: Producer;
  private readonly handlers = new Map<string, EventHandler>();
  private readonly retry: { initialMs: number; maxMs: number; attempts: number };
  private stopping = false;
  /** The start attempts of `startInBackground` under way. */
  private starting: Promise<void> | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> = Promise.resolve();
  private readonly processed?: Counter<"group" | "topic" | "outcome">;
  private readonly failures?: Counter<"group" | "topic" | "kind">;
  private readonly redriven?: Counter<"group" | "topic" | "outcome">;
  private readonly lag?: Gauge<"group" | "topic" | "partition">;
  private readonly parked?: Gauge<"group" | "topic">;
  private readonly parkedAge?: Gauge<"group" | "topic">;

  constructor(private readonly options: ConsumerOptions) {
    for (const handler of options.handlers) {
      this.handlers.set(`${handler.contract.type}@${handler.contract.version}`, handler);
    }
    this.retry = {
      initialMs: options.retry?.initialMs ?? 200,
      maxMs: options.retry?.maxMs ?? 10_000,
      attempts: Math.max(1, options.retry?.attempts ?? 5),
    };
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
    const registry = options.metrics;
    if (registry) {
      this.processed = counter(registry, {
        name: "consumer_messages_total",
        help: "Messages handled by outcome (applied, duplicate, ignored, dead_lettered, parked, parked_behind)",
        labelNames: ["group", "topic", "outcome"],
      });
      this.failures = counter(registry, {
        name: "consumer_handling_failures_total",
        help: "Failed handlings by whose fault: transient (the event's own, retried then parked), database (held and retried), permanent (dead-lettered)",
        labelNames: ["group", "topic", "kind"],
      });
      this.redriven = counter(registry, {
        name: "consumer_redriven_total",
        help: "Parked events handled again on an operator's request, by outcome (applied, dead_lettered, skipped, parked_again)",
        labelNames: ["group", "topic", "outcome"],
      });
      this.lag = gauge(registry, {
        name: "consumer_lag_messages",
        help: "Messages behind the partition's high watermark after the last batch",
        labelNames: ["group", "topic", "partition"],
      });
      // Every replica counts the same table: workers' figures are combined by max, not summed.
      this.parked = gauge(registry, {
        name: "consumer_parked_events",
        help: "Parked events not yet resolved (parked or waiting for a redrive), per consumer group and topic",
        labelNames: ["group", "topic"],
        aggregator: "max",
      });
      this.parkedAge = gauge(registry, {
        name: "consumer_parked_oldest_seconds",
        help: "Age of the oldest unresolved parked event, per consumer group and topic (0 when none)",
        labelNames: ["group", "topic"],
        aggregator: "max",
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
    this.scheduleSweep();
  }

  /**
   * Start consuming without waiting for the broker: while it does not answer, the runner tries
   * again (every few seconds at most) and joins its group once it does; a crash kafkajs will not
   * restart by itself is restarted here too. Each attempt's failure and the joins are told to
   * `outage` (one log line per outage, dependency_up{dependency="kafka"}). For a service that
   * must start, and answer, while the broker is down.
   */
  startInBackground(outage: Outage): Promise<void> {
    const { CRASH, GROUP_JOIN } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, () => outage.answered());
    this.consumer.on(CRASH, ({ payload }) => {
      outage.failed(payload.error);
      // kafkajs restarts after retriable failures by itself; anything else would leave the
      // service consuming nothing until it is restarted.
      if (!payload.restart && !this.stopping) void this.keepStarting(outage);
    });
    return this.keepStarting(outage);
  }

  /** Resolves once started (or stopped meanwhile); never rejects. */
  private keepStarting(outage: Outage): Promise<void> {
    if (this.starting) return this.starting;
    this.starting = (async () => {
      for (let failures = 0; !this.stopping; failures++) {
        try {
          await this.start();
          return;
        } catch (error) {
          outage.failed(error);
          await this.consumer.disconnect().catch(() => undefined);
          await this.dlqProducer.disconnect().catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 200 * 2 ** Math.min(failures, 5))));
        }
      }
    })().finally(() => (this.starting = undefined));
    return this.starting;
  }

  /** Leave the group cleanly: the message in hand finishes or is left uncommitted; a sweep under way ends. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.sweepTimer);
    await this.consumer.disconnect();
    await this.sweeping;
    await this.dlqProducer.disconnect();
  }

  /**
   * One sweep of the parked events: the gauges refreshed, and the chains an operator asked to
   * redrive handled again. The runner does this every `parkedSweepMs`; a call waits for a sweep
   * under way, so sweeps never overlap in one process.
   */
  sweepParked(): Promise<RedriveSummary> {
    const round = this.sweeping.then(() => this.sweep());
    this.sweeping = round.catch(() => undefined);
    return round;
  }

  private scheduleSweep(): void {
    if (this.stopping) return;
    // A restarted runner (startInBackground) keeps the one chain of sweeps it has.
    clearTimeout(this.sweepTimer);
    this.sweepTimer = setTimeout(() => {
      this.sweepParked().then(
        () => this.scheduleSweep(),
        (err: unknown) => {
          if (!this.stopping) this.options.logger.warn({ err, group: this.options.groupId }, "parked-event sweep failed; trying again next round");
          this.scheduleSweep();
        },
      );
    }, this.options.parkedSweepMs ?? 5_000);
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const running = () => payload.isRunning() && !payload.isStale() && !this.stopping;
    if (this.options.batch) {
      if (!(await this.eachBatchAtOnce(payload, this.options.batch, running))) return;
    } else {
      for (const message of batch.messages) {
        if (!running()) return;
        if (!(await this.processOne(payload, message))) return;
      }
    }
    this.lag?.set(
      { group: this.options.groupId, topic: batch.topic, partition: String(batch.partition) },
      Number(batch.offsetLag()),
    );
  }

  /** One live message through the per-event path, its offset resolved after; false when the runner stops first. */
  private async processOne(payload: EachBatchPayload, message: KafkaMessage): Promise<boolean> {
    const { topic, partition } = payload.batch;
    const outcome = await this.process(topic, partition, message, () => payload.heartbeat());
    if (outcome === undefined) return false; // stopping mid-retry: leave the offset uncommitted
    this.processed?.inc({ group: this.options.groupId, topic, outcome });
    payload.resolveOffset(message.offset);
    await payload.heartbeat();
    return true;
  }

  /**
   * Batch mode: the partition's fetched messages in runs of at most `maxEvents` that parse, each
   * run in one transaction (`applyBatch`); a message that is not a valid event ends its run and
   * goes to the dead-letter topic through the per-event path, in its place. When a run's
   * transaction fails, its messages are handled again one by one (`process`), so a poison event
   * is retried, parked or dead-lettered alone, and its key's later events are parked behind it,
   * exactly as in per-event mode; the database being down holds the partition there too. False
   * when the runner stops (or loses the partition) before the batch is done.
   */
  private async eachBatchAtOnce(payload: EachBatchPayload, handler: BatchHandler, running: () => boolean): Promise<boolean> {
    const { topic, partition, messages } = payload.batch;
    const maxEvents = Math.max(1, handler.maxEvents ?? 500);
    let run: { message: KafkaMessage; parsed: Parsed }[] = [];
    const flush = async (): Promise<boolean> => {
      if (run.length === 0) return true;
      const taken = run;
      run = [];
      if (!running()) return false;
      const outcomes = await this.applyBatch(topic, partition, taken, handler);
      if (outcomes) {
        for (const [outcome, count] of outcomes) this.processed?.inc({ group: this.options.groupId, topic, outcome }, count);
        payload.resolveOffset(taken[taken.length - 1]!.message.offset);
        await payload.heartbeat();
        return true;
      }
      for (const { message } of taken) {
        if (!running()) return false;
        if (!(await this.processOne(payload, message))) return false;
      }
      return true;
    };
    for (const message of messages) {
      let parsed: Parsed;
      try {
        parsed = this.parse(message);
      } catch {
        // Not an event: what comes before it is applied first, then it is dead-lettered in its place.
        if (!(await flush())) return false;
        if (!running()) return false;
        if (!(await this.processOne(payload, message))) return false;
        continue;
      }
      run.push({ message, parsed });
      if (run.length >= maxEvents && !(await flush())) return false;
    }
    return flush();
  }

  /**
   * One run of a partition's events in one transaction: their inbox rows written in one statement
   * (the already handled dropped), those whose key is parked parked behind it, and the batch
   * handler given the rest. The outcomes counted, or undefined when the transaction failed (the
   * caller then handles the run one by one).
   */
  private async applyBatch(
    topic: string,
    partition: number,
    run: readonly { message: KafkaMessage; parsed: Parsed }[],
    handler: BatchHandler,
  ): Promise<Map<Outcome, number> | undefined> {
    const first = run[0]!.message.offset;
    const last = run[run.length - 1]!.message.offset;
    const log = this.options.logger.child({ topic, partition, offset: first, lastOffset: last, events: run.length });
    const outcomes = new Map<Outcome, number>();
    const count = (outcome: Outcome) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    const candidates: { message: KafkaMessage; event: EventEnvelope; handler: EventHandler; delivery: Delivery }[] = [];
    const seen = new Set<string>();
    for (const { message, parsed } of run) {
      if (parsed.kind === "ignored") {
        count("ignored");
        continue;
      }
      // The same event twice in one fetch (an at-least-once producer sent it again): once is enough.
      if (seen.has(parsed.event.id)) {
        count("duplicate");
        continue;
      }
      seen.add(parsed.event.id);
      candidates.push({
        message,
        event: parsed.event,
        handler: parsed.handler,
        delivery: { consumer: this.options.groupId, eventId: parsed.event.id, topic, partition, offset: message.offset, key: message.key ?? null },
      });
    }
    if (candidates.length === 0) return outcomes;
    try {
      const applied = await withTransaction(this.options.pool, async (tx) => {
        guardConnection(tx);
        const admitted = await admitEvents(tx, candidates.map((c) => c.delivery));
        const fresh: BatchEvent[] = [];
        const tally: Outcome[] = [];
        for (const [i, candidate] of candidates.entries()) {
          const verdict = admitted[i];
          if (verdict === "first") {
            fresh.push({ contract: candidate.handler.contract, event: candidate.event, topic, partition, offset: candidate.message.offset });
            tally.push("applied");
          } else if (verdict === "held") {
            const parked = await parkEvent(tx, {
              ...candidate.delivery,
              type: candidate.event.type,
              correlationId: candidate.event.correlationId,
              value: candidate.message.value ?? Buffer.alloc(0),
              headers: candidate.message.headers,
              reason: "behind",
              attempts: 0,
            });
            tally.push(parked ? "parked_behind" : "duplicate");
            if (parked) log.warn({ eventId: candidate.event.id, offset: candidate.message.offset }, "event parked behind an earlier parked event of its key");
          } else {
            tally.push("duplicate");
          }
        }
        if (fresh.length > 0) await handler.handle(fresh, { tx, logger: log });
        return tally;
      });
      for (const outcome of applied) count(outcome);
      return outcomes;
    } catch (error) {
      if (error instanceof AfterCommitError) {
        log.warn({ err: error }, "batch applied; work after its commit failed");
        for (const outcome of error.result as Outcome[]) count(outcome);
        return outcomes;
      }
      log.warn({ err: error }, "batch failed; handling its events one by one");
      return undefined;
    }
  }

  /** One live message to its outcome; undefined when the runner stops before it has one. */
  private async process(
    topic: string,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
  ): Promise<Outcome | undefined> {
    const base = this.options.logger.child({ topic, partition, offset: message.offset });
    let parsed: Parsed;
    try {
      parsed = this.parse(message);
    } catch (error) {
      return this.deadLetterHolding(topic, partition, message, error as Error, base, heartbeat);
    }
    if (parsed.kind === "ignored") return "ignored";
    const { event, handler } = parsed;
    const log = base.child({ eventId: event.id, correlationId: event.correlationId, type: event.type });
    const delivery: Delivery = {
      consumer: this.options.groupId,
      eventId: event.id,
      topic,
      partition,
      offset: message.offset,
      key: message.key ?? null,
    };
    let attempt = 0; // failures of the event's own; the database's do not count
    let waits = 0;
    for (;;) {
      let kind: FailureKind;
      try {
        return await this.applyLive(delivery, event, handler, message, log);
      } catch (error) {
        if (error instanceof AfterCommitError) {
          log.warn({ err: error }, "event applied; work after its commit failed");
          return "applied";
        }
        kind = await classifyFailure(error, () => this.databaseAnswers());
        this.failures?.inc({ group: this.options.groupId, topic, kind });
        if (kind === "permanent") return this.deadLetterHolding(topic, partition, message, error as Error, log, heartbeat);
        if (kind === "transient") {
          attempt++;
          if (attempt >= this.retry.attempts) {
            try {
              await parkEvent(this.options.pool, {
                ...delivery,
                type: event.type,
                correlationId: event.correlationId,
                value: message.value ?? Buffer.alloc(0),
                headers: message.headers,
                reason: "failed",
                attempts: attempt,
                error: describeFailure(error),
              });
              log.error({ err: error, attempt }, "event parked after its retries; its key is held, the partition goes on");
              void this.refreshParkedGauges();
              return "parked";
            } catch (parkError) {
              // The parked table cannot be written: the database's failure, not the event's.
              kind = "database";
              this.failures?.inc({ group: this.options.groupId, topic, kind });
              log.warn({ err: parkError, attempt }, "parking failed; holding the partition");
            }
          } else {
            log.warn({ err: error, attempt }, "handling failed; retrying");
          }
        } else {
          log.warn({ err: error, attempt }, "database unavailable; holding the partition and retrying");
        }
      }
      const delayMs = this.backoff(kind === "transient" ? attempt - 1 : waits++);
      if (!(await this.pause(delayMs, heartbeat))) return undefined;
    }
  }

  /** The live event's transaction: held behind its parked key, a duplicate, or handled. */
  private async applyLive(
    delivery: Delivery,
    event: EventEnvelope,
    handler: EventHandler,
    message: KafkaMessage,
    logger: Logger,
  ): Promise<Outcome> {
    return withTransaction(this.options.pool, async (tx) => {
      guardConnection(tx);
      const admitted = await admitEvent(tx, delivery);
      if (admitted === "duplicate") {
        logger.debug("duplicate event skipped");
        return "duplicate";
      }
      if (admitted === "held") {
        const parked = await parkEvent(tx, {
          ...delivery,
          type: event.type,
          correlationId: event.correlationId,
          value: message.value ?? Buffer.alloc(0),
          headers: message.headers,
          reason: "behind",
          attempts: 0,
        });
        if (!parked) return "duplicate";
        logger.warn("event parked behind an earlier parked event of its key");
        return "parked_behind";
      }
      await handler.handle(event, { tx, logger });
      return "applied";
    });
  }

  /** Wait `ms`, keep the group membership, and say whether to go on. */
  private async pause(ms: number, heartbeat: () => Promise<void>): Promise<boolean> {
    if (this.stopping) return false;
    await sleep(ms);
    await heartbeat().catch(() => undefined);
    return !this.stopping;
  }

  private backoff(step: number): number {
    return Math.min(this.retry.maxMs, this.retry.initialMs * 2 ** Math.min(step, 20));
  }

  /** Whether the service's database answers right now (the probe for a socket error of unknown origin). */
  private async databaseAnswers(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS)));
    const probe = this.options.pool.query("SELECT 1").then(
      () => true,
      () => false,
    );
    try {
      return await Promise.race([probe, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private parse(message: Pick<Message, "value">): Parsed {
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

  /**
   * Dead-letter a live message, holding the partition while the broker or the database cannot
   * take it (nothing can progress then): sent once, then remembered in the inbox.
   */
  private async deadLetterHolding(
    topic: string,
    partition: number,
    message: Message,
    error: Error,
    logger: Logger,
    heartbeat: () => Promise<void>,
  ): Promise<Outcome | undefined> {
    let sent = false;
    for (let waits = 0; ; waits++) {
      try {
        if (!sent) {
          await this.sendDeadLetter(topic, partition, message, error);
          sent = true;
          logger.error({ reason: error.message }, "message sent to the dead-letter topic");
        }
        const eventId = eventIdOf(message);
        // Remember it so that a replay does not dead-letter it again.
        if (eventId) await recordInbox(this.options.pool, this.options.groupId, eventId, topic, partition, message.offset, "dead_lettered");
        return "dead_lettered";
      } catch (failure) {
        logger.warn({ err: failure, attempt: waits }, sent ? "dead letter sent but not recorded; retrying" : "dead-letter topic unreachable; retrying");
        if (!(await this.pause(this.backoff(waits), heartbeat))) return undefined;
      }
    }
  }

  private async sendDeadLetter(topic: string, partition: number, message: Message, error: Error): Promise<void> {
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
  }

  private async sweep(): Promise<RedriveSummary> {
    const summary: RedriveSummary = { applied: 0, deadLettered: 0, skipped: 0, parkedAgain: 0 };
    const { pool, groupId } = this.options;
    await this.refreshParkedGauges();
    // Most sweeps find nothing asked for: one indexed query, no connection held for a lock.
    if (this.stopping || !(await hasRedriveRequests(pool, groupId))) return summary;
    const lock = await pool.connect();
    guardConnection(lock);
    let lockLost = false;
    try {
      const { rows } = await lock
        .query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked", [SWEEP_LOCK, groupId])
        .catch((error: unknown) => {
          lockLost = true;
          throw error;
        });
      if (!rows[0]?.locked) return summary;
      try {
        for (const head of await redriveHeads(pool, groupId)) {
          let row: ParkedMessage | undefined = head;
          while (row && !this.stopping) {
            const outcome = await this.redrive(row);
            if (outcome === "gone") break; // another runner took this chain
            summary[outcome]++;
            this.redriven?.inc({ group: groupId, topic: row.topic, outcome: REDRIVE_OUTCOME_LABELS[outcome] });
            if (outcome === "parkedAgain") break;
            row = await nextInChain(pool, row);
          }
          if (this.stopping) break;
        }
      } finally {
        await lock.query("SELECT pg_advisory_unlock($1, hashtext($2))", [SWEEP_LOCK, groupId]).catch(() => (lockLost = true));
      }
    } finally {
      // A connection that failed is not handed back for reuse (it may still hold the lock).
      lock.release(lockLost);
    }
    if (summary.applied + summary.deadLettered + summary.skipped + summary.parkedAgain > 0) await this.refreshParkedGauges();
    return summary;
  }

  /** Handle one parked event again, through the same handler, with the same retries as a live one. */
  private async redrive(row: ParkedMessage): Promise<keyof RedriveSummary | "gone"> {
    const { pool, groupId } = this.options;
    const log = this.options.logger.child({
      topic: row.topic,
      partition: row.partition,
      offset: row.offset,
      eventId: row.eventId,
      correlationId: row.correlationId,
      type: row.type,
      parkedId: row.id,
    });
    const deadLetter = async (error: Error, failures: number) => {
      try {
        await this.sendDeadLetter(row.topic, row.partition, row.message, error);
        await withTransaction(pool, async (tx) => {
          await recordInbox(tx, groupId, row.eventId, row.topic, row.partition, row.offset, "dead_lettered");
          await resolveParked(tx, row.id, "dead_lettered", failures, describeFailure(error));
        });
      } catch (failure) {
        throw new SweepInterrupted("a redriven event could not be dead-lettered", { cause: failure });
      }
      log.error({ reason: error.message }, "redriven event sent to the dead-letter topic");
      return "deadLettered" as const;
    };
    let parsed: Parsed;
    try {
      parsed = this.parse(row.message);
    } catch (error) {
      return deadLetter(error as Error, 0);
    }
    if (parsed.kind === "ignored") {
      // The consumer no longer handles this type: nothing to apply, and nothing holds the key.
      await resolveParked(pool, row.id, "skipped", 0);
      log.warn("redriven event has no handler any more; skipped");
      return "skipped";
    }
    const { event, handler } = parsed;
    for (let failures = 0; ; ) {
      try {
        const outcome = await withTransaction(pool, async (tx) => {
          guardConnection(tx);
          if (!(await claimParked(tx, row.id))) return "gone" as const;
          const first = await recordInbox(tx, groupId, event.id, row.topic, row.partition, row.offset, "applied");
          if (first) await handler.handle(event, { tx, logger: log });
          await resolveParked(tx, row.id, "applied", failures);
          return "applied" as const;
        });
        if (outcome === "applied") log.info({ attempt: failures + 1 }, "redriven event applied");
        return outcome;
      } catch (error) {
        if (error instanceof AfterCommitError) return "applied";
        const kind = await classifyFailure(error, () => this.databaseAnswers());
        this.failures?.inc({ group: groupId, topic: row.topic, kind });
        if (kind === "permanent") return deadLetter(error as Error, failures);
        if (kind === "database") throw new SweepInterrupted("database unavailable during a redrive", { cause: error });
        failures++;
        if (failures >= this.retry.attempts) {
          try {
            await reparkChain(pool, row, failures, describeFailure(error));
          } catch (failure) {
            throw new SweepInterrupted("a redriven event could not be parked again", { cause: failure });
          }
          log.error({ err: error, attempt: row.attempts + failures }, "redriven event failed again; parked with its key's later events behind it");
          return "parkedAgain";
        }
        log.warn({ err: error, attempt: row.attempts + failures }, "redriven event failed; retrying");
        await sleep(this.backoff(failures - 1));
        if (this.stopping) throw new SweepInterrupted("the runner stops");
      }
    }
  }

  private async refreshParkedGauges(): Promise<void> {
    if (!this.parked || !this.parkedAge) return;
    const { groupId } = this.options;
    const counts = await parkedCounts(this.options.pool, groupId).catch(() => undefined);
    if (!counts) return;
    const now = Date.now();
    for (const topic of new Set([...this.options.topics, ...counts.map((count) => count.topic)])) {
      const count = counts.find((one) => one.topic === topic);
      this.parked.set({ group: groupId, topic }, count?.open ?? 0);
      this.parkedAge.set({ group: groupId, topic }, count ? Math.max(0, (now - count.oldestParkedAt.getTime()) / 1_000) : 0);
    }
  }
}

async function recordInbox(
  db: Queryable,
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

/** The event id of a message's bytes, if they carry one (for the inbox of a dead letter). */
function eventIdOf(message: Pick<Message, "value">): string | undefined {
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
