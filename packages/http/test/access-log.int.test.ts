import { connect } from "node:net";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createLogger } from "@kruzhok/observability";
import { AccessSample, buildApp, signDevToken, type HttpApp } from "../src";

const SECRET = "test-secret-that-is-at-least-32-characters-long";

/** An app whose log lines (info and up, as services run) are kept as parsed objects. */
async function loggedApp(sample?: { polled: AccessSample }): Promise<{ app: HttpApp; lines: Record<string, unknown>[]; entered: Promise<void>; released: () => void }> {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const app = await buildApp({ service: "access", version: "1", logger: createLogger({ service: "access", level: "info" }, sink), auth: { mode: "dev", secret: SECRET } });
  let release = () => undefined as void;
  let enter = () => undefined as void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const entered = new Promise<void>((resolve) => (enter = resolve));
  app.get("/things/:id", { schema: { params: z.object({ id: z.string() }) } }, (request) => ({ id: request.params.id }));
  if (sample) app.get("/polled/:id", { schema: { params: z.object({ id: z.string() }) }, config: { accessSample: sample.polled } }, (request) => ({ id: request.params.id }));
  app.get("/noted", (request) => {
    request.log.debug("not at info");
    request.log.info({ note: 1 }, "from the route");
    request.log.child({ step: "inner" }).warn("from a child");
    return { noted: true };
  });
  app.get("/held", async () => {
    enter();
    await held;
    return { held: false };
  });
  return { app, lines, entered, released: release };
}

const bearer = async () => `Bearer ${await signDevToken({ subject: "office-1", role: "municipality", municipalityId: "7f0c3c4e-2f7b-4c1e-9a55-3d1f2b6a9e10", regionCode: "41" }, { secret: SECRET })}`;

describe("access log: one line per request, at its end", () => {
  it("an answered request writes one line with its id, route, path without the query, status, role and time", async () => {
    const { app, lines } = await loggedApp();
    try {
      const res = await app.inject({ method: "GET", url: "/things/42?surname=Ivanova&q=dzudo", headers: { authorization: await bearer() } });
      expect(res.statusCode).toBe(200);
      const ofRequest = lines.filter((line) => line.requestId === res.headers["x-request-id"]);
      expect(ofRequest).toHaveLength(1);
      expect(ofRequest[0]).toMatchObject({ level: "info", msg: "request completed", method: "GET", route: "/things/:id", path: "/things/42", status: 200, role: "municipality" });
      expect(typeof ofRequest[0]!.ms).toBe("number");
      // Fastify's own pair of lines is gone, and what the caller typed after "?" is nowhere.
      expect(lines.some((line) => line.msg === "incoming request")).toBe(false);
      expect(JSON.stringify(lines)).not.toContain("Ivanova");
    } finally {
      await app.close();
    }
  });

  it("a refused request writes its refusal and its one completed line with the status", async () => {
    const { app, lines } = await loggedApp();
    try {
      const res = await app.inject({ method: "GET", url: "/things/42" });
      expect(res.statusCode).toBe(401);
      const ofRequest = lines.filter((line) => line.requestId === res.headers["x-request-id"]);
      expect(ofRequest.map((line) => line.msg)).toEqual(["request refused", "request completed"]);
      expect(ofRequest[1]).toMatchObject({ route: "/things/:id", status: 401 });
      expect(ofRequest[1]!.role).toBeUndefined();
    } finally {
      await app.close();
    }
  });

  it("a request its client gave up on before the answer leaves a line saying so", async () => {
    const { app, lines, entered, released } = await loggedApp();
    try {
      await app.listen({ host: "127.0.0.1", port: 0 });
      const { port } = app.server.address() as { port: number };
      const socket = connect(port, "127.0.0.1");
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      socket.write(`GET /held?token=abc HTTP/1.1\r\nHost: x\r\nAuthorization: ${await bearer()}\r\n\r\n`);
      await entered;
      socket.destroy();
      await expect.poll(() => lines.find((line) => line.msg === "request aborted by the client"), { timeout: 5_000 }).toMatchObject({ route: "/held", path: "/held", role: "municipality" });
    } finally {
      released();
      await app.close();
    }
  });

  it("what a route logs through its request's logger carries the request id; what is below the level is not written", async () => {
    const { app, lines } = await loggedApp();
    try {
      const res = await app.inject({ method: "GET", url: "/noted", headers: { authorization: await bearer() } });
      expect(res.statusCode).toBe(200);
      const ofRequest = lines.filter((line) => line.requestId === res.headers["x-request-id"]);
      expect(ofRequest.map((line) => line.msg)).toEqual(["from the route", "from a child", "request completed"]);
      expect(ofRequest[0]).toMatchObject({ level: "info", service: "access", note: 1 });
      expect(ofRequest[1]).toMatchObject({ level: "warn", step: "inner" });
      expect(lines.some((line) => line.msg === "not at info")).toBe(false);
    } finally {
      await app.close();
    }
  });

  it("a sampled route writes the first of its quick successful answers and then every n-th, each saying so; every refusal still", async () => {
    // An hour is never reached: every answer here is a quick one.
    const { app, lines } = await loggedApp({ polled: new AccessSample(3, 3_600_000) });
    try {
      const asked: string[] = [];
      for (let i = 0; i < 7; i++) {
        const res = await app.inject({ method: "GET", url: `/polled/${i}`, headers: { authorization: await bearer() } });
        expect(res.statusCode).toBe(200);
        asked.push(String(res.headers["x-request-id"]));
      }
      const refused = await app.inject({ method: "GET", url: "/polled/refused" });
      expect(refused.statusCode).toBe(401);
      const completed = lines.filter((line) => line.msg === "request completed" && line.route === "/polled/:id");
      expect(completed.map((line) => [line.path, line.status, line.sampledOneIn])).toEqual([
        ["/polled/0", 200, 3],
        ["/polled/3", 200, 3],
        ["/polled/6", 200, 3],
        ["/polled/refused", 401, undefined],
      ]);
      expect(completed.map((line) => line.requestId)).toEqual([asked[0], asked[3], asked[6], refused.headers["x-request-id"]]);
      // Another route of the same app writes every line, with no sample's field.
      const other = await app.inject({ method: "GET", url: "/things/1", headers: { authorization: await bearer() } });
      expect(lines.filter((line) => line.requestId === other.headers["x-request-id"])).toMatchObject([{ msg: "request completed", status: 200 }]);
      expect(lines.find((line) => line.requestId === other.headers["x-request-id"])!.sampledOneIn).toBeUndefined();
    } finally {
      await app.close();
    }
  });

  it("a sampled route writes every answer at or above its slow threshold, and every line with a sample of one", async () => {
    for (const sample of [new AccessSample(50, 0), new AccessSample(1, 3_600_000)]) {
      const { app, lines } = await loggedApp({ polled: sample });
      try {
        for (let i = 0; i < 4; i++) expect((await app.inject({ method: "GET", url: `/polled/${i}`, headers: { authorization: await bearer() } })).statusCode).toBe(200);
        const completed = lines.filter((line) => line.msg === "request completed");
        expect(completed.map((line) => [line.path, line.sampledOneIn])).toEqual([0, 1, 2, 3].map((i) => [`/polled/${i}`, undefined]));
      } finally {
        await app.close();
      }
    }
  });

  it("a sample is one line in a whole number of at least one, after a number of milliseconds of at least zero", () => {
    for (const oneIn of [0, -1, 1.5, Number.NaN]) expect(() => new AccessSample(oneIn, 10)).toThrow(/whole number of at least 1/);
    for (const slowMs of [-1, Number.NaN]) expect(() => new AccessSample(10, slowMs)).toThrow(/at least 0/);
  });
});
