import { Topics } from "@kruzhok/contracts";

/** Topics the registry publishes to and consumes from: the one list of them (notifications: a category's end is told to the family). */
export const publishedTopics = [Topics.registry, Topics.notifications] as const;
/** Notifications are consumed here because only the registry holds guardians' contacts. */
export const consumedTopics = [Topics.enrollment, Topics.notifications] as const;
