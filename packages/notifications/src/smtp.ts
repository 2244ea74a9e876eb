import type { ConnectionOptions } from "node:tls";
import { createTransport, type Transporter } from "nodemailer";
import type SMTPPool from "nodemailer/lib/smtp-pool";
import { PermanentError } from "@kruzhok/errors";
import type { Channel, OutgoingMessage, Recipient } from "./channel";

/**
 * Email through an SMTP relay, with nodemailer: implicit TLS (`secure`, port 465) or STARTTLS
 * (required whenever a password is sent), AUTH, pooled connections, internationalised addresses
 * (IDN domains as punycode, SMTPUTF8 for a Cyrillic local part when the relay offers it).
 */
export interface SmtpConfig {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (port 465). Without it, STARTTLS is used when the relay offers it. */
  secure?: boolean;
  /** Refuse to send unless the connection is upgraded by STARTTLS (always so with `auth` and without `secure`). */
  requireTls?: boolean;
  /** Extra TLS options (a private CA). */
  tls?: ConnectionOptions;
  /** Sent only over TLS, implicit or STARTTLS: a password never crosses the network in clear. */
  auth?: { user: string; pass: string };
  /** Envelope sender and From address. */
  from: string;
  /** Display name in From. */
  fromName?: string;
  /** Name this client gives in EHLO. */
  clientName?: string;
  /** Limit for connecting, for the greeting and for each reply. */
  timeoutMs?: number;
  /** Connections kept open to the relay and reused (a channel's pool); 1 for a one-off message. */
  maxConnections?: number;
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

/** One address, no spaces or brackets that could smuggle a second command; Cyrillic letters welcome. */
export function isMailAddress(address: string): boolean {
  return ADDRESS.test(address) && address.length <= 254;
}

/** The nodemailer failure as ours: a relay's reply keeps its code, with addresses cut out; the rest stays a plain (retryable) error. */
interface NodemailerError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}
function failureOf(error: unknown): Error {
  const e = error as NodemailerError;
  if (typeof e.responseCode === "number" && e.responseCode >= 400) {
    // A refused password (535) is the relay's configuration, not the message: retried (and
    // parked after its attempts) until an operator fixes SMTP_PASS, never dead-lettered.
    const command = e.code === "EAUTH" ? "AUTH" : (e.command ?? e.code ?? "SMTP");
    const reply = new SmtpReplyError(command, e.responseCode, e.response ?? e.message);
    if (e.code === "EAUTH") return new Error(reply.message, { cause: reply });
    return reply;
  }
  return new Error(redactAddresses(e.message ?? String(error)), { cause: error });
}

function checkHeaders(headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (/[\r\n]/.test(value) || !/^[A-Za-z0-9-]+$/.test(name)) throw new PermanentError(`header ${name} would break the message`);
  }
}

function checkConfig(config: SmtpConfig): void {
  if (!isMailAddress(config.from)) throw new PermanentError("configured sender address is not a mail address");
}

/** nodemailer's transport for the config: pooled, STARTTLS required with a password unless TLS is implicit. */
function transportOf(config: SmtpConfig): Transporter<SMTPPool.SentMessageInfo> {
  const timeoutMs = config.timeoutMs ?? 15_000;
  return createTransport({
    pool: true,
    maxConnections: config.maxConnections ?? 3,
    // A connection is renewed after this many messages, so a long-lived one does not hit a relay's per-session limit.
    maxMessages: 100,
    host: config.host,
    port: config.port,
    secure: config.secure ?? false,
    requireTLS: !config.secure && (config.requireTls ?? config.auth !== undefined),
    ...(config.auth && { auth: { user: config.auth.user, pass: config.auth.pass } }),
    ...(config.tls && { tls: config.tls }),
    ...(config.clientName && { name: config.clientName }),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // Its own logger off: our logs carry no addresses (redactAddresses), nodemailer's would.
    logger: false,
    debug: false,
  });
}

async function deliver(transport: Transporter<SMTPPool.SentMessageInfo>, config: SmtpConfig, mail: Mail): Promise<string> {
  if (!isMailAddress(mail.to)) throw new PermanentError("recipient address is not a mail address");
  const headers = mail.headers ?? {};
  checkHeaders(headers);
  try {
    const info = await transport.sendMail({
      from: config.fromName ? { name: config.fromName, address: config.from } : config.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      messageId: `<${mail.messageId}>`,
      date: mail.date,
      headers,
      // base64, as before: Cyrillic text stays intact through any relay.
      textEncoding: "base64",
      // A message is only the text given here: nothing is read from a file or a URL.
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    if (info.rejected.length > 0) throw new SmtpReplyError("RCPT TO", 550, info.response);
    return redactAddresses(info.response);
  } catch (error) {
    if (error instanceof SmtpReplyError || error instanceof PermanentError) throw error;
    throw failureOf(error);
  }
}

/**
 * Send one message over a connection of its own, closed after. Resolves with the relay's answer
 * to the message (its queue id, usually). Throws SmtpReplyError for a refusal and a plain Error
 * for a network failure or timeout.
 */
export async function sendMail(config: SmtpConfig, mail: Mail): Promise<string> {
  checkConfig(config);
  if (!isMailAddress(mail.to)) throw new PermanentError("recipient address is not a mail address");
  const transport = transportOf({ ...config, maxConnections: 1 });
  try {
    return await deliver(transport, config, mail);
  } finally {
    transport.close();
  }
}

/** A channel that holds pooled connections: `close` ends them when the service stops (open, they keep the process alive). */
export interface SmtpChannel extends Channel {
  close(): void;
}

/**
 * Email through SMTP, over a pool of connections reused from message to message. A 5xx reply is
 * permanent (the address does not exist, the relay refuses the message); 4xx replies, a refused
 * password, network failures and timeouts are worth retrying.
 */
export function smtpChannel(config: SmtpConfig, options: { name?: string; clock?: () => Date } = {}): SmtpChannel {
  checkConfig(config);
  const clock = options.clock ?? (() => new Date());
  const domain = config.from.split("@")[1] ?? "kruzhok";
  let transport: Transporter<SMTPPool.SentMessageInfo> | undefined;
  return {
    name: options.name ?? "email",
    async send(message: OutgoingMessage, recipient: Recipient | null) {
      if (!recipient?.email) return "skipped";
      if (!isMailAddress(recipient.email)) throw new PermanentError("recipient address is not a mail address");
      transport ??= transportOf(config);
      try {
        await deliver(transport, config, {
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
    close() {
      transport?.close();
      transport = undefined;
    },
  };
}
