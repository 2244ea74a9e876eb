import { createServer as createHttpServer, type IncomingHttpHeaders } from "node:http";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SMTPServer } from "smtp-server";

/**
 * A real SMTP server on 127.0.0.1 (smtp-server, the server half of nodemailer's project: plain,
 * STARTTLS or implicit TLS, AUTH when asked) and a real HTTP receiver for webhooks. The code
 * under test talks to them over sockets exactly as it would to a relay or a portal.
 */

export interface ReceivedMail {
  mailFrom: string;
  rcptTo: string[];
  /** The message as received after DATA. */
  raw: string;
  headers: Map<string, string>;
  subject: string;
  text: string;
  /** Whether the session was encrypted (implicit TLS or STARTTLS) when the message came. */
  secure: boolean;
  /** The user the client authenticated as, if any. */
  user: string | undefined;
  /** Whether the client asked for SMTPUTF8 in MAIL FROM. */
  smtpUtf8: boolean;
}

export interface SmtpBehaviour {
  /** A reply code for RCPT TO of this address (550 no such user, 451 try later), or null to accept. */
  rcpt?: (address: string) => number | null;
  /** Accept the message but never answer the end of DATA (a hung relay). */
  hangAfterData?: boolean;
}

export interface SmtpSinkOptions {
  /** none: plain only; starttls: offered; implicit: TLS from the first byte. */
  tls?: "none" | "starttls" | "implicit";
  /** Require AUTH (PLAIN or LOGIN) with these credentials. */
  auth?: { user: string; pass: string };
}

export interface SmtpSink {
  port: number;
  mails: ReceivedMail[];
  /** Every step received (connect, AUTH, MAIL FROM, RCPT TO, DATA), for protocol assertions. */
  commands: string[];
  /** Connections opened so far: pooling shows as fewer connections than messages. */
  connections: number;
  behaviour: SmtpBehaviour;
  /** The self-signed certificate the sink serves TLS with, for the client's `tls.ca`. */
  certificate: string;
  close(): Promise<void>;
}

function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?UTF-8\?B\?([^?]*)\?=/gi, (_, b64: string) => Buffer.from(b64, "base64").toString("utf8"))
    .replace(/=\?UTF-8\?Q\?([^?]*)\?=/gi, (_, q: string) =>
      Buffer.from(q.replace(/_/g, " ").replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), "latin1").toString("utf8"),
    );
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
  return { headers, subject: decodeWords(headers.get("subject") ?? ""), text: text.replace(/\r\n/g, "\n").replace(/\n$/, "") };
}

/** A key and a self-signed certificate for 127.0.0.1 and localhost, made once per test process by openssl. */
let selfSigned: { key: string; cert: string } | undefined;
function certificate(): { key: string; cert: string } {
  if (selfSigned) return selfSigned;
  const dir = mkdtempSync(join(tmpdir(), "kruzhok-smtp-tls-"));
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
    "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
  ], { stdio: "ignore" });
  selfSigned = { key: readFileSync(join(dir, "key.pem"), "utf8"), cert: readFileSync(join(dir, "cert.pem"), "utf8") };
  return selfSigned;
}

export async function startSmtpSink(behaviour: SmtpBehaviour = {}, options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const tls = options.tls ?? "none";
  const { key, cert } = certificate();
  const sink: SmtpSink = { port: 0, mails: [], commands: [], connections: 0, behaviour, certificate: cert, close: () => Promise.resolve() };
  const server = new SMTPServer({
    secure: tls === "implicit",
    ...(tls !== "none" && { key, cert }),
    disabledCommands: tls === "none" ? ["STARTTLS", ...(options.auth ? [] : ["AUTH"])] : options.auth ? [] : ["AUTH"],
    authOptional: !options.auth,
    authMethods: ["PLAIN", "LOGIN"],
    // Plain connections may not authenticate: a password only over TLS, as a real relay insists.
    allowInsecureAuth: false,
    size: 10 * 1024 * 1024,
    // Pooled clients keep connections open: closing the sink ends them rather than wait 30 s.
    closeTimeout: 200,
    logger: false,
    onConnect(_session, callback) {
      sink.connections++;
      sink.commands.push("connect");
      callback();
    },
    onAuth(auth, _session, callback) {
      sink.commands.push(`AUTH ${auth.method}`);
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) callback(null, { user: auth.username });
      else callback(Object.assign(new Error("Invalid username or password"), { responseCode: 535 }));
    },
    onMailFrom(address, _session, callback) {
      sink.commands.push(`MAIL FROM:<${address.address}>`);
      callback();
    },
    onRcptTo(address, _session, callback) {
      sink.commands.push(`RCPT TO:<${address.address}>`);
      const code = sink.behaviour.rcpt?.(address.address) ?? null;
      if (code === null) callback();
      else callback(Object.assign(new Error(`${code >= 500 ? "5.1.1" : "4.2.1"} <${address.address}>: ${code >= 500 ? "mailbox unavailable" : "try again later"}`), { responseCode: code }));
    },
    onData(stream, session, callback) {
      sink.commands.push("DATA");
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const from = session.envelope.mailFrom;
        sink.mails.push({
          mailFrom: from ? from.address : "",
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          raw,
          ...parseMail(raw),
          secure: session.secure,
          user: typeof session.user === "string" ? session.user : undefined,
          smtpUtf8: from ? from.args !== false && Object.keys(from.args).some((arg) => arg.toUpperCase() === "SMTPUTF8") : false,
        });
        if (sink.behaviour.hangAfterData) return;
        callback(null, `2.0.0 queued as ${sink.mails.length}`);
      });
    },
  });
  server.on("error", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  sink.port = (server.server.address() as AddressInfo).port;
  sink.close = () => new Promise((resolve) => server.close(() => resolve()));
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
