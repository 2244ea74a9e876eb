import { serviceTopics } from "@kruzhok/contracts";

/** Topics the catalogue publishes to and consumes from (the house's one list is @kruzhok/contracts serviceTopics). */
export const publishedTopics = serviceTopics.catalogue.publishes;
export const consumedTopics = serviceTopics.catalogue.consumes;
