/**
 * Every topic in the house, one per publishing service and aggregate family. Keys are aggregate
 * ids, so one aggregate's events stay in order on one partition. Each topic has a dead-letter
 * twin `<topic>.dlq` that the consumer runner writes poison messages to.
 */
export const Topics = {
  registry: "kruzhok.registry.v1",
  catalogue: "kruzhok.catalogue.v1",
  enrollment: "kruzhok.enrollment.v1",
  attendance: "kruzhok.attendance.v1",
  payments: "kruzhok.payments.v1",
  statistics: "kruzhok.statistics.v1",
  notifications: "kruzhok.notifications.v1",
} as const;
export type TopicName = (typeof Topics)[keyof typeof Topics];

export const deadLetterTopic = (topic: string): string => `${topic}.dlq`;

/** Partition counts: enough for a few replicas of each consumer; one region fits on one node. */
export const defaultPartitions = 6;
