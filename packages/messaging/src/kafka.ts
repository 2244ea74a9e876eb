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
        logger[levels[level] ?? "info"]({ kafka: rest }, message);
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
