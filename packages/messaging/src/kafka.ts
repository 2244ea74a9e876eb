import { Kafka, Partitioners, logLevel, type KafkaConfig, type LogEntry } from "kafkajs";
import type { Logger } from "@kruzhok/observability";

export interface KafkaConnection {
  brokers: string[];
  clientId: string;
}

/** Parse `KAFKA_BROKERS` (`127.0.0.1:9092,127.0.0.1:9094`). Use 127.0.0.1, not localhost: kafkajs cannot parse ::1. */
export function parseBrokers(list: string): string[] {
  return list
    .split(",")
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
}

const levels: Record<number, "error" | "warn" | "info" | "debug"> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

/**
 * kafkajs warns that limited retries "may invalidate EoS guarantees" whenever an idempotent
 * producer has them. Ours are limited on purpose: a send that gives up fails the relay's round,
 * its rows stay unpublished and the next round sends them again (at least once), and every
 * consumer's inbox drops what it has seen. Retrying forever inside kafkajs would instead stall
 * the relay on a broker outage without a word in the logs. Logged at debug, not warn.
 */
const EXPECTED_WARNINGS = new Set(["Limiting retries for the idempotent producer may invalidate EoS guarantees"]);

/**
 * The level a kafkajs log line gets in ours. Besides the warning above: kafkajs logs every error
 * answer of the broker as `Response <Api>` at error level, and then throws, and its caller retries
 * what is retriable (a fresh broker answers "coordinator is loading" and "does not host this
 * topic-partition" for a few seconds). A failure that outlasts the retries reaches our code,
 * which logs it at error itself (relay round, consumer, start-up); the single answer is a warning.
 */
export function kafkaLogLevel(level: logLevel, message: string): "error" | "warn" | "info" | "debug" {
  if (level === logLevel.WARN && EXPECTED_WARNINGS.has(message)) return "debug";
  if (level === logLevel.ERROR && message.startsWith("Response ")) return "warn";
  return levels[level] ?? "info";
}

/** kafkajs logs through the service's pino logger instead of its own console output. */
export function createKafka(connection: KafkaConnection, logger?: Logger, extra: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: connection.clientId,
    brokers: connection.brokers,
    connectionTimeout: 3_000,
    retry: { initialRetryTime: 100, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        if (!logger) return;
        const { message, ...rest } = log;
        logger[kafkaLogLevel(level, message)]({ kafka: rest }, message);
      },
    ...extra,
  });
}

/**
 * A plain producer (tests, tools, benchmarks) with the partitioner named, so kafkajs does not
 * warn. Services publish through the outbox relay, never with this after a commit.
 */
export function createProducer(kafka: Kafka): ReturnType<Kafka["producer"]> {
  return kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
}
