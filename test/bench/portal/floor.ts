// The floor under the navigator's page on this machine: what one more HTTP hop costs when it
// does no work of its own. Two tiny Fastify processes, run by the portal benchmark beside the
// real ones:
//   tsx floor.ts answer PORT BODY_FILE          GET /* answers the file (a real cached search answer)
//   tsx floor.ts page PORT UPSTREAM_PORT PAGE_FILE
//                                               GET /* calls the answer process with a kept-alive
//                                               node:http agent, parses its JSON, and sends the
//                                               file (a real page of the portal, same bytes) as
//                                               text/html: the portal's page without rendering,
//                                               sessions, rate limit or security headers.
// Their CPU per request, at the benchmark's rate, is the least any page that calls the search
// can add to the search's own cost here.
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import Fastify from "fastify";

const [mode, portText, third, fourth] = process.argv.slice(2);
const port = Number(portText);
const app = Fastify({ logger: false });

if (mode === "answer") {
  const body = readFileSync(third!);
  app.get("/*", async (_request, reply) => reply.type("application/json; charset=utf-8").send(body));
} else if (mode === "page") {
  const upstream = Number(third);
  const page = readFileSync(fourth!, "utf8");
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const fetchJson = (path: string) =>
    new Promise<unknown>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: upstream, path, agent, headers: { accept: "application/json" } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString("utf8"))));
      });
      req.on("error", reject);
      req.end();
    });
  app.get("/*", async (request, reply) => {
    const answer = (await fetchJson(`/search${request.url.slice(1)}`)) as { items?: unknown[] };
    // The parsed answer is used (so the parse is not optimised away), the page is as large as a real one.
    return reply.type("text/html; charset=utf-8").header("x-items", String(answer.items?.length ?? 0)).send(page);
  });
} else {
  throw new Error(`unknown mode ${String(mode)}: answer or page`);
}
app.get("/readyz", async () => ({ ready: true }));
await app.listen({ port, host: "127.0.0.1" });
