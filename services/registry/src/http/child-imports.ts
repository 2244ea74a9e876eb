import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { requireMunicipality, requireRole } from "@kruzhok/actor";
import { errorMessage, type ErrorLanguage, type ErrorMessage } from "@kruzhok/errors";
import { correlationIdOf, requireActor } from "@kruzhok/http";
import { IMPORT_COLUMNS, MAX_IMPORT_ROWS, OPTIONAL_COLUMNS } from "../domain/child-import";
import { registryError } from "../domain/errors";
import { badRowsOf, findImport, importCounts, importsOf, type ChildImportRow } from "../store/child-imports";
import { homeMunicipality, officeRoles } from "../usecases/access";
import { startChildImport } from "../usecases/child-imports";
import type { RegistryDeps } from "../deps";
import { actingActor, actingFieldsIn } from "./acting";
import { IdParams } from "./schemas";

const tags = ["child imports"];

/** Base64 pieces: every text field of a request is bounded (20,000 characters, the http kit), a file is not. */
const PIECE = 16_000;
/** 5 MB of CSV as base64, and the JSON around it. */
const BODY_LIMIT = 8 * 1024 * 1024;

const columnsText = `${IMPORT_COLUMNS.map((c) => (OPTIONAL_COLUMNS.includes(c) ? `${c} (optional)` : c)).join(", ")}`;

const StartImport = z.strictObject({
  fileName: z.string().trim().min(1).max(200).describe("The file's name, as the office saved it"),
  content: z
    .array(z.string().max(PIECE).regex(/^[A-Za-z0-9+/=]*$/, "must be base64"))
    .min(1)
    .max(Math.ceil(BODY_LIMIT / PIECE))
    .describe(`The CSV file's bytes in base64, cut into pieces of at most ${PIECE} characters (joined in order before decoding)`),
});

const ImportQuery = z.strictObject({
  after: z.coerce.number().int().min(0).default(0).describe("Bad rows after this line"),
  limit: z.coerce.number().int().min(1).max(MAX_IMPORT_ROWS).default(1_000).describe("At most this many bad rows"),
});

const BadRowView = z.object({
  line: z.number().int().describe("The file's line the row starts on; the header is line 1"),
  field: z.string().nullable().describe("The column a rule refused; null when it is the row as a whole"),
  rule: z.string().describe("The rule's stable code: a registration's (REGISTRY.DOCUMENT_INVALID) or a field's (required, invalid_format, text)"),
  reason: z.string().describe("What is wrong, in the language asked for (Accept-Language)"),
});

const ChildImportView = z.object({
  id: z.uuid(),
  municipalityId: z.uuid(),
  fileName: z.string(),
  contentHash: z.string().describe("sha256 of the file: the same file imported again has the same"),
  status: z.enum(["processing", "done"]),
  total: z.number().int().describe("Rows of the file, the header not counted"),
  processed: z.number().int(),
  created: z.number().int().describe("Children registered by this import"),
  present: z.number().int().describe("Children already registered in the municipality (by document): nothing written"),
  bad: z.number().int().describe("Rows refused: see badRows"),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  badRows: BadRowView.array(),
});

/** A field rule's words (the registration rules' own codes have theirs in the registry's table). */
const rowRuleTexts: Record<string, ErrorMessage> = {
  required: { ru: "обязательное поле: заполните его", kk: "міндетті өріс: оны толтырыңыз" },
  invalid_format: { ru: "неверный формат", kk: "пішімі дұрыс емес" },
  invalid_value: { ru: "недопустимое значение: укажите одно из перечисленных на странице", kk: "рұқсат етілмеген мән: бетте көрсетілгендердің бірін жазыңыз" },
  invalid_type: { ru: "значение не того вида", kk: "мәннің түрі дұрыс емес" },
  too_small: { ru: "слишком коротко", kk: "тым қысқа" },
  too_big: { ru: "слишком длинно", kk: "тым ұзын" },
  custom: { ru: "должно содержать буквы", kk: "әріптер болуы керек" },
  text: {
    ru: "невидимый символ или буквы разных алфавитов в одном слове: наберите заново",
    kk: "көрінбейтін таңба немесе бір сөзде әртүрлі әліпби әріптері: қайта теріңіз",
  },
  cell_count: { ru: "ячеек больше, чем столбцов в заголовке", kk: "ұяшықтар тақырыптағы бағандардан көп" },
  unprocessable: { ru: "строку не удалось сохранить: проверьте её значения", kk: "жолды сақтау мүмкін болмады: оның мәндерін тексеріңіз" },
};

/**
 * The report's language from Accept-Language, as the kit's problem documents choose theirs:
 * Russian, Kazakh or English (the developer's), by preference weight.
 */
function languageOf(header: string | string[] | undefined): "en" | ErrorLanguage {
  const ranked = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((part, order) => {
      const [range = "", ...params] = part.trim().toLowerCase().split(";");
      const q = Number(params.find((p) => p.trim().startsWith("q="))?.trim().slice(2) ?? "1");
      return { language: range.split("-")[0] ?? "", q: Number.isFinite(q) ? q : 0, order };
    })
    .filter((entry) => entry.q > 0 && ["en", "ru", "kk"].includes(entry.language))
    .sort((a, b) => b.q - a.q || a.order - b.order);
  return (ranked[0]?.language as "en" | ErrorLanguage | undefined) ?? "en";
}

function reasonOf(row: { rule: string; message: string }, language: "en" | ErrorLanguage): string {
  if (language === "en") return row.message;
  return rowRuleTexts[row.rule]?.[language] ?? errorMessage(row.rule, language) ?? row.message;
}

/** A municipality's bulk import of children from a CSV file, and its progress and report. */
export const childImportRoutes: FastifyPluginAsync<RegistryDeps> = async (plain, deps) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const { pool } = deps;

  const view = async (found: ChildImportRow, language: "en" | ErrorLanguage, query: { after: number; limit: number }) => {
    const counts = await importCounts(pool, found.id);
    const badRows = await badRowsOf(pool, found.id, query.limit, query.after);
    return {
      id: found.id,
      municipalityId: found.municipalityId,
      fileName: found.fileName,
      contentHash: found.contentHash,
      status: counts.waiting > 0 ? ("processing" as const) : ("done" as const),
      total: found.total,
      processed: found.total - counts.waiting,
      created: counts.created,
      present: counts.present,
      bad: counts.bad,
      createdAt: found.createdAt.toISOString(),
      finishedAt: found.finishedAt?.toISOString() ?? null,
      badRows: badRows.map((row) => ({ line: row.line, field: row.field, rule: row.rule, reason: reasonOf(row, language) })),
    };
  };

  app.post(
    "/municipalities/:id/child-imports",
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        tags,
        operationId: "startChildImport", summary: "Start a bulk import of children from a CSV file (the municipality's office): rows are registered in the background; follow GET /child-imports/:id",
        description: `A UTF-8 CSV (comma or semicolon, quotes as spreadsheets write them), at most ${MAX_IMPORT_ROWS} rows after a header naming the columns: ${columnsText}. One row is one child and the guardian who brings it; a guardian is matched by document. documentKind: birth_certificate, snils, iin or passport; guardianDocumentKind: passport, snils or iin; birthDate YYYY-MM-DD or DD.MM.YYYY. Each row is registered as a single registration at the office would be (the same rules and trail; an operator's basis: Acting-Basis, else the import itself as a written request). A child already registered in the municipality (by document) is counted as present and nothing is written, so the same file imported twice registers nobody twice. Rows a rule refuses are reported by line with the column and the rule; the others are imported. Send an Idempotency-Key.`,
        params: IdParams,
        body: StartImport,
        response: { 201: ChildImportView },
      },
      config: { fieldsIn: actingFieldsIn },
    },
    async (request, reply) => {
      const content = Buffer.from(request.body.content.join(""), "base64");
      const started = await startChildImport(
        deps,
        actingActor(request),
        { municipalityId: request.params.id, fileName: request.body.fileName, content },
        { correlationId: correlationIdOf(request) },
      );
      return reply
        .code(201)
        .header("location", `/child-imports/${started.id}`)
        .send(await view(started, languageOf(request.headers["accept-language"]), { after: 0, limit: 1_000 }));
    },
  );

  app.get(
    "/child-imports/:id",
    {
      schema: {
        tags,
        operationId: "getChildImport", summary: "An import's progress (rows processed of the total; registered, already present, refused) and its refused rows by line (the municipality's office)",
        params: IdParams,
        querystring: ImportQuery,
        response: { 200: ChildImportView },
      },
    },
    async (request) => {
      const actor = requireRole(requireActor(request), ...officeRoles);
      const found = await findImport(pool, request.params.id);
      if (!found) throw registryError("IMPORT_NOT_FOUND", `no import ${request.params.id}`);
      requireMunicipality(actor, found.municipalityId);
      return view(found, languageOf(request.headers["accept-language"]), request.query);
    },
  );

  app.get(
    "/municipalities/:id/child-imports",
    {
      schema: {
        tags,
        operationId: "listChildImports", summary: "The municipality's latest imports of children, newest first, with their progress (its office)",
        params: IdParams,
        response: { 200: ChildImportView.omit({ badRows: true }).array() },
      },
    },
    async (request) => {
      const actor = requireRole(requireActor(request), ...officeRoles);
      requireMunicipality(actor, request.params.id);
      const language = languageOf(request.headers["accept-language"]);
      return Promise.all((await importsOf(pool, homeMunicipality(actor), 20)).map(async (found) => ({ ...(await view(found, language, { after: 0, limit: 1 })), badRows: undefined })));
    },
  );
};
