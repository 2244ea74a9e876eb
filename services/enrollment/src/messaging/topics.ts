import { serviceTopics } from "@kruzhok/contracts";

/** Topics enrollment publishes to and consumes from (the house's one list is @kruzhok/contracts serviceTopics); notifications to families are written here and delivered by the registry. */
export const publishedTopics = serviceTopics.enrollment.publishes;
export const consumedTopics = serviceTopics.enrollment.consumes;
