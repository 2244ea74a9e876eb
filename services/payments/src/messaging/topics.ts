import { serviceTopics } from "@kruzhok/contracts";

/** Topics payments publishes to and consumes from (the house's one list is @kruzhok/contracts serviceTopics). */
export const publishedTopics = serviceTopics.payments.publishes;
export const consumedTopics = serviceTopics.payments.consumes;
