import { serviceTopics } from "@kruzhok/contracts";

/** Topics attendance publishes to and consumes from (the house's one list is @kruzhok/contracts serviceTopics). */
export const publishedTopics = serviceTopics.attendance.publishes;
export const consumedTopics = serviceTopics.attendance.consumes;
