import { Topics } from "@kruzhok/contracts";

/** Topics payments publishes to and consumes from: the one list of them. */
export const publishedTopics = [Topics.payments] as const;
export const consumedTopics = [Topics.registry, Topics.catalogue, Topics.enrollment, Topics.attendance] as const;
