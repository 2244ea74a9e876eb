import { Topics } from "@kruzhok/contracts";

/** Topics the catalogue publishes to and consumes from: the one list of them. */
export const publishedTopics = [Topics.catalogue] as const;
export const consumedTopics = [Topics.registry, Topics.enrollment] as const;
