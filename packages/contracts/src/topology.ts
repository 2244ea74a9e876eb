import { Topics, type TopicName } from "./topics";

/**
 * Which service publishes to and consumes from which topic: the one list of them. Each
 * service's `messaging/topics.ts` takes its own lines from here, and the AsyncAPI document
 * describes both sides from it, so the document cannot say a service listens where it does not.
 */
export const serviceTopics = {
  // Notifications: enrollment and the registry write them; the registry alone delivers them (it holds the contacts).
  registry: { publishes: [Topics.registry, Topics.notifications], consumes: [Topics.enrollment, Topics.notifications] },
  catalogue: { publishes: [Topics.catalogue], consumes: [Topics.registry, Topics.enrollment] },
  enrollment: { publishes: [Topics.enrollment, Topics.notifications], consumes: [Topics.registry, Topics.catalogue] },
  attendance: { publishes: [Topics.attendance], consumes: [Topics.registry, Topics.catalogue, Topics.enrollment] },
  payments: { publishes: [Topics.payments], consumes: [Topics.registry, Topics.catalogue, Topics.enrollment, Topics.attendance] },
  statistics: { publishes: [Topics.statistics], consumes: [Topics.registry, Topics.catalogue, Topics.enrollment, Topics.attendance, Topics.payments] },
} as const satisfies Record<string, { publishes: readonly TopicName[]; consumes: readonly TopicName[] }>;
export type ServiceWithTopics = keyof typeof serviceTopics;
