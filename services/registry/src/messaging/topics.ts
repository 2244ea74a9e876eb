import { Topics } from "@kruzhok/contracts";

/** Topics the registry publishes to and consumes from: the one list of them. */
export const publishedTopics = [Topics.registry] as const;
export const consumedTopics = [Topics.enrollment] as const;
