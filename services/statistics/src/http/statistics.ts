import { PassThrough } from "node:stream";
import type { FastifyPluginAsync } from "fastify";
import type { z } from "zod";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { requireActor, STREAM_HANDLER_TIMEOUT_MS } from "@kruzhok/http";
import type { Cell } from "../domain/cells";
import { statisticsError } from "../domain/errors";
import { latestVersion, listCells, type CellFilter } from "../store/cells";
import type { VersionedCell } from "../store/change-feed";
import { readerScope } from "../usecases/access";
import { indicatorReport } from "../usecases/report";
import { reportCsv, reportFileName, reportXlsx } from "./report-files";
import type { StatisticsAppDeps } from "../deps";
import { Cells, CellsQuery, Report, ReportQuery, StreamQuery } from "./schemas";

const KEEP_ALIVE_MS = 15_000;

/** A published cell as readers get it (no internal key or version). */
const outward = (cell: Cell): Cell => ({
  scope: cell.scope,
  municipalityId: cell.municipalityId,
  regionCode: cell.regionCode,
  period: cell.period,
  start: cell.start,
  measure: cell.measure,
  dims: cell.dims,
  value: cell.value,
  suppressed: cell.suppressed,
});

const CSV_COLUMNS = ["scope", "municipalityId", "regionCode", "period", "start", "measure", "dims", "value", "suppressed"] as const;
const csvField = (value: string) => (/[",\n;]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
function toCsv(cells: readonly Cell[]): string {
  const lines = [CSV_COLUMNS.join(",")];
  for (const cell of cells) {
    const dims = Object.keys(cell.dims)
      .sort()
      .map((k) => `${k}=${cell.dims[k]}`)
      .join(";");
    lines.push([cell.scope, cell.municipalityId ?? "", cell.regionCode, cell.period, cell.start, cell.measure, dims, cell.value === null ? "" : String(cell.value), String(cell.suppressed)].map(csvField).join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}

function matches(filter: CellFilter, cell: VersionedCell): boolean {
  if (cell.regionCode === "") return false;
  if (filter.regionCodes && !filter.regionCodes.includes(cell.regionCode)) return false;
  if (filter.municipalityId && cell.municipalityId !== filter.municipalityId) return false;
  if (filter.period && cell.period !== filter.period) return false;
  if (filter.from && cell.start < filter.from) return false;
  return true;
}

export const statisticsRoutes: FastifyPluginAsync<StatisticsAppDeps> = async (plain, deps) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const tags = ["statistics"];

  const cellsOf = async (actor: ReturnType<typeof requireActor>, query: CellsQuery) => {
    if (query.from && query.to && query.from > query.to) throw statisticsError("PERIOD_INVERTED", "from must not be after to", { field: "from" });
    const scope = await readerScope(deps.pool, actor, query, "read");
    const cells = await listCells(deps.pool, { ...scope, ...(query.period && { period: query.period }), ...(query.from && { from: query.from }), ...(query.to && { to: query.to }), ...(query.measure && { measure: query.measure }) });
    return cells.map(outward);
  };

  app.get(
    "/statistics/cells",
    { schema: { tags, operationId: "listCells", summary: "Published aggregates of any period, as JSON (ministry, region, municipality; suppressed cells carry null)", querystring: CellsQuery, response: { 200: Cells } } },
    async (request) => ({ cells: await cellsOf(requireActor(request), request.query) }),
  );

  app.get(
    "/statistics/cells.csv",
    { schema: { tags, operationId: "exportCellsCsv", summary: "The same aggregates as CSV (RFC 4180; dims as k=v;k=v, an empty value where suppressed)", querystring: CellsQuery } },
    async (request, reply) =>
      reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", 'attachment; filename="statistics.csv"')
        .send(toCsv(await cellsOf(requireActor(request), request.query))),
  );

  app.get(
    "/statistics/report",
    { schema: { tags, operationId: "getReport", summary: "The monthly indicator report of a municipality or a region as of any date", querystring: ReportQuery, response: { 200: Report } } },
    async (request) => indicatorReport(deps, requireActor(request), request.query),
  );

  app.get(
    "/statistics/report.csv",
    { schema: { tags, operationId: "exportReportCsv", summary: "The monthly indicator report as CSV (RFC 4180; dims as k=v;k=v, an empty value and suppressed=true where suppressed)", querystring: ReportQuery } },
    async (request, reply) => {
      const report = await indicatorReport(deps, requireActor(request), request.query);
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="${reportFileName(report, "csv")}"`)
        .send(reportCsv(report));
    },
  );

  app.get(
    "/statistics/report.xlsx",
    { schema: { tags, operationId: "exportReportXlsx", summary: "The monthly indicator report as an XLSX workbook (the CSV's columns; numbers as numbers)", querystring: ReportQuery } },
    async (request, reply) => {
      const report = await indicatorReport(deps, requireActor(request), request.query);
      return reply
        .type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .header("content-disposition", `attachment; filename="${reportFileName(report, "xlsx")}"`)
        .send(await reportXlsx(report));
    },
  );

  app.get(
    "/statistics/stream",
    {
      schema: {
        tags,
        operationId: "streamCells", summary: "Server-Sent Events (ministry, region): `snapshot` with the published cells in scope, then `cells` with every change",
        querystring: StreamQuery,
      },
      handlerTimeout: STREAM_HANDLER_TIMEOUT_MS,
    },
    async (request, reply) => {
      const query = request.query;
      const filter: CellFilter = { ...(await readerScope(deps.pool, requireActor(request), query, "stream")), ...(query.period && { period: query.period }), ...(query.from && { from: query.from }) };
      const stream = new PassThrough();
      const send = (event: string, cells: readonly Cell[]) => stream.write(`event: ${event}\ndata: ${JSON.stringify({ cells: cells.map(outward) })}\n\n`);
      const state: { since: number | undefined } = { since: undefined };
      const early: VersionedCell[] = [];
      const unsubscribe = deps.changeFeed.subscribe(
        (cells) => {
          const mine = cells.filter((cell) => matches(filter, cell));
          if (state.since === undefined) early.push(...mine);
          else {
            const since = state.since;
            const fresh = mine.filter((cell) => cell.version > since);
            if (fresh.length > 0) send("cells", fresh);
          }
        },
        () => stream.end(),
      );
      const keepAlive = setInterval(() => stream.write(": keep-alive\n\n"), KEEP_ALIVE_MS);
      const finish = () => {
        clearInterval(keepAlive);
        unsubscribe();
        stream.end();
      };
      request.raw.on("close", finish);
      stream.on("close", finish);
      // Changes heard while the snapshot is read are sent after it, those it already holds skipped.
      const version = await latestVersion(deps.pool);
      const snapshot = await listCells(deps.pool, filter);
      void reply.header("content-type", "text/event-stream; charset=utf-8").header("cache-control", "no-store").header("x-accel-buffering", "no").send(stream);
      send("snapshot", snapshot);
      state.since = version;
      const later = early.filter((cell) => cell.version > version);
      if (later.length > 0) send("cells", later);
      return reply;
    },
  );
};

type CellsQuery = z.infer<typeof CellsQuery>;
