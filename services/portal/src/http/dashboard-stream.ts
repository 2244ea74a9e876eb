// The dashboard's live numbers: statistics' stream of published cells (Server-Sent Events),
// relayed to the person's browser. The portal opens it with the person's token, so statistics
// decides the reach (a region official's region; another region is refused); the relay passes
// on only the month cells of what the page shows (a ministry of every region: the regions' own
// cells, not every municipality's), as the same events (`snapshot`, then `cells`).
import { PassThrough } from "node:stream";
import type { FastifyInstance } from "fastify";
import { STREAM_HANDLER_TIMEOUT_MS } from "@kruzhok/http";
import { REGION_CODE, everyRegion, type OfficialPagesOptions, type StatCell } from "./dashboard-cells";
import { openEventStream, sseParser } from "./dashboard-upstream";
import { personOf } from "./web";

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** How soon a browser tries again after the stream ends (statistics restarted, the portal's replica gone). */
const RETRY_MS = 3_000;

export function dashboardStreamRoutes(app: FastifyInstance, options: OfficialPagesOptions): void {
  const { services } = options;
  // Open relays end when the portal closes: a browser's stream would otherwise hold the close
  // (a deploy) until it leaves; its EventSource reconnects to another replica.
  const open = new Set<() => void>();
  app.addHook("preClose", async () => {
    for (const finish of open) finish();
  });

  app.get<{ Querystring: { regionCode?: string; from?: string } }>("/dashboard/stream", { handlerTimeout: STREAM_HANDLER_TIMEOUT_MS }, async (request, reply) => {
    const person = personOf(request, reply, "region", "ministry");
    if (!person) return reply;
    const { regionCode, from } = request.query;
    // The page names both; anything else is not this page's, and reaches no service.
    if ((regionCode !== undefined && !REGION_CODE.test(regionCode)) || from === undefined || !LOCAL_DATE.test(from)) {
      return reply.code(400).type("text/plain; charset=utf-8").send("regionCode or from is not one this page sends");
    }
    const upstream = await openEventStream(services, "statistics", "/statistics/stream", {
      token: person.token,
      language: request.page.language,
      requestId: request.id,
      query: { regionCode, period: "month", from },
    });
    if (!upstream.ok) {
      request.log.info({ code: upstream.problem.code, status: upstream.problem.status }, "dashboard stream refused");
      return reply.code(upstream.problem.status === 403 ? 403 : 400).type("text/plain; charset=utf-8").send(upstream.problem.detail || upstream.problem.code);
    }
    const overview = regionCode === undefined && everyRegion(person);
    const shown = (cell: StatCell) => cell.period === "month" && cell.start >= from && (!overview || cell.scope === "region");
    const out = new PassThrough();
    out.write(`retry: ${RETRY_MS}\n\n`);
    const parse = sseParser((event) => {
      if ("comment" in event) {
        out.write(": keep-alive\n\n");
        return;
      }
      let cells: StatCell[];
      try {
        cells = (JSON.parse(event.data) as { cells: StatCell[] }).cells.filter(shown);
      } catch (error) {
        request.log.warn({ err: error, event: event.name }, "statistics sent an event that is not cells");
        return;
      }
      if (cells.length > 0 || event.name === "snapshot") out.write(`event: ${event.name}\ndata: ${JSON.stringify({ cells })}\n\n`);
    });
    upstream.events.setEncoding("utf8");
    upstream.events.on("data", parse);
    upstream.events.on("end", () => out.end());
    upstream.events.on("error", () => out.end());
    const finish = () => {
      open.delete(finish);
      upstream.close();
      out.end();
    };
    open.add(finish);
    request.raw.on("close", finish);
    out.on("close", finish);
    return reply.header("content-type", "text/event-stream; charset=utf-8").header("cache-control", "no-store").header("x-accel-buffering", "no").send(out);
  });
}
