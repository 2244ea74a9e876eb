import { connect as connectTcp, type Socket } from "node:net";
import { hostname } from "node:os";
import { connect as connectTls, type ConnectionOptions } from "node:tls";
import { PermanentError } from "@kruzhok/errors";
import type { Channel, OutgoingMessage, Recipient } from "./channel";

/**
 * A minimal SMTP client (RFC 5321): EHLO (HELO if refused), optional AUTH PLAIN over implicit
 * TLS, MAIL FROM, RCPT TO, DATA, QUIT; one message per connection. Enough for a municipality's
 * relay; no STARTTLS, pipelining or pooling.
 *
 * REVIEW: written by hand because no SMTP library is in the workspace and dependencies were
 * frozen when this was built. Replace with nodemailer if it joins the catalog and STARTTLS,
 * DKIM or connection pooling become necessary.
 */

export interface SmtpConfig {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (port 465). */
  secure?: boolean;
  /** Extra TLS options (a private CA). */
  tls?: ConnectionOptions;
  /** Only over `secure`: a password never crosses the network in clear. */
  auth?: { user: string; pass: string };
  /** Envelope sender and From address. */
  from: string;
  /** Display name in From. */
  fromName?: string;
  /** Name this client gives in EHLO. */
  clientName?: string;
  /** Limit for connecting and for each reply. */
  timeoutMs?: number;
}

export interface Mail {
  to: string;
  subject: string;
  text: string;
  /** Without angle brackets; lets the receiving side drop a duplicate. */
  messageId: string;
  date: Date;
  headers?: Record<string, string>;
}

const ADDRESS = /^[^\s<>()[\]\\,;:@"]+@[^\s<>()[\]\\,;:@"]+$/;

/** Addresses in SMTP replies are personal data: they are cut out before a reply reaches an error, a log or a table. */
export function redactAddresses(text: string): string {
  return text.replace(/[^\s<>()[\]\\,;:@"]+@[^\s<>()[\]\\,;:@"]+/g, "<address>");
}

/** An SMTP reply that was not the one expected. 4xx may pass if retried; 5xx will not. */
export class SmtpReplyError extends Error {
  override readonly name = "SmtpReplyError";
  readonly reply: string;
  constructor(
    readonly command: string,
    readonly code: number,
    reply: string,
  ) {
    const redacted = redactAddresses(reply);
    super(`SMTP ${command} answered ${code} ${redacted}`);
    this.reply = redacted;
  }
}

export function isMailAddress(address: string): boolean {
  return ADDRESS.test(address) && address.length <= 254;
}

interface Reply {
  code: number;
  lines: string[];
}

/** Reads CRLF-terminated reply lines from a socket and hands out whole (multi-line) replies. */
class ReplyReader {
  private buffer = "";
  private readonly lines: string[] = [];
  private failure: Error | null = null;
  private waiting: { resolve: (reply: Reply) => void; reject: (error: Error) => void } | null = null;

  constructor(socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf("\n")) !== -1) {
        this.lines.push(this.buffer.slice(0, end).replace(/\r$/, ""));
        this.buffer = this.buffer.slice(end + 1);
      }
      this.pump();
    });
    const fail = (error: Error) => {
      this.failure ??= error;
      this.pump();
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("SMTP server closed the connection")));
  }

  next(): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.pump();
    });
  }

  private pump(): void {
    if (!this.waiting) return;
    // A reply is `250-first`, `250-more`, …, `250 last`: it ends at the line with a space (or nothing) after the code.
    const last = this.lines.findIndex((line) => line.length < 4 || line[3] === " ");
    if (last !== -1) {
      const lines = this.lines.splice(0, last + 1);
      const code = Number(lines[last]!.slice(0, 3));
      const { resolve, reject } = this.waiting;
      this.waiting = null;
      if (!Number.isInteger(code) || code < 200 || code > 599) reject(new Error(`SMTP server sent a malformed reply: ${lines.join(" | ").slice(0, 200)}`));
      else resolve({ code, lines: lines.map((line) => line.slice(4)) });
    } else if (this.failure) {
      const { reject } = this.waiting;
      this.waiting = null;
      reject(this.failure);
    }
  }
}

/** RFC 2047 encoded words, split on whole characters so no UTF-8 sequence is cut. */
function encodeHeader(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  const words: string[] = [];
  let chunk = "";
  for (const char of value) {
    if (Buffer.byteLength(chunk + char) > 45) {
      words.push(chunk);
      chunk = "";
    }
    chunk += char;
  }
  if (chunk) words.push(chunk);
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word).toString("base64")}?=`).join("\r\n ");
}

/** The message as sent after DATA: headers, a blank line, the body in base64 lines of 76. */
export function formatMessage(config: Pick<SmtpConfig, "from" | "fromName">, mail: Mail): string {
  const from = config.fromName ? `${encodeHeader(config.fromName)} <${config.from}>` : `<${config.from}>`;
  const headers: [string, string][] = [
    ["From", from],
    ["To", `<${mail.to}>`],
    ["Subject", encodeHeader(mail.subject)],
    ["Date", mail.date.toUTCString().replace("GMT", "+0000")],
    ["Message-ID", `<${mail.messageId}>`],
    ["MIME-Version", "1.0"],
    ["Content-Type", "text/plain; charset=UTF-8"],
    ["Content-Transfer-Encoding", "base64"],
    ...Object.entries(mail.headers ?? {}),
  ];
  for (const [name, value] of headers) {
    if (/[\r\n]/.test(value.replace(/\r\n /g, "")) || !/^[A-Za-z0-9-]+$/.test(name)) throw new PermanentError(`header ${name} would break the message`);
  }
  const body = Buffer.from(mail.text.replace(/\r?\n/g, "\r\n")).toString("base64").replace(/.{76}/g, "$&\r\n");
  return `${headers.map(([name, value]) => `${name}: ${value}`).join("\r\n")}\r\n\r\n${body}`;
}

/** Dot-stuffing (RFC 5321 §4.5.2) and the terminating line. */
function dataSection(message: string): string {
  const stuffed = message.replace(/\r?\n/g, "\r\n").replace(/^\./gm, "..");
  return `${stuffed}${stuffed.endsWith("\r\n") ? "" : "\r\n"}.\r\n`;
}

function openSocket(config: SmtpConfig, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = config.secure
      ? connectTls({ host: config.host, port: config.port, servername: config.host, ...config.tls })
      : connectTcp({ host: config.host, port: config.port });
    const timer = setTimeout(() => socket.destroy(new Error(`SMTP connect to ${config.host}:${config.port} timed out`)), timeoutMs);
    socket.once(config.secure ? "secureConnect" : "connect", () => {
      clearTimeout(timer);
      socket.removeListener("error", onError);
      resolve(socket);
    });
    const onError = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    socket.once("error", onError);
  });
}

/**
 * Send one message. Resolves with the server's final answer to DATA (its queue id, usually).
 * Throws SmtpReplyError for an unexpected reply and a plain Error for a network failure or
 * timeout.
 */
export async function sendMail(config: SmtpConfig, mail: Mail): Promise<string> {
  if (!isMailAddress(mail.to)) throw new PermanentError("recipient address is not a mail address");
  if (!isMailAddress(config.from)) throw new PermanentError("configured sender address is not a mail address");
  if (config.auth && !config.secure) throw new PermanentError("SMTP AUTH is refused without TLS: set secure");
  const timeoutMs = config.timeoutMs ?? 15_000;
  const message = formatMessage(config, mail);
  const socket = await openSocket(config, timeoutMs);
  socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`SMTP server ${config.host}:${config.port} did not answer in ${timeoutMs} ms`)));
  const reader = new ReplyReader(socket);
  const expect = async (command: string, codes: number[]): Promise<Reply> => {
    const reply = await reader.next();
    if (!codes.includes(reply.code)) throw new SmtpReplyError(command, reply.code, reply.lines.join(" "));
    return reply;
  };
  const send = (line: string, label = line) => {
    socket.write(`${line}\r\n`);
    return label;
  };
  try {
    await expect("greeting", [220]);
    const name = config.clientName ?? hostname();
    send(`EHLO ${name}`);
    const ehlo = await reader.next();
    if (ehlo.code !== 250) {
      await expect(send(`HELO ${name}`), [250]);
    }
    if (config.auth) {
      const token = Buffer.from(`\0${config.auth.user}\0${config.auth.pass}`).toString("base64");
      await expect(send(`AUTH PLAIN ${token}`, "AUTH PLAIN"), [235]);
    }
    await expect(send(`MAIL FROM:<${config.from}>`), [250]);
    await expect(send(`RCPT TO:<${mail.to}>`, "RCPT TO"), [250, 251]);
    await expect(send("DATA"), [354]);
    socket.write(dataSection(message));
    const accepted = await expect("end of DATA", [250]);
    send("QUIT");
    await reader.next().catch(() => undefined); // the message is accepted; a rude close after QUIT is harmless
    return accepted.lines.join(" ");
  } finally {
    socket.destroy();
  }
}

/**
 * Email through SMTP. A 5xx reply is permanent (the address does not exist, the relay refuses);
 * 4xx replies, network failures and timeouts are worth retrying.
 */
export function smtpChannel(config: SmtpConfig, options: { name?: string; clock?: () => Date } = {}): Channel {
  const clock = options.clock ?? (() => new Date());
  const domain = config.from.split("@")[1] ?? "kruzhok";
  return {
    name: options.name ?? "email",
    async send(message: OutgoingMessage, recipient: Recipient | null) {
      if (!recipient?.email) return "skipped";
      try {
        await sendMail(config, {
          to: recipient.email,
          subject: message.subject,
          text: message.text,
          messageId: `${message.notificationId}@${domain}`,
          date: clock(),
          headers: { "X-Kruzhok-Notification": message.type, "Content-Language": message.locale },
        });
        return "sent";
      } catch (error) {
        if (error instanceof SmtpReplyError && error.code >= 500) throw new PermanentError(error.message, { cause: error });
        throw error;
      }
    },
  };
}
