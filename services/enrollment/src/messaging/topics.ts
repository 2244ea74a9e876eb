import { Topics } from "@kruzhok/contracts";

/** Topics enrollment publishes to and consumes from: the one list of them. */
export const publishedTopics = [Topics.enrollment] as const;
export const consumedTopics = [Topics.registry, Topics.catalogue] as const;
