import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HttpApp } from "@kruzhok/http";
import { serviceHarness, type Harness } from "@kruzhok/testkit";
import { Services, type ServiceName } from "../src/api/client";
import { buildPortalApp } from "../src/app";
import { boundaryOf, FILES, parseMultipart } from "../src/http/office-import-multipart";
import { migratePortal } from "../src/migrations";
import { createSession } from "../src/store/sessions";

// The office's file upload (the one multipart form of the portal): the form token is checked as
// on every form, before any service is called; a file over 5 MB is refused in words; a file is
// handed to the registry whole, whatever its cells hold (the registry judges them row by row).

const MUNICIPALITY = "01a241c0-7991-76ee-aaf2-7a034d59804e";
const IMPORT = "01a241c0-7991-76ee-aaf2-7a034d598050";
const CSRF = "a".repeat(43);

function multipart(fields: Record<string, string>, file?: { name: string; content: Buffer }): { payload: Buffer; contentType: string } {
  const boundary = "----kruzhok-test-boundary";
  const parts: Buffer[] = Object.entries(fields).map(([name, value]) => Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  if (file) {
    parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${file.name}"\r\ncontent-type: text/csv\r\n\r\n`), file.content, Buffer.from("\r\n"));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

describe("the multipart form", () => {
  it("reads fields and files, the file's bytes as sent", () => {
    const content = Buffer.from("a,b\r\n\u00e9,\"x\r\n--y\"\r\n");
    const { payload, contentType } = multipart({ _csrf: CSRF, idempotencyKey: "k" }, { name: "дети.csv", content });
    const body = parseMultipart(payload, boundaryOf(contentType)!);
    expect(Object.fromEntries(Object.entries(body))).toEqual({ _csrf: CSRF, idempotencyKey: "k" });
    expect(body[FILES].file).toEqual({ fileName: "дети.csv", content });
  });
});

describe("uploading a children's file on the office's page", () => {
  let h: Harness<object, HttpApp>;
  let backend: Server;
  const heard: { method: string; url: string; body: string }[] = [];
  let operator = "";

  beforeAll(async () => {
    backend = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        heard.push({ method: req.method ?? "", url: req.url ?? "", body: Buffer.concat(chunks).toString("utf8") });
        if (req.method === "POST") {
          res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ id: IMPORT }));
        } else {
          res.writeHead(200, { "content-type": "application/json" }).end("[]");
        }
      });
    });
    await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
    const urls = Object.fromEntries((["registry", "catalogue", "enrollment", "attendance", "payments", "statistics"] as ServiceName[]).map((s) => [s, base])) as Record<ServiceName, string>;
    h = await serviceHarness({
      service: "portal",
      isolation: "portal-office-import",
      migrate: migratePortal,
      app: (c) => buildPortalApp({ logger: c.logger, auth: c.auth, metrics: c.metrics, pool: c.pool, clock: c.clock, services: new Services(urls, 5_000), secureCookies: true, sessionTtlS: 3_600, devSecret: c.auth.secret }),
    });
    const expiresAt = new Date(Date.now() + 3_600_000);
    operator = await createSession(h.pool, { token: "t", actor: { subject: "o", role: "operator", municipalityId: MUNICIPALITY }, displayName: "Оператор", expiresAt }, new Date());
  });
  afterAll(async () => {
    await h?.close();
    backend?.close();
  });

  const upload = (form: { payload: Buffer; contentType: string }, csrfCookie = CSRF) =>
    h.app.inject({
      method: "POST",
      url: "/office/imports",
      headers: { cookie: `__Host-kruzhok-csrf=${csrfCookie}; __Host-kruzhok-session=${operator}`, "accept-language": "ru", "content-type": form.contentType },
      payload: form.payload,
    });

  it("refuses a file posted without the form's token, calling no service", async () => {
    heard.length = 0;
    const res = await upload(multipart({ _csrf: "b".repeat(43) }, { name: "a.csv", content: Buffer.from("x") }));
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain("Форма устарела");
    expect(heard).toEqual([]);
  });

  it("refuses a file over 5 MB in words, calling no service", async () => {
    heard.length = 0;
    const res = await upload(multipart({ _csrf: CSRF }, { name: "big.csv", content: Buffer.alloc(5 * 1024 * 1024 + 100 * 1024, 0x41) }));
    expect(res.statusCode).toBe(413);
    expect(res.body).toContain("Форма слишком большая");
    expect(heard).toEqual([]);
  });

  it("asks for a file beside the field when none is chosen", async () => {
    const res = await upload(multipart({ _csrf: CSRF }));
    expect(res.statusCode).toBe(400);
    expect(res.body).toMatch(/<p class="error" id="f-file-error">Выберите файл CSV\.<\/p>/);
  });

  it("hands the file to the registry whole, cells the kit would refuse in a form field included, and shows its progress page next", async () => {
    heard.length = 0;
    // A byte-order mark and a homoglyph: refused in a form field, a row's business in a file.
    const csv = Buffer.from(`\uFEFFlastName,firstName\r\nИванова,Аnnа\r\n${"ж".repeat(30_000)}\r\n`);
    const res = await upload(multipart({ _csrf: CSRF, idempotencyKey: "0b9f1d6e-5d7e-4b43-9a52-6c1f1f0e8a11" }, { name: "дети.csv", content: csv }));
    expect(res.statusCode, res.body).toBe(303);
    expect(res.headers.location).toBe(`/office/imports/${IMPORT}?started=1`);
    const posted = heard.find((call) => call.method === "POST");
    expect(posted?.url).toBe(`/municipalities/${MUNICIPALITY}/child-imports`);
    const body = JSON.parse(posted!.body) as { fileName: string; content: string[] };
    expect(body.fileName).toBe("дети.csv");
    expect(body.content.every((piece) => piece.length <= 16_000)).toBe(true);
    expect(Buffer.from(body.content.join(""), "base64")).toEqual(csv);
  });
});
