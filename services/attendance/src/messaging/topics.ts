import { Topics } from "@kruzhok/contracts";

/** Topics attendance publishes to and consumes from: the one list of them. */
export const publishedTopics = [Topics.attendance] as const;
export const consumedTopics = [Topics.registry, Topics.catalogue, Topics.enrollment] as const;
