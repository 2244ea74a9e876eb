import { connect, type Socket } from "node:net";

/** An HTTP answer as the benchmarks check it. */
export interface RawAnswer {
  status: number;
  body: string;
  /** `idempotent-replayed: true` came with it. */
  replayed: boolean;
  retryAfter: string | undefined;
}

/** A whole HTTP/1.1 request, built once and written as it is. */
export function rawRequest(method: "GET" | "POST", path: string, port: number, headers: Record<string, string>, body?: string): Buffer {
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
  private buffered: Buffer | undefined;
  private waiting: { resolve: (answer: RawAnswer) => void; reject: (error: Error) => void } | undefined;

  constructor(private readonly port: number) {}

  /** Send `request` (see `rawRequest`) and resolve with its answer. */
  get(request: Buffer): Promise<RawAnswer> {
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
      this.buffered = undefined;
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
    const data = this.buffered ? Buffer.concat([this.buffered, chunk]) : chunk;
    this.buffered = data;
    const headEnd = data.indexOf("\r\n\r\n");
    if (headEnd < 0) return;
    const head = data.toString("latin1", 0, headEnd);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
    if (length === undefined) throw new Error(`an answer without Content-Length: ${head.slice(0, 200)}`);
    const end = headEnd + 4 + Number(length);
    if (data.length < end) return;
    if (data.length > end || !this.waiting) throw new Error("the service sent more than the answer asked for");
    this.buffered = undefined;
    const retryAfter = /\r\nretry-after: *([^\r]*)/i.exec(head)?.[1];
    const answer: RawAnswer = {
      status: Number(head.slice(9, 12)),
      body: data.toString("utf8", headEnd + 4, end),
      replayed: /\r\nidempotent-replayed: *true/i.test(head),
      retryAfter,
    };
    if (/\r\nconnection: *close/i.test(head)) this.close();
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting.resolve(answer);
  }
}
