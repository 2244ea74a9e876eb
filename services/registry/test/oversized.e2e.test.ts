import { execFile } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DEV_AUTH_SECRET, signDevToken } from "@kruzhok/http";
import { serviceUnderTest, type ServiceUnderTest } from "@kruzhok/testkit";

type Answer = { status?: number; type?: string; body?: string; error?: string };

/** A POST of `size` bytes of JSON written in 64 KiB pieces, as a client's socket sends it. */
function post(port: number, agent: Agent | false, authorization: string, size: number): Promise<Answer> {
  return new Promise((resolve) => {
    const bytes = Buffer.from(`{"name":"${"x".repeat(Math.max(0, size - 11))}"}`);
    const req = request(
      { host: "127.0.0.1", port, method: "POST", path: "/municipalities", agent, headers: { "content-type": "application/json", "content-length": bytes.length, authorization } },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode, type: String(res.headers["content-type"]), body }));
        res.on("error", (error) => resolve({ error: error.message }));
      },
    );
    req.on("error", (error) => resolve({ error: `${(error as { code?: string }).code ?? ""} ${error.message}` }));
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

// An oversized body to a service as a process (its rate limit on Redis, its auth, its overload
// hooks): 413 with a problem document every time, to clients that keep sending while it refuses.
describe("the registry refuses every oversized body with 413 as a problem document", () => {
  const infra = inject("infra");
  let service: ServiceUnderTest;
  let token: string;
  beforeAll(async () => {
    service = await serviceUnderTest(infra, { name: "registry_oversized", main: fileURLToPath(new URL("../src/main.ts", import.meta.url)), env: { RATE_LIMIT_PER_MINUTE: "1000000" } });
    await service.start();
    token = `Bearer ${await signDevToken({ subject: "oversized-region", role: "region", regionCode: "73" }, { secret: DEV_AUTH_SECRET })}`;
  });
  afterAll(async () => service?.cleanup());

  const check = (answers: Answer[]) => {
    const wrong = answers.filter((a) => a.status !== 413 || !a.type?.startsWith("application/problem+json"));
    expect(wrong.slice(0, 5), `${wrong.length} of ${answers.length} did not get 413 problem+json`).toEqual([]);
    for (const a of answers) expect(JSON.parse(a.body ?? "{}")).toMatchObject({ status: 413, code: "HTTP.PAYLOAD_TOO_LARGE" });
  };

  it("100 bodies of 5 MiB, each on a new connection, 4 at a time", async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 25; i++) answers.push(...(await Promise.all([1, 2, 3, 4].map(() => post(service.port, false, token, 5 * 1024 * 1024)))));
    check(answers);
  });

  it("100 bodies of 2 MiB on 10 keep-alive connections", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 10 });
    try {
      check(await Promise.all(Array.from({ length: 100 }, () => post(service.port, agent, token, 2 * 1024 * 1024))));
    } finally {
      agent.destroy();
    }
  });

  it("100 bodies of 5 MiB sent by curl", async () => {
    const file = join(tmpdir(), `registry-oversized-${process.pid}.json`);
    await writeFile(file, JSON.stringify({ name: "x".repeat(5 * 1024 * 1024) }));
    const answers: Answer[] = [];
    try {
      for (let i = 0; i < 100; i++) {
        const out = await new Promise<string>((resolve) =>
          execFile(
            "curl",
            ["-sS", "-o", "-", "-w", "\\n%{http_code} %{content_type}", "-H", "content-type: application/json", "-H", `authorization: ${token}`, "--data-binary", `@${file}`, `http://127.0.0.1:${service.port}/municipalities`],
            (error, stdout, stderr) => resolve(error ? `ERROR ${stderr}` : stdout),
          ),
        );
        const cut = out.lastIndexOf("\n");
        const [status, type] = out.slice(cut + 1).split(" ");
        answers.push(out.startsWith("ERROR") ? { error: out } : { status: Number(status), type, body: out.slice(0, cut) });
      }
    } finally {
      await rm(file, { force: true });
    }
    check(answers);
  });
});
