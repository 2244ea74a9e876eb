export { ConsumerRunner, fastConsumerSettings, handlerFor, type ConsumerOptions, type EventHandler, type HandlerContext } from "./consumer";
export { newEvent, type Cause, type EventOrigin } from "./events";
export { createKafka, createProducer, kafkaLogLevel, parseBrokers, type KafkaConnection } from "./kafka";
export { messagingMigrations } from "./migrations";
export { appendToOutbox, emit, outboxRow, type OutboxEntry, type OutboxRow } from "./outbox";
export { ensureTopics, type TopicSpec } from "./provision";
export { kafkaReadiness } from "./readiness";
export { OutboxRelay, type RelayOptions } from "./relay";
export type { Kafka } from "kafkajs";
