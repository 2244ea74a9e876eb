import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { requireActor } from "@kruzhok/http";
import { withTransaction } from "@kruzhok/postgres";
import { calendarHistory, calendarOf, noticeSettingsHistory, noticeSettingsOf, setCalendar, setNoticeSettings } from "../usecases/settings";
import type { EnrollmentRouteDeps } from "../deps";
import {
  CalendarBody,
  CalendarHistory,
  CalendarParams,
  CalendarVersion,
  CalendarView,
  IdParams,
  NoticeSettingsBody,
  NoticeSettingsHistory,
  NoticeSettingsVersion,
  NoticeSettingsView,
  OnQuery,
} from "./schemas";

/**
 * The municipality's own settings: notice thresholds and each year's calendar of days off (its
 * staff). Each takes effect from a date; every version is kept.
 */
export const settingsRoutes: FastifyPluginAsync<EnrollmentRouteDeps> = async (plain, { pool, clock }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["municipality settings"];

  app.get(
    "/municipalities/:id/notice-settings",
    {
      schema: {
        tags,
        operationId: "getNoticeSettings", summary: "When families are told their turn is near and when offers' reminders go, as in force on a date (today unless asked; the defaults until a version takes effect) (the municipality's officials, not the office)",
        params: IdParams,
        querystring: OnQuery,
        response: { 200: NoticeSettingsView },
      },
    },
    async (request) => noticeSettingsOf(pool, requireActor(request), request.params.id, clock(), request.query.on),
  );

  app.get(
    "/municipalities/:id/notice-settings/versions",
    {
      schema: {
        tags,
        operationId: "listNoticeSettingsVersions", summary: "The notice thresholds in force today and every version as set (who, when, from when) (the municipality's officials, not the office)",
        params: IdParams,
        response: { 200: NoticeSettingsHistory },
      },
    },
    async (request) => noticeSettingsHistory(pool, requireActor(request), request.params.id, clock()),
  );

  app.put(
    "/municipalities/:id/notice-settings",
    {
      schema: {
        tags,
        operationId: "setNoticeSettings", summary:
          "Set from a date when families are told their turn is near (within N of the head) and how long before an offer expires its reminder goes: a new version; the earlier ones stay and govern the moments before it (the municipality's officials, not the office)",
        params: IdParams,
        body: NoticeSettingsBody,
        response: { 200: NoticeSettingsVersion },
      },
    },
    async (request) => withTransaction(pool, (tx) => setNoticeSettings(tx, requireActor(request), { municipalityId: request.params.id, ...request.body }, clock())),
  );

  app.get(
    "/municipalities/:id/calendars/:year",
    {
      schema: {
        tags,
        operationId: "getCalendar", summary:
          "A year's days off and weekend days decreed working, as review deadlines count them on a date (today unless asked): the municipality's version in force then, or the country's fixed holidays (the municipality's officials, not the office)",
        params: CalendarParams,
        querystring: OnQuery,
        response: { 200: CalendarView },
      },
    },
    async (request) => calendarOf(pool, requireActor(request), request.params.id, request.params.year, clock(), request.query.on),
  );

  app.get(
    "/municipalities/:id/calendars/:year/versions",
    {
      schema: {
        tags,
        operationId: "listCalendarVersions", summary: "A year's calendar in force today and every version of it as set (who, when, from when) (the municipality's officials, not the office)",
        params: CalendarParams,
        response: { 200: CalendarHistory },
      },
    },
    async (request) => calendarHistory(pool, requireActor(request), request.params.id, request.params.year, clock()),
  );

  app.put(
    "/municipalities/:id/calendars/:year",
    {
      schema: {
        tags,
        operationId: "setCalendar", summary:
          "Set a year's calendar from a date: every day off (the decreed transfers, Kurban Ait) and the Saturdays or Sundays decreed working; it replaces the country's fixed holidays of that year from that date, as a new version; the earlier ones stay and govern the days before it (the municipality's officials, not the office)",
        params: CalendarParams,
        body: CalendarBody,
        response: { 200: CalendarVersion },
      },
    },
    async (request) => withTransaction(pool, (tx) => setCalendar(tx, requireActor(request), { municipalityId: request.params.id, year: request.params.year, ...request.body }, clock())),
  );
};
