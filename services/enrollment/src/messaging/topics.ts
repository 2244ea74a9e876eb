import { Topics } from "@kruzhok/contracts";

/** Topics enrollment publishes to and consumes from: the one list of them. */
/** Notifications to families are written here and delivered by the registry (it holds the contacts). */
export const publishedTopics = [Topics.enrollment, Topics.notifications] as const;
export const consumedTopics = [Topics.registry, Topics.catalogue] as const;
