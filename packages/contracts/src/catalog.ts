import type { EventContract } from "./envelope";
import { attendanceEvents } from "./events/attendance";
import { catalogueEvents } from "./events/catalogue";
import { enrollmentEvents, enrollmentSeatEvents, notificationEvents } from "./events/enrollment";
import { paymentsEvents } from "./events/payments";
import { registryEvents } from "./events/registry";
import { statisticsEvents } from "./events/statistics";
import { Topics } from "./topics";

/**
 * Every event contract of the house, one entry per type and version. Services add theirs here
 * (from `src/events/<service>.ts`) so that the generated JSON Schemas and the AsyncAPI document
 * always describe every event on every topic.
 */
export const eventCatalog: readonly EventContract[] = [
  ...registryEvents,
  ...catalogueEvents,
  ...enrollmentEvents,
  ...enrollmentSeatEvents,
  ...notificationEvents,
  ...attendanceEvents,
  ...paymentsEvents,
  ...statisticsEvents,
];

/** What each topic is for, for the AsyncAPI document. */
export const topicDescriptions: Record<(typeof Topics)[keyof typeof Topics], string> = {
  [Topics.registry]: "Municipalities' yearly settings, certificates, children's categories (ids only), providers",
  [Topics.catalogue]: "Programs and groups: published, updated, withdrawn; capacity, schedule, price",
  [Topics.enrollment]: "Applications, queue changes, offers, contracts, enrollments, campaigns",
  [Topics.attendance]: "Lessons, marks, absence notices, closed months",
  [Topics.payments]: "Charges, payment registers, balances, year rollover",
  [Topics.statistics]: "Aggregates for ministries, small cells suppressed",
  [Topics.notifications]: "Messages to families: offers, deadlines, positions, refusals (from enrollment), categories about to end (from the registry)",
};
