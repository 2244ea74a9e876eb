import { Topics } from "@kruzhok/contracts";

/**
 * Topics statistics publishes to and consumes from: the one list of them. Attendance and
 * payments join `consumedTopics` when their contracts exist (issues 14 and 15).
 */
export const publishedTopics = [Topics.statistics] as const;
export const consumedTopics = [Topics.registry, Topics.catalogue, Topics.enrollment] as const;
