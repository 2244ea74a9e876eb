import { serviceTopics } from "@kruzhok/contracts";

/** Topics statistics publishes to and consumes from (the house's one list is @kruzhok/contracts serviceTopics). */
export const publishedTopics = serviceTopics.statistics.publishes;
export const consumedTopics = serviceTopics.statistics.consumes;
