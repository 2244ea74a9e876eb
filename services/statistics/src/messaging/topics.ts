import { Topics } from "@kruzhok/contracts";

/** Topics statistics publishes to and consumes from: the one list of them. */
export const publishedTopics = [Topics.statistics] as const;
export const consumedTopics = [Topics.registry, Topics.catalogue, Topics.enrollment, Topics.attendance, Topics.payments] as const;
