import { execFile } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "@kruzhok/observability";
import { buildApp, signDevToken, type HttpApp } from "../src";

const SECRET = "test-secret-that-is-at-least-32-characters-long";

/** One POST of `size` bytes of JSON, as a client sends it: the status and body it read, or the error it got instead. */
function post(port: number, agent: Agent | false, authorization: string, size: number, chunked: boolean): Promise<{ status?: number; type?: string; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const text = `{"padding":"${"x".repeat(Math.max(0, size - 14))}"}`;
    const headers: Record<string, string | number> = { "content-type": "application/json", authorization };
    if (!chunked) headers["content-length"] = Buffer.byteLength(text);
    const req = request({ host: "127.0.0.1", port, method: "POST", path: "/things", agent, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode, type: String(res.headers["content-type"]), body }));
      res.on("error", (error) => resolve({ error: error.message }));
    });
    req.on("error", (error) => resolve({ error: `${(error as { code?: string }).code ?? ""} ${error.message}` }));
    // In pieces, as a socket sends a large body: the server may answer before the last one.
    const bytes = Buffer.from(text);
    let offset = 0;
    const next = () => {
      while (offset < bytes.length) {
        const piece = bytes.subarray(offset, offset + 64 * 1024);
        offset += piece.length;
        if (!req.write(piece)) return void req.once("drain", next);
      }
      req.end();
    };
    next();
  });
}

// A body over the limit gets 413 with a problem document, every time: the client is sending
// while the server refuses, and closing the connection under unread bytes used to reset it, so
// that about 1 in 20 clients got ECONNRESET/EPIPE instead of the answer.
describe("an oversized body always gets 413 as a problem document", () => {
  let app: HttpApp;
  let port: number;
  let token: string;

  beforeAll(async () => {
    const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
    app = await buildApp({ service: "oversized", version: "1", bodyLimit: 1024 * 1024, logger: createLogger({ service: "oversized", level: "fatal" }, quiet), auth: { mode: "dev", secret: SECRET } });
    app.post("/things", async (_request, reply) => reply.code(201).send({ ok: true }));
    await app.listen({ host: "127.0.0.1", port: 0 });
    port = (app.server.address() as { port: number }).port;
    token = `Bearer ${await signDevToken({ subject: "someone", role: "region", regionCode: "41" }, { secret: SECRET })}`;
  });
  afterAll(async () => {
    await app.close();
  });

  const check = (answers: Awaited<ReturnType<typeof post>>[]) => {
    const wrong = answers.filter((a) => a.status !== 413 || !a.type?.startsWith("application/problem+json"));
    expect(wrong.slice(0, 5), `${wrong.length} of ${answers.length} did not get 413 problem+json`).toEqual([]);
    for (const a of answers) expect(JSON.parse(a.body ?? "{}")).toMatchObject({ status: 413, code: "HTTP.PAYLOAD_TOO_LARGE" });
  };

  it("100 bodies of 1 MiB with a Content-Length over the limit, each on a new connection", async () => {
    const answers = [];
    for (let i = 0; i < 100; i++) answers.push(await post(port, false, token, 5 * 1024 * 1024, false));
    check(answers);
  });

  it("100 bodies of 5 MiB sent by fetch (undici), each on a new connection", async () => {
    const answers = [];
    const body = JSON.stringify({ padding: "x".repeat(5 * 1024 * 1024) });
    for (let i = 0; i < 100; i++) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/things`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: token, connection: "close" },
          body,
        });
        answers.push({ status: res.status, type: res.headers.get("content-type") ?? "", body: await res.text() });
      } catch (error) {
        answers.push({ error: String((error as { cause?: unknown }).cause ?? error) });
      }
    }
    check(answers);
  });

  it("100 bodies of 5 MiB at once, each on a new connection", async () => {
    check(await Promise.all(Array.from({ length: 100 }, () => post(port, false, token, 5 * 1024 * 1024, false))));
  });

  it("100 bodies of 5 MiB sent by curl, a process of its own, each on a new connection", async () => {
    const file = join(tmpdir(), `oversized-${process.pid}.json`);
    await writeFile(file, JSON.stringify({ padding: "x".repeat(5 * 1024 * 1024) }));
    const answers = [];
    try {
      for (let i = 0; i < 100; i++) {
        const out = await new Promise<string>((resolve) =>
          execFile(
            "curl",
            ["-sS", "-o", "-", "-w", "\\n%{http_code} %{content_type}", "-H", "content-type: application/json", "-H", `authorization: ${token}`, "-H", "expect:", "--data-binary", `@${file}`, `http://127.0.0.1:${port}/things`],
            (error, stdout, stderr) => resolve(error ? `ERROR ${stderr}` : stdout),
          ),
        );
        const [body = "", last = ""] = [out.slice(0, out.lastIndexOf("\n")), out.slice(out.lastIndexOf("\n") + 1)];
        const [status, type] = last.split(" ");
        answers.push(out.startsWith("ERROR") ? { error: out } : { status: Number(status), type, body });
      }
    } finally {
      await rm(file, { force: true });
    }
    check(answers);
  });

  it("100 chunked bodies that pass the limit while they arrive, 10 at a time on keep-alive connections", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 10 });
    try {
      const answers = await Promise.all(Array.from({ length: 100 }, () => post(port, agent, token, 5 * 1024 * 1024, true)));
      check(answers);
      // The connections are still good for the next request.
      const small = await post(port, agent, token, 100, false);
      expect(small.status).toBe(201);
    } finally {
      agent.destroy();
    }
  });
});
