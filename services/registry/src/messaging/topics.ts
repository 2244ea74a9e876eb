import { Topics } from "@kruzhok/contracts";

/** Topics the registry publishes to and consumes from: the one list of them. */
export const publishedTopics = [Topics.registry] as const;
/** Notifications are consumed here because only the registry holds guardians' contacts. */
export const consumedTopics = [Topics.enrollment, Topics.notifications] as const;
