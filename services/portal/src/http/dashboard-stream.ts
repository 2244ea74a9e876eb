// The dashboard's live numbers: statistics' stream of published cells (Server-Sent Events),
// relayed to the person's browser. The portal opens it with the person's token, so statistics
// decides the reach (a region official's region; another region is refused); the relay passes
// on only the month cells of what the page shows (a ministry of every region: the regions' own
// cells, not every municipality's), as the same events (`snapshot`, then `cells`).
import type { FastifyInstance } from "fastify";
import { STREAM_HANDLER_TIMEOUT_MS } from "@kruzhok/http";
import { REGION_CODE, everyRegion, type OfficialPagesOptions, type StatCell } from "./dashboard-cells";
import { openEventStream, openRelays, relayEventStream } from "./dashboard-upstream";
import { personOf } from "./web";

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** How soon a browser tries again after the stream ends (statistics restarted, the portal's replica gone). */
const RETRY_MS = 3_000;

export function dashboardStreamRoutes(app: FastifyInstance, options: OfficialPagesOptions): void {
  const { services } = options;
  const open = openRelays(app);

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
    return relayEventStream(request, reply, upstream, {
      retryMs: RETRY_MS,
      open,
      relay: (event) => {
        let cells: StatCell[];
        try {
          cells = (JSON.parse(event.data) as { cells: StatCell[] }).cells.filter(shown);
        } catch (error) {
          request.log.warn({ err: error, event: event.name }, "statistics sent an event that is not cells");
          return undefined;
        }
        return cells.length > 0 || event.name === "snapshot" ? { text: `event: ${event.name}\ndata: ${JSON.stringify({ cells })}\n\n` } : undefined;
      },
    });
  });
}
