import { serviceTopics } from "@kruzhok/contracts";

/** Topics the registry publishes to and consumes from (the house's one list is @kruzhok/contracts serviceTopics); it consumes notifications because only it holds guardians' contacts. */
export const publishedTopics = serviceTopics.registry.publishes;
export const consumedTopics = serviceTopics.registry.consumes;
