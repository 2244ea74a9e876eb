import { createServer as createHttpServer, type IncomingHttpHeaders } from "node:http";
import { createServer as createTcpServer, type AddressInfo, type Socket } from "node:net";

/**
 * A real SMTP server on 127.0.0.1 (a tiny one, written for the tests: no SMTP package is in the
 * workspace) and a real HTTP receiver for webhooks. The code under test talks to them over
 * sockets exactly as it would to a relay or a portal.
 */

export interface ReceivedMail {
  mailFrom: string;
  rcptTo: string[];
  /** After DATA, with dot-stuffing undone. */
  raw: string;
  headers: Map<string, string>;
  subject: string;
  text: string;
}

export interface SmtpBehaviour {
  /** A reply code for RCPT TO of this address (550 no such user, 451 try later), or null to accept. */
  rcpt?: (address: string) => number | null;
  /** Refuse EHLO (an old server): the client must fall back to HELO. */
  refuseEhlo?: boolean;
  /** Accept the message but never answer the end of DATA (a hung relay). */
  hangAfterData?: boolean;
}

export interface SmtpSink {
  port: number;
  mails: ReceivedMail[];
  /** Every command line received, for protocol assertions. */
  commands: string[];
  behaviour: SmtpBehaviour;
  close(): Promise<void>;
}

function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?UTF-8\?B\?([^?]*)\?=/gi, (_, b64: string) => Buffer.from(b64, "base64").toString("utf8"));
}

function parseMail(raw: string): Pick<ReceivedMail, "headers" | "subject" | "text"> {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split).replace(/\r\n[ \t]/g, " ");
  const headers = new Map<string, string>();
  for (const line of head.split("\r\n")) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  const body = raw.slice(split + 4);
  const text =
    headers.get("content-transfer-encoding")?.toLowerCase() === "base64" ? Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8") : body;
  return { headers, subject: decodeWords(headers.get("subject") ?? ""), text: text.replace(/\r\n/g, "\n") };
}

export async function startSmtpSink(behaviour: SmtpBehaviour = {}): Promise<SmtpSink> {
  const mails: ReceivedMail[] = [];
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const sink: SmtpSink = { port: 0, mails, commands, behaviour, close: () => Promise.resolve() };
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.setEncoding("utf8");
    const reply = (line: string) => socket.write(`${line}\r\n`);
    let buffer = "";
    let inData = false;
    let mailFrom = "";
    let rcptTo: string[] = [];
    reply("220 sink.test ESMTP ready");
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      for (;;) {
        if (inData) {
          const end = buffer.indexOf("\r\n.\r\n");
          if (end === -1) return;
          const raw = buffer.slice(0, end + 2).replace(/^\.\./gm, ".");
          buffer = buffer.slice(end + 5);
          inData = false;
          mails.push({ mailFrom, rcptTo, raw, ...parseMail(raw) });
          if (sink.behaviour.hangAfterData) return;
          reply(`250 2.0.0 queued as ${mails.length}`);
          continue;
        }
        const end = buffer.indexOf("\r\n");
        if (end === -1) return;
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        commands.push(line);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO") {
          if (sink.behaviour.refuseEhlo) reply("502 5.5.2 EHLO not implemented");
          else {
            reply("250-sink.test greets you");
            reply("250-8BITMIME");
            reply("250 SIZE 10485760");
          }
        } else if (verb === "HELO") reply("250 sink.test");
        else if (verb === "MAIL") {
          mailFrom = /<(.*)>/.exec(line)?.[1] ?? "";
          rcptTo = [];
          reply("250 2.1.0 ok");
        } else if (verb === "RCPT") {
          const address = /<(.*)>/.exec(line)?.[1] ?? "";
          const code = sink.behaviour.rcpt?.(address) ?? null;
          if (code === null) {
            rcptTo.push(address);
            reply("250 2.1.5 ok");
          } else reply(`${code} ${code >= 500 ? "5.1.1" : "4.2.1"} <${address}>: ${code >= 500 ? "mailbox unavailable" : "try again later"}`);
        } else if (verb === "DATA") {
          inData = true;
          reply("354 end with <CRLF>.<CRLF>");
        } else if (verb === "QUIT") {
          reply("221 2.0.0 bye");
          socket.end();
        } else if (verb === "RSET" || verb === "NOOP") reply("250 ok");
        else reply("500 5.5.1 unknown command");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  sink.port = (server.address() as AddressInfo).port;
  sink.close = () =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return sink;
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface WebhookReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** Status of each next answer, in order; then `fallback`. A number with `delayMs` answers late. */
  script: { status: number; delayMs?: number; headers?: Record<string, string> }[];
  fallback: number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const receiver: WebhookReceiver = { url: "", requests: [], script: [], fallback: 200, close: () => Promise.resolve() };
  const server = createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      receiver.requests.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      const next = receiver.script.shift() ?? { status: receiver.fallback };
      const answer = () => {
        response.writeHead(next.status, { "content-type": "application/json", ...next.headers });
        response.end(JSON.stringify({ received: true }));
      };
      if (next.delayMs) setTimeout(answer, next.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/kruzhok/notifications`;
  receiver.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}
