import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { MarkingBatcher, markSheet, setDayOff, setLessonKind } from "../usecases/marking";
import { groupMonth, lessonChanges } from "../usecases/views";
import type { AttendanceDeps } from "../deps";
import { Change, DayOffBody, GroupMonth, IdParams, KindBody, LessonBody, LessonParams, MarkedLesson, MonthParams, MonthQuery, SheetBody } from "./schemas";
import { iso } from "./views";

export const markRoutes: FastifyPluginAsync<AttendanceDeps> = async (plain, deps) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["marks"];
  const split = (lesson: string) => ({ date: lesson.slice(0, 10), start: lesson.slice(11) });
  // Lessons marked at the same time share a transaction (group commit), each decided as if alone.
  const lessons = new MarkingBatcher(deps);

  app.put(
    "/groups/:id/lessons/:lesson",
    { schema: { tags, operationId: "markLesson", summary: "Mark a whole lesson: each child present or absent (the group's provider)", params: LessonParams, body: LessonBody, response: { 200: MarkedLesson } } },
    async (request) =>
      lessons.mark(requireActor(request), { groupId: request.params.id, ...split(request.params.lesson), ...request.body }, { correlationId: correlationIdOf(request) }),
  );

  app.put(
    "/groups/:id/sheets/:month",
    { schema: { tags, operationId: "markMonthSheet", summary: "Mark a month's sheet for a group (the group's provider)", params: MonthParams, body: SheetBody, response: { 200: MarkedLesson.array() } } },
    async (request) =>
      markSheet(deps, requireActor(request), { groupId: request.params.id, month: request.params.month, lessons: request.body.lessons }, { correlationId: correlationIdOf(request) }),
  );

  app.get(
    "/groups/:id/lessons",
    { schema: { tags, operationId: "getGroupMonth", summary: "A group's month: scheduled lessons, rosters and marks (the group's provider, its municipality's staff and region)", params: IdParams, querystring: MonthQuery, response: { 200: GroupMonth } } },
    async (request) => {
      const view = await groupMonth(deps.pool, requireActor(request), request.params.id, request.query.month);
      return { ...view, marks: view.marks.map(iso) };
    },
  );

  app.get(
    "/groups/:id/lessons/:lesson/changes",
    { schema: { tags, operationId: "listLessonChanges", summary: "Every change of a lesson's marks: who, when, old and new (the group's provider, its municipality's staff and region)", params: LessonParams, response: { 200: Change.array() } } },
    async (request) => {
      const { date, start } = split(request.params.lesson);
      return (await lessonChanges(deps.pool, requireActor(request), request.params.id, date, start)).map(iso);
    },
  );

  app.post(
    "/groups/:id/days-off",
    { schema: { tags, operationId: "recordDayOff", summary: "Cancel a day's lessons or record a closure (the group's provider)", params: IdParams, body: DayOffBody, response: { 200: DayOffBody } } },
    async (request) => {
      await setDayOff(deps, requireActor(request), { groupId: request.params.id, ...request.body }, { correlationId: correlationIdOf(request) });
      return request.body;
    },
  );

  app.put(
    "/groups/:id/kind",
    { schema: { tags, operationId: "setGroupKind", summary: "Whether the group's lessons are classes or days of care (the group's provider)", params: IdParams, body: KindBody, response: { 200: KindBody } } },
    async (request) => {
      await setLessonKind(deps, requireActor(request), { groupId: request.params.id, kind: request.body.kind }, { correlationId: correlationIdOf(request) });
      return request.body;
    },
  );
};
