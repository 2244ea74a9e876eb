// The operator's bulk import of children from a CSV file (issue #18): the page takes the file and
// hands it to the registry (POST /municipalities/:id/child-imports), which reads it, registers
// each row as the office's single registration would, and reports refused rows by line; the
// command line (`kruzhok import children`, packages/cli) calls the same API, so a file gives
// the same report from either. The page then shows the progress (reloading itself while the
// registry works, with or without JavaScript) and the report.
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { fieldErrorsOf, type Services } from "../api/client";
import type { Directory } from "../api/directory";
import type { PageContext } from "../pages/context";
import { html, type Html } from "../pages/html";
import { csrfInput, errorSummary, fieldId, layout } from "../pages/layout";
import type { TextKey } from "../pages/texts";
import { FILES, boundaryOf, parseMultipart, type MultipartBody } from "./office-import-multipart";
import { asPerson, notFoundPage, notice, personAndId, personOf, sendPage } from "./web";

export interface OfficialPagesOptions {
  services: Services;
  directory: Directory;
  clock: () => Date;
}

/** The registry's columns, in its order (services/registry/src/domain/child-import.ts). */
const COLUMNS = [
  "lastName",
  "firstName",
  "patronymic",
  "birthDate",
  "documentKind",
  "documentNumber",
  "guardianLastName",
  "guardianFirstName",
  "guardianPatronymic",
  "guardianDocumentKind",
  "guardianDocumentNumber",
  "guardianPhone",
  "guardianEmail",
] as const;
type Column = (typeof COLUMNS)[number];
const OPTIONAL: readonly Column[] = ["patronymic", "guardianPatronymic", "guardianPhone", "guardianEmail"];

/** The registry takes 10,000 rows; a file of them is a megabyte or two, five with long names. */
const MAX_FILE = 5 * 1024 * 1024;
/** The registry's base64 pieces (each text field of a request is bounded there). */
const PIECE = 16_000;
/**
 * The area's own style (the portal's sheet is shared): a progress bar as wide as the page. Linked
 * from the page's body, which browsers honour; no inline style is allowed (CSP).
 */
const STYLE = "progress.import{display:block;width:100%;height:1.5rem;margin:.5rem 0}";

/** How often the page reloads itself while rows wait. */
const REFRESH_S = 2;
/**
 * Bad rows shown while a file is still processing. The page reloads itself every REFRESH_S
 * seconds; asking the registry for (and drawing) a list that grows to thousands of rows on every
 * reload cost both services and the operator's phone for nothing: the whole list comes once the
 * file is done, when it can no longer grow.
 */
const BAD_ROWS_WHILE_PROCESSING = 20;
/** The registry's largest page of bad rows (its `limit`): a file's bad rows, all of them. */
const ALL_BAD_ROWS = 10_000;

interface ImportView {
  id: string;
  fileName: string;
  status: "processing" | "done";
  total: number;
  processed: number;
  created: number;
  present: number;
  bad: number;
  createdAt: string;
  badRows?: { line: number; field: string | null; rule: string; reason: string }[];
}

const columnLabel = (ctx: PageContext, field: string | null): string =>
  field && (COLUMNS as readonly string[]).includes(field) ? `${ctx.t(`imports.name.${field as Column}` as TextKey)} (${field})` : (field ?? ctx.t("imports.wholeRow"));

function formPage(ctx: PageContext, errors: Record<string, string>, recent: readonly ImportView[]): Html {
  const { t, format } = ctx;
  const labels = { file: t("imports.file"), "": t("office.import") };
  const example = `${COLUMNS.join(",")}\nИванова,Анна,Сергеевна,2016-03-14,birth_certificate,IV-АБ 123456,Иванова,Ольга,,passport,45 10 123456,+79001234567,`;
  const fileId = fieldId("file");
  return html`<h1>${t("office.import")}</h1>
<p>${t("imports.intro")}</p>
${errorSummary(ctx, errors, labels)}
<form method="post" action="/office/imports" enctype="multipart/form-data" novalidate>
  ${csrfInput(ctx)}
  <input type="hidden" name="idempotencyKey" value="${randomUUID()}">
  <div class="field${errors.file ? " has-error" : ""}">
    <label for="${fileId}">${labels.file}</label>
    <p class="hint" id="${fileId}-hint">${t("imports.fileHint")}</p>
    ${errors.file ? html`<p class="error" id="${fileId}-error">${errors.file}</p>` : ""}
    <input id="${fileId}" name="file" type="file" accept=".csv,text/csv" aria-describedby="${fileId}-hint${errors.file ? ` ${fileId}-error` : ""}"${errors.file ? html` aria-invalid="true"` : ""}>
  </div>
  <button type="submit">${t("imports.submit")}</button>
</form>
<section aria-labelledby="columns"><h2 id="columns">${t("imports.columns")}</h2>
<p>${t("imports.columnsIntro")}</p>
<div class="scroll" tabindex="0" role="region" aria-label="${t("imports.columns")}"><table>
  <thead><tr><th scope="col">${t("imports.column")}</th><th scope="col">${t("imports.meaning")}</th><th scope="col">${t("imports.required")}</th></tr></thead>
  <tbody>${COLUMNS.map((c) => html`<tr><td><code>${c}</code></td><td>${t(`imports.col.${c}` as TextKey)}</td><td>${OPTIONAL.includes(c) ? t("imports.no") : t("imports.yes")}</td></tr>`)}</tbody>
</table></div>
<h3>${t("imports.example")}</h3>
<pre class="scroll" tabindex="0" role="region" aria-label="${t("imports.example")}"><code>${example}</code></pre>
</section>
<section aria-labelledby="recent"><h2 id="recent">${t("imports.recent")}</h2>
${
  recent.length === 0
    ? html`<p>${t("imports.none")}</p>`
    : html`<ul class="cards">${recent.map(
        (i) => html`<li class="card"><h3><a href="/office/imports/${i.id}">${i.fileName}</a></h3>
  <p class="meta">${format.date(i.createdAt)} · ${t("imports.rowsStatus", { processed: i.processed, total: i.total })}</p>
  <p>${t("imports.created")}: ${i.created} · ${t("imports.present")}: ${i.present} · ${t("imports.bad")}: ${i.bad}</p></li>`,
      )}</ul>`
}
</section>`;
}

function reportPage(ctx: PageContext, report: ImportView): Html {
  const { t } = ctx;
  const badRows = report.badRows ?? [];
  const share = report.total === 0 ? 100 : Math.floor((100 * report.processed) / report.total);
  return html`<link rel="stylesheet" href="/assets/office-import.css">
<h1>${t("imports.title", { name: report.fileName })}</h1>
<section aria-labelledby="progress-label">
  <h2 id="progress-label">${t("imports.progress")}</h2>
  <progress class="import" max="${report.total}" value="${report.processed}" aria-labelledby="progress-label" aria-describedby="progress-text">${share} %</progress>
  <p id="progress-text" role="status">${report.status === "done" ? t("imports.done", { total: report.total }) : t("imports.processing", { processed: report.processed, total: report.total, share })}</p>
  <dl class="summary">
    <dt>${t("imports.created")}</dt><dd>${report.created}</dd>
    <dt>${t("imports.present")}</dt><dd>${report.present}</dd>
    <dt>${t("imports.bad")}</dt><dd>${report.bad}</dd>
  </dl>
</section>
<section aria-labelledby="bad-rows"><h2 id="bad-rows">${t("imports.badRows")}</h2>
${
  badRows.length === 0
    ? html`<p>${report.status === "done" ? t("imports.noBadRows") : ""}</p>`
    : html`<p>${t("imports.badRowsIntro")}</p>
${report.status === "done" || badRows.length >= report.bad ? "" : html`<p>${t("imports.badRowsSoFar", { shown: badRows.length, bad: report.bad })}</p>`}
<div class="scroll" tabindex="0" role="region" aria-label="${t("imports.badRows")}"><table>
  <thead><tr><th scope="col">${t("imports.line")}</th><th scope="col">${t("imports.field")}</th><th scope="col">${t("imports.reason")}</th></tr></thead>
  <tbody>${badRows.map((row) => html`<tr><td>${row.line}</td><td>${columnLabel(ctx, row.field)}</td><td>${row.reason}</td></tr>`)}</tbody>
</table></div>`
}
</section>
<p><a href="/office/imports">${t("imports.another")}</a></p>`;
}

export function officeImportRoutes(app: FastifyInstance, options: OfficialPagesOptions): void {
  const { services } = options;

  async function importsPage(request: FastifyRequest, reply: FastifyReply, errors: Record<string, string> = {}): Promise<FastifyReply> {
    const person = personOf(request, reply, "operator");
    if (!person) return reply;
    const ctx = request.page;
    const municipalityId = person.actor.municipalityId;
    const recent = municipalityId ? await services.call<ImportView[]>("registry", "GET", `/municipalities/${municipalityId}/child-imports`, asPerson(ctx, person.token)) : undefined;
    const body = formPage(ctx, errors, recent?.ok ? recent.body : []);
    return sendPage(reply.code(Object.keys(errors).length > 0 ? 400 : 200), layout(ctx, { title: ctx.t("office.import"), body }));
  }

  app.get("/assets/office-import.css", async (_request, reply) => reply.header("cache-control", "public, max-age=3600").type("text/css; charset=utf-8").send(STYLE));

  app.get("/office/imports", (request, reply) => importsPage(request, reply));

  app.get<{ Querystring: { started?: string } }>("/office/imports/:id", async (request, reply) => {
    const found = personAndId(request, reply, "operator");
    if (!found) return reply;
    const ctx = request.page;
    const ask = (limit: number) => services.call<ImportView>("registry", "GET", `/child-imports/${found.id}`, { ...asPerson(ctx, found.person.token), query: { limit } });
    let answer = await ask(BAD_ROWS_WHILE_PROCESSING);
    if (!answer.ok) return notFoundPage(request, reply);
    if (answer.body.status === "done" && answer.body.bad > BAD_ROWS_WHILE_PROCESSING) {
      answer = await ask(ALL_BAD_ROWS);
      if (!answer.ok) return notFoundPage(request, reply);
    }
    // While rows wait, the page reloads itself (the Refresh header: no script needed, and no inline one allowed).
    if (answer.body.status === "processing") reply.header("refresh", String(REFRESH_S));
    const started = request.query.started === "1" ? notice(ctx.t("imports.started")) : undefined;
    return sendPage(reply, layout(ctx, { title: ctx.t("imports.title", { name: answer.body.fileName }), body: reportPage(ctx, answer.body), notice: started }));
  });

  // The upload: its own body parser, scoped to this route, with the file's own size limit. A
  // url-encoded post (no file) still reaches the handler through the pages' 64 KB parser.
  void app.register(async (scope) => {
    scope.addContentTypeParser("multipart/form-data", { parseAs: "buffer", bodyLimit: MAX_FILE + 64 * 1024 }, (request, body, done) => {
      const boundary = boundaryOf(request.headers["content-type"]);
      if (!boundary) return done(Object.assign(new Error("multipart/form-data without a boundary"), { statusCode: 400 }), undefined);
      try {
        done(null, parseMultipart(body as Buffer, boundary));
      } catch (error) {
        done(error as Error, undefined);
      }
    });

    scope.post<{ Body: Partial<MultipartBody> }>("/office/imports", async (request, reply) => {
      const person = personOf(request, reply, "operator");
      if (!person) return reply;
      const ctx = request.page;
      const form = request.body;
      const file = form[FILES]?.file;
      if (!file || file.content.length === 0) return importsPage(request, reply, { file: ctx.t("imports.fileRequired") });
      if (file.content.length > MAX_FILE) return importsPage(request, reply, { file: ctx.t("imports.fileTooLarge") });
      const municipalityId = person.actor.municipalityId;
      if (!municipalityId) return notFoundPage(request, reply);
      const base64 = file.content.toString("base64");
      const content: string[] = [];
      for (let i = 0; i < base64.length; i += PIECE) content.push(base64.slice(i, i + PIECE));
      const idempotencyKey = typeof form.idempotencyKey === "string" && /^[0-9a-f-]{36}$/.test(form.idempotencyKey) ? form.idempotencyKey : undefined;
      const answer = await services.call<ImportView>("registry", "POST", `/municipalities/${municipalityId}/child-imports`, {
        ...asPerson(ctx, person.token),
        ...(idempotencyKey && { idempotencyKey }),
        // An old browser sends the whole path; the name is its last part.
        body: { fileName: (file.fileName.split(/[\\/]/).pop() ?? "").trim().slice(0, 200) || "children.csv", content },
      });
      if (!answer.ok) {
        if (answer.status === 403 || answer.status === 404) return notFoundPage(request, reply);
        // The file's refusals (unreadable, its header, no rows, too many) are the file field's.
        const errors = fieldErrorsOf(answer.problem);
        return importsPage(request, reply, { file: errors.content ?? errors.fileName ?? Object.values(errors)[0] ?? ctx.t("imports.fileRequired") });
      }
      return reply.redirect(`/office/imports/${answer.body.id}?started=1`, 303);
    });
  });
}
