import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { requireActor } from "@kruzhok/http";
import { withTransaction } from "@kruzhok/postgres";
import { calendarOf, noticeSettingsOf, setCalendar, setNoticeSettings } from "../usecases/settings";
import type { EnrollmentRouteDeps } from "../deps";
import { CalendarBody, CalendarParams, CalendarView, IdParams, NoticeSettingsBody, NoticeSettingsView } from "./schemas";

/** The municipality's own settings: notice thresholds and each year's calendar of days off (its staff). */
export const settingsRoutes: FastifyPluginAsync<EnrollmentRouteDeps> = async (plain, { pool, clock }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["municipality settings"];

  app.get(
    "/municipalities/:id/notice-settings",
    { schema: { tags, summary: "When families are told their turn is near and when offers' reminders go (the municipality's staff)", params: IdParams, response: { 200: NoticeSettingsView } } },
    async (request) => noticeSettingsOf(pool, requireActor(request), request.params.id),
  );

  app.put(
    "/municipalities/:id/notice-settings",
    {
      schema: {
        tags,
        summary: "Set when families are told their turn is near (within N of the head) and how long before an offer expires its reminder goes (the municipality's staff)",
        params: IdParams,
        body: NoticeSettingsBody,
        response: { 200: NoticeSettingsView },
      },
    },
    async (request) => withTransaction(pool, (tx) => setNoticeSettings(tx, requireActor(request), { municipalityId: request.params.id, ...request.body }, clock())),
  );

  app.get(
    "/municipalities/:id/calendars/:year",
    {
      schema: {
        tags,
        summary: "A year's days off and weekend days decreed working, as review deadlines count them: the municipality's own, or the country's fixed holidays (the municipality's staff)",
        params: CalendarParams,
        response: { 200: CalendarView },
      },
    },
    async (request) => calendarOf(pool, requireActor(request), request.params.id, request.params.year),
  );

  app.put(
    "/municipalities/:id/calendars/:year",
    {
      schema: {
        tags,
        summary: "Set a year's calendar: every day off (the decreed transfers, Kurban Ait) and the Saturdays or Sundays decreed working; it replaces the country's fixed holidays for that year (the municipality's staff)",
        params: CalendarParams,
        body: CalendarBody,
        response: { 200: CalendarView },
      },
    },
    async (request) => withTransaction(pool, (tx) => setCalendar(tx, requireActor(request), { municipalityId: request.params.id, year: request.params.year, ...request.body }, clock())),
  );
};
