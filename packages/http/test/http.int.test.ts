import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProblemDocument } from "@kruzhok/contracts";
import { isolate, type Isolation } from "@kruzhok/testkit";
import { buildTestApp, guardian, type TestApp } from "./fixtures/app";

const municipalityId = randomUUID();
const validBody = () => ({
  municipalityId,
  child: { firstName: "Алиса", lastName: "Иванова", birthDate: "2016-03-14" },
});

describe("HTTP edge: problems, limits, docs, logs", () => {
  let iso: Isolation;
  let t: TestApp;
  let auth: { authorization: string };
  beforeAll(async () => {
    iso = await isolate("http-edge");
    t = await buildTestApp(iso);
    auth = { authorization: `Bearer ${await t.token(guardian(municipalityId))}` };
  });
  afterAll(async () => {
    await t.close();
    await iso.cleanup();
  });

  const problemOf = (response: { headers: Record<string, unknown>; json: () => unknown }) => {
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    return ProblemDocument.parse(response.json());
  };

  it("accepts a valid body and echoes the caller's request id", async () => {
    const response = await t.app.inject({
      method: "POST",
      url: "/children",
      headers: { ...auth, "x-request-id": "req-123" },
      payload: validBody(),
    });
    expect(response.statusCode).toBe(201);
    expect(response.headers["x-request-id"]).toBe("req-123");
  });

  it("answers a bad field with a 400 problem naming it, with the request id", async () => {
    const body = validBody();
    body.child.birthDate = "14.03.2016";
    body.child.firstName = "";
    const response = await t.app.inject({ method: "POST", url: "/children?x=1", headers: auth, payload: body });
    expect(response.statusCode).toBe(400);
    const problem = problemOf(response);
    expect(problem).toMatchObject({ status: 400, code: "HTTP.VALIDATION", instance: "/children" });
    expect(problem.requestId).toBe(response.headers["x-request-id"]);
    expect(problem.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(problem.invalidParams).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "body.child.birthDate", rule: "invalid_format" }),
        expect.objectContaining({ name: "body.child.firstName", rule: "too_small" }),
      ]),
    );
  });

  it("rejects unknown fields of a strict object, naming each", async () => {
    const body = { ...validBody(), isAdmin: true, child: { ...validBody().child, shoeSize: 31 } };
    const response = await t.app.inject({ method: "POST", url: "/children", headers: auth, payload: body });
    expect(response.statusCode).toBe(400);
    const names = problemOf(response).invalidParams?.map((param) => param.name);
    expect(names).toEqual(expect.arrayContaining(["body.isAdmin", "body.child.shoeSize"]));
    expect(await t.registeredChildren()).toBe(1);
  });

  it("answers a body over 1 MiB with 413 before reading it into a handler", async () => {
    const response = await t.app.inject({
      method: "POST",
      url: "/children",
      headers: { ...auth, "content-type": "application/json" },
      payload: JSON.stringify({ ...validBody(), padding: "x".repeat(1024 * 1024) }),
    });
    expect(response.statusCode).toBe(413);
    expect(problemOf(response).code).toBe("HTTP.PAYLOAD_TOO_LARGE");
  });

  it("answers malformed JSON with 400 HTTP.MALFORMED_BODY", async () => {
    const response = await t.app.inject({
      method: "POST",
      url: "/children",
      headers: { ...auth, "content-type": "application/json" },
      payload: '{"municipalityId": ',
    });
    expect(response.statusCode).toBe(400);
    expect(problemOf(response).code).toBe("HTTP.MALFORMED_BODY");
  });

  it("answers an unknown route with a 404 problem, even without a token", async () => {
    const response = await t.app.inject({ method: "GET", url: "/nowhere" });
    expect(response.statusCode).toBe(404);
    expect(problemOf(response)).toMatchObject({ code: "HTTP.NOT_FOUND", instance: "/nowhere" });
  });

  it("runs the input and idempotency checks on write routes only: a read passes through neither the hooks nor their runners", () => {
    // printRoutes names each route's hooks: a route's line, then a `•` line per kind of hook under it.
    const hooksOf = (method: string, url: string): string => {
      const lines = t.app.printRoutes({ includeHooks: true, commonPrefix: false }).split("\n");
      const at = lines.findIndex((line) => line.trim().endsWith(`${url} (${method})`));
      expect(at, `${method} ${url} is listed`).toBeGreaterThanOrEqual(0);
      const block: string[] = [];
      for (const line of lines.slice(at + 1)) {
        const text = line.replace(/^[\s│]+/, "");
        if (!text.startsWith("•")) break;
        block.push(text);
      }
      return block.join("\n");
    };
    const kitWriteHooks = ["refuseHiddenText", "claimIdempotencyKey", "settleIdempotencyKey"];
    for (const [method, url] of [["POST", "/notes"], ["POST", "/children"]] as const) {
      const hooks = hooksOf(method, url);
      for (const name of kitWriteHooks) expect(hooks, `${method} ${url}`).toContain(`${name}()`);
    }
    for (const [method, url] of [["GET", "/municipalities/:municipalityId/report"], ["GET", "/livez"], ["GET", "/public/ping"]] as const) {
      const hooks = hooksOf(method, url);
      for (const name of kitWriteHooks) expect(hooks, `${method} ${url}`).not.toContain(name);
      expect(hooks, `${method} ${url}`).not.toMatch(/\((preValidation|preHandler)\)/);
    }
  });

  it("answers the router's own refusals with problem documents and stable codes, not Fastify's plain JSON", async () => {
    // A path segment over Fastify's maxParamLength (100) is refused by the router, before any route or hook.
    const long = await t.app.inject({ method: "GET", url: `/domain/${"x".repeat(101)}`, headers: auth });
    expect(long.statusCode).toBe(414);
    expect(problemOf(long)).toMatchObject({ status: 414, code: "HTTP.URI_TOO_LONG", requestId: long.headers["x-request-id"] });
    expect(long.headers["x-content-type-options"]).toBe("nosniff");
    // A percent-encoding that decodes to no character.
    const bad = await t.app.inject({ method: "GET", url: "/domain/%E0%A4%A", headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(problemOf(bad)).toMatchObject({ status: 400, code: "HTTP.BAD_URL" });
  });

  it("maps each domain error category once, with the field as an invalid param", async () => {
    const expected = { validation: 422, not_found: 404, conflict: 409, forbidden: 403, illegal_state: 409, unauthorized: 401 };
    for (const [category, status] of Object.entries(expected)) {
      const response = await t.app.inject({ method: "GET", url: `/domain/${category}`, headers: auth });
      expect(response.statusCode, category).toBe(status);
      expect(problemOf(response)).toMatchObject({
        code: "TEST.RULE_SAID_NO",
        detail: "The rule said no",
        invalidParams: [{ name: "body.child.birthDate", rule: "TEST.RULE_SAID_NO" }],
      });
    }
  });

  it("names a domain error's field in the request part the route gives it, the body otherwise", async () => {
    const nameOf = async (about: string) =>
      problemOf(await t.app.inject({ method: "GET", url: `/domain-in-query?about=${about}`, headers: auth })).invalidParams?.[0]?.name;
    expect(await nameOf("cursor")).toBe("query.cursor");
    expect(await nameOf("child")).toBe("child.birthDate");
    expect(await nameOf("other")).toBe("body.other.field");
  });

  it("hides the details of an unexpected error from the client but logs them", async () => {
    const response = await t.app.inject({ method: "GET", url: "/boom" });
    expect(response.statusCode).toBe(500);
    const problem = problemOf(response);
    expect(problem.code).toBe("HTTP.INTERNAL");
    expect(response.body).not.toContain("password");
    expect(response.body).not.toContain("10.0.0.5");
    const logged = t.logs
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.requestId === problem.requestId && line.level === "error");
    expect(JSON.stringify(logged)).toContain("password authentication failed");
  });

  it("never writes a request body's personal fields to the log", async () => {
    const body = { municipalityId, child: { firstName: "Zlata", lastName: "Petrova-Vodkina", birthDate: "2017-05-09" } };
    const ok = await t.app.inject({ method: "POST", url: "/children", headers: auth, payload: body });
    expect(ok.statusCode).toBe(201);
    const bad = await t.app.inject({
      method: "POST",
      url: "/children",
      headers: auth,
      payload: { ...body, child: { ...body.child, birthDate: "09.05.2017" } },
    });
    expect(bad.statusCode).toBe(400);
    const output = t.logs.join("");
    expect(output).toContain("registering child");
    expect(output).toContain("[redacted]");
    for (const personal of ["Zlata", "Petrova-Vodkina", "2017-05-09", "09.05.2017", auth.authorization.slice(7)]) {
      expect(output).not.toContain(personal);
    }
  });

  it("publishes an OpenAPI 3.1 document listing the routes, with bearer auth", async () => {
    const response = await t.app.inject({ method: "GET", url: "/docs/json" });
    expect(response.statusCode).toBe(200);
    const doc = response.json<{
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, { requestBody?: unknown; security?: unknown[] }>>;
      components: { securitySchemes: Record<string, unknown> };
    }>();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info).toMatchObject({ title: "test-service", version: "1.2.3" });
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.paths["/children"]?.post?.requestBody).toMatchObject({
      content: { "application/json": { schema: { properties: { child: { required: ["firstName", "lastName", "birthDate"] } } } } },
    });
    // Public: a token is optional (read when sent), so a generated client may still send one.
    expect(doc.paths["/public/ping"]?.get?.security).toEqual([{}, { bearerAuth: [] }]);
    expect(Object.keys(doc.paths).some((path) => path.startsWith("/docs") || path === "/livez")).toBe(false);
  });

  it("serves Swagger UI with a CSP that lets it run, and the API's answers with an API's headers: never cached, framed or sniffed", async () => {
    const ui = await t.app.inject({ method: "GET", url: "/docs/" });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers["content-security-policy"]).toContain("script-src 'self' 'unsafe-inline'");
    for (const url of ["/public/ping", "/no-such-route"]) {
      const api = await t.app.inject({ method: "GET", url });
      expect(api.headers["cache-control"]).toBe("no-store");
      expect(api.headers["content-security-policy"]).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(api.headers["x-content-type-options"]).toBe("nosniff");
      expect(api.headers["x-frame-options"]).toBe("DENY");
      expect(api.headers["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains");
      // Helmet's headers for HTML pages are not an API's.
      expect(api.headers["x-dns-prefetch-control"]).toBeUndefined();
      expect(api.headers["x-xss-protection"]).toBeUndefined();
      expect(api.headers["x-powered-by"]).toBeUndefined();
    }
  });

  it("answers no browser of another origin when no CORS origins are configured", async () => {
    const preflight = await t.app.inject({
      method: "OPTIONS",
      url: "/children",
      headers: { origin: "https://navigator.example", "access-control-request-method": "POST" },
    });
    expect(preflight.headers["access-control-allow-origin"]).toBeUndefined();
    const get = await t.app.inject({ method: "GET", url: "/public/ping", headers: { origin: "https://navigator.example" } });
    expect(get.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("lets a configured origin's browser call, with the headers the API needs, and no other origin", async () => {
    const cors = await buildTestApp(iso, { corsOrigins: ["https://navigator.example"] });
    try {
      const preflight = await cors.app.inject({
        method: "OPTIONS",
        url: "/children",
        headers: { origin: "https://navigator.example", "access-control-request-method": "POST", "access-control-request-headers": "idempotency-key" },
      });
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers["access-control-allow-origin"]).toBe("https://navigator.example");
      expect(preflight.headers["access-control-allow-headers"]).toContain("idempotency-key");
      const other = await cors.app.inject({ method: "GET", url: "/public/ping", headers: { origin: "https://elsewhere.example" } });
      expect(other.headers["access-control-allow-origin"]).toBeUndefined();
      expect(other.headers["x-content-type-options"]).toBe("nosniff");
    } finally {
      await cors.close();
    }
  });

  it("exports the request duration histogram by method, route and status", async () => {
    const response = await t.app.inject({ method: "GET", url: "/metrics" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^text\/plain/);
    expect(response.body).toMatch(/http_request_duration_seconds_bucket\{[^}]*method="POST",route="\/children",status="201"/);
    expect(response.body).toMatch(/http_request_duration_seconds_count\{[^}]*route="unmatched",status="404"/);
  });
});
