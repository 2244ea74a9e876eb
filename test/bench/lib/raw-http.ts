import { connect, type Socket } from "node:net";

/** An HTTP answer as the benchmarks check it. */
export interface RawAnswer {
  status: number;
  body: string;
  /** `idempotent-replayed: true` came with it. */
  replayed: boolean;
  retryAfter: string | undefined;
}

/**
 * An answer of `RawHttpConnection`: the body's bytes as they came, and what is read of it and
 * of the head only when asked. A client that checks a lookup's answer against one it already
 * checked compares bytes (`bytes.equals`) rather than decoding ~2 KB of UTF-8 into a string it
 * then drops, and headers nobody reads are not matched: the client's CPU is taken from the
 * service under test on two cores (measured per lookup in BENCHMARKS.md).
 */
export class RawHttpAnswer implements RawAnswer {
  private text: string | undefined;

  constructor(
    readonly status: number,
    /** The body's bytes (a view of what the socket read: copy it to keep it). */
    readonly bytes: Buffer,
    private readonly head: string,
  ) {}

  get body(): string {
    return (this.text ??= this.bytes.toString("utf8"));
  }

  get replayed(): boolean {
    return /\r\nidempotent-replayed: *true/i.test(this.head);
  }

  get retryAfter(): string | undefined {
    return /\r\nretry-after: *([^\r]*)/i.exec(this.head)?.[1];
  }
}

const NO_BYTES = Buffer.alloc(0);

/** A whole HTTP/1.1 request, built once and written as it is. */
export function rawRequest(method: "GET" | "POST" | "PUT", path: string, port: number, headers: Record<string, string>, body?: string): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  if (body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), Buffer.from(body ?? "", "utf8")]);
}

/**
 * A benchmark's client connection: one keep-alive HTTP/1.1 connection, one request at a time
 * (no pipelining), each request written whole and its answer parsed here: status line,
 * Content-Length, body, Retry-After and Idempotent-Replayed. Still real requests over TCP that
 * the service parses and answers like any other; the answers are checked by the caller.
 *
 * Why not node:http: on this machine of two cores it cost the client ~100 µs of CPU per request,
 * about what the service spends on a position lookup and a quarter of a certificate issuance,
 * and that CPU is taken from the service under test, so the figure measured the client as much
 * as the service (this one costs ~25 µs). It reads only answers with Content-Length, which is
 * what Fastify sends for the JSON and problem documents measured here.
 */
export class RawHttpConnection {
  private socket: Socket | undefined;
  private pending: { chunks: Buffer[]; length: number; head: { text: string; bodyStart: number; end: number } | undefined } | undefined;
  private waiting: { resolve: (answer: RawHttpAnswer) => void; reject: (error: Error) => void } | undefined;

  /** `readBody: false` leaves the answer's body unread (""), for a benchmark that checks only statuses. */
  constructor(
    private readonly port: number,
    private readonly readBody = true,
  ) {}

  /** Send `request` (see `rawRequest`) and resolve with its answer. */
  get(request: Buffer): Promise<RawHttpAnswer> {
    if (this.waiting) return Promise.reject(new Error("one request at a time per connection"));
    const socket = this.socket ?? this.open();
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      socket.write(request);
    });
  }

  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
  }

  private open(): Socket {
    const socket = connect({ host: "127.0.0.1", port: this.port, noDelay: true });
    const fail = (error: Error) => {
      if (this.socket === socket) this.socket = undefined;
      this.pending = undefined;
      const waiting = this.waiting;
      this.waiting = undefined;
      waiting?.reject(error);
    };
    socket.on("data", (chunk: Buffer) => {
      try {
        this.received(chunk);
      } catch (error) {
        socket.destroy();
        fail(error instanceof Error ? error : new Error(String(error)));
      }
    });
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("the service closed the connection")));
    this.socket = socket;
    return socket;
  }

  private received(chunk: Buffer): void {
    // Chunks are kept as they come and joined once: an answer of several kilobytes arrives in
    // pieces, and joining at every piece would copy it over and over.
    const pending = (this.pending ??= { chunks: [], length: 0, head: undefined });
    pending.chunks.push(chunk);
    pending.length += chunk.length;
    if (!pending.head) {
      const data = pending.chunks.length === 1 ? chunk : Buffer.concat(pending.chunks, pending.length);
      pending.chunks = [data];
      const headEnd = data.indexOf("\r\n\r\n");
      if (headEnd < 0) return;
      const text = data.toString("latin1", 0, headEnd);
      const length = /\r\ncontent-length: *(\d+)/i.exec(text)?.[1];
      if (length === undefined) throw new Error(`an answer without Content-Length: ${text.slice(0, 200)}`);
      pending.head = { text, bodyStart: headEnd + 4, end: headEnd + 4 + Number(length) };
    }
    const { text, bodyStart, end } = pending.head;
    if (pending.length < end) return;
    if (pending.length > end || !this.waiting) throw new Error("the service sent more than the answer asked for");
    const data = pending.chunks.length === 1 ? pending.chunks[0]! : Buffer.concat(pending.chunks, pending.length);
    this.pending = undefined;
    const answer = new RawHttpAnswer(Number(text.slice(9, 12)), this.readBody ? data.subarray(bodyStart, end) : NO_BYTES, text);
    if (/\r\nconnection: *close/i.test(text)) this.close();
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting.resolve(answer);
  }
}
