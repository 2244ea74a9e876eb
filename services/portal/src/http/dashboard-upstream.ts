// Two calls to statistics that the portal's client (../api/client.ts) does not make: its live
// stream of cells (Server-Sent Events, read as it arrives) and the report's files (bytes, which a
// text call would spoil). Both with the person's token and language, as every call of a page.
import { request, type IncomingMessage } from "node:http";
import { request as tlsRequest } from "node:https";
import { PassThrough } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { FamilyLanguage } from "@kruzhok/i18n";
import { ServiceUnavailable, type Problem, type ServiceName, type Services } from "../api/client";

export interface UpstreamCall {
  token: string;
  language: FamilyLanguage;
  requestId: string;
  query: Record<string, string | undefined>;
}

function open(services: Services, service: ServiceName, path: string, call: UpstreamCall, accept: string, timeoutMs: number | undefined): Promise<IncomingMessage> {
  const url = new URL(path, services.urlOf(service));
  for (const [key, value] of Object.entries(call.query)) if (value !== undefined && value !== "") url.searchParams.append(key, value);
  const headers = { accept, "accept-language": call.language, authorization: `Bearer ${call.token}`, "x-request-id": call.requestId };
  return new Promise((resolve, reject) => {
    const req = (url.protocol === "https:" ? tlsRequest : request)(url, { method: "GET", headers, ...(timeoutMs !== undefined && { timeout: timeoutMs }) }, resolve);
    req.on("timeout", () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on("error", (error) => reject(new ServiceUnavailable(service, error)));
    req.end();
  });
}

async function bodyOf(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function problemOf(service: ServiceName, res: IncomingMessage): Promise<Problem> {
  const text = (await bodyOf(res)).toString("utf8");
  if ((res.statusCode ?? 0) >= 500) throw new ServiceUnavailable(service, new Error(`${res.statusCode} ${text.slice(0, 200)}`));
  let body: Partial<Problem> = {};
  try {
    body = JSON.parse(text) as Partial<Problem>;
  } catch {
    // Not a problem document (a proxy's page): the status alone tells.
  }
  const status = res.statusCode ?? 0;
  return { status, code: body.code ?? `HTTP.${status}`, title: body.title ?? "", detail: body.detail ?? "", ...(body.invalidParams && { invalidParams: body.invalidParams }) };
}

export type FileAnswer = { ok: true; type: string; disposition: string | undefined; bytes: Buffer } | { ok: false; problem: Problem };

/** A file of a service (an export), its bytes as they came, or the service's refusal. */
export async function fetchFile(services: Services, service: ServiceName, path: string, call: UpstreamCall, timeoutMs: number): Promise<FileAnswer> {
  const res = await open(services, service, path, call, "*/*", timeoutMs);
  if (res.statusCode !== 200) return { ok: false, problem: await problemOf(service, res) };
  const bytes = await bodyOf(res);
  return { ok: true, type: res.headers["content-type"] ?? "application/octet-stream", disposition: res.headers["content-disposition"], bytes };
}

export type StreamAnswer = { ok: true; events: IncomingMessage; close(): void } | { ok: false; problem: Problem };

/** A service's event stream, open (no timeout: it lasts as long as the page), or its refusal. */
export async function openEventStream(services: Services, service: ServiceName, path: string, call: UpstreamCall): Promise<StreamAnswer> {
  const res = await open(services, service, path, call, "text/event-stream", undefined);
  if (res.statusCode !== 200) return { ok: false, problem: await problemOf(service, res) };
  return { ok: true, events: res, close: () => res.destroy() };
}

/**
 * Server-Sent Events split as they arrive: each whole event (its `event` name and `data`), or a
 * comment line (a keep-alive) as `comment`. A chunk may end inside an event: the rest waits.
 */
export function sseParser(onEvent: (event: { name: string; data: string } | { comment: true }) => void): (chunk: string) => void {
  let buffer = "";
  return (chunk) => {
    buffer += chunk.replace(/\r\n?/g, "\n");
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const lines = block.split("\n");
      if (lines.every((line) => line.startsWith(":"))) {
        onEvent({ comment: true });
        continue;
      }
      let name = "message";
      const data: string[] = [];
      for (const line of lines) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      onEvent({ name, data: data.join("\n") });
    }
  };
}

/**
 * The relays a part of the portal holds open, ended when the portal closes: a browser's stream
 * would otherwise hold the close (a deploy) until it leaves; its EventSource reconnects to
 * another replica.
 */
export function openRelays(app: FastifyInstance): Set<() => void> {
  const open = new Set<() => void>();
  app.addHook("preClose", async () => {
    for (const finish of open) finish();
  });
  return open;
}

/** What a relay sends for one event of the service: SSE text (whole events), and whether the relay ends after it. */
export interface Relayed {
  text?: string;
  end?: boolean;
}

/**
 * A service's event stream relayed to the browser as the page's own events: `retry` first, each
 * keep-alive passed on, each event as `relay` draws it (nothing when it returns undefined). The
 * relay ends when the service's stream ends or fails, when the browser leaves, when `relay` says
 * so, or when the portal closes (`open`, from `openRelays`).
 */
export function relayEventStream(
  request: FastifyRequest,
  reply: FastifyReply,
  upstream: { events: IncomingMessage; close(): void },
  options: { retryMs: number; open: Set<() => void>; relay: (event: { name: string; data: string }) => Relayed | undefined },
): FastifyReply {
  const out = new PassThrough();
  out.write(`retry: ${options.retryMs}\n\n`);
  const finish = () => {
    options.open.delete(finish);
    upstream.close();
    out.end();
  };
  const parse = sseParser((event) => {
    if ("comment" in event) {
      out.write(": keep-alive\n\n");
      return;
    }
    const relayed = options.relay(event);
    if (relayed?.text) out.write(relayed.text);
    if (relayed?.end) finish();
  });
  upstream.events.setEncoding("utf8");
  upstream.events.on("data", parse);
  upstream.events.on("end", finish);
  upstream.events.on("error", finish);
  options.open.add(finish);
  request.raw.on("close", finish);
  out.on("close", finish);
  return reply.header("content-type", "text/event-stream; charset=utf-8").header("cache-control", "no-store").header("x-accel-buffering", "no").send(out);
}
