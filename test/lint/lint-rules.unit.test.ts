import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { beforeAll, describe, expect, it } from "vitest";

// The house rules of eslint.config.js that keep HTTP out of use cases and rules, and SQL in
// store/, run on snippets as if they were files of a service. The files do not exist: the
// project service types them with the repository's tsconfig (its `include` lists only files on
// disk, so they are allowed into its default project by name).
const root = fileURLToPath(new URL("../..", import.meta.url));
const at = (part: string) => `services/registry/src/${part}/lint-rule-fixture.ts`;
const fixtures = [at("usecases"), at("domain"), at("http"), at("store"), at("messaging/handlers")];

let eslint: ESLint;
beforeAll(async () => {
  eslint = new ESLint({
    cwd: root,
    overrideConfig: { languageOptions: { parserOptions: { projectService: { allowDefaultProject: fixtures, defaultProject: "tsconfig.json" } } } },
  });
  // The first file builds the TypeScript program (seconds on a busy machine); the tests then take their time alone.
  await eslint.lintText("export {};\n", { filePath: `${root}/${at("store")}` });
}, 120_000);

/** The rules that fired on `code` as the file `filePath`, with the line of each. */
async function firedOn(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}/${filePath}` });
  if (!result) throw new Error(`ESLint returned nothing for ${filePath}`);
  return result.messages.map((message) => `${message.ruleId ?? message.message}:${message.line}`);
}

describe("use cases and rules know nothing of HTTP", () => {
  const importsHttp = [
    'import type { HttpApp } from "@kruzhok/http";',
    'import type { FastifyReply } from "fastify";',
    'import type { ZodTypeProvider } from "fastify-type-provider-zod";',
    'import type { FastifyCorsOptions } from "@fastify/cors";',
    'import type { Actor } from "@kruzhok/actor";',
    'import type { Queryable } from "@kruzhok/postgres";',
    "export type Deps = [HttpApp, FastifyReply, ZodTypeProvider, FastifyCorsOptions, Actor, Queryable];",
    "",
  ].join("\n");

  it("refuses the http kit, fastify and its plugins in a use case, and lets it take an actor and a transaction", async () => {
    const fired = await firedOn(importsHttp, at("usecases"));
    expect(fired).toEqual(expect.arrayContaining(["no-restricted-imports:1", "no-restricted-imports:2", "no-restricted-imports:3", "no-restricted-imports:4"]));
    expect(fired).not.toContain("no-restricted-imports:5");
    expect(fired).not.toContain("no-restricted-imports:6");
  });

  it("refuses them in domain/ too, beside I/O", async () => {
    const fired = await firedOn(importsHttp, at("domain"));
    expect(fired).toEqual(expect.arrayContaining(["no-restricted-imports:1", "no-restricted-imports:2", "no-restricted-imports:3", "no-restricted-imports:4", "no-restricted-imports:6"]));
  });

  it("lets a route import them", async () => {
    expect((await firedOn(importsHttp, at("http"))).filter((rule) => rule.startsWith("no-restricted-imports"))).toEqual([]);
  });
});

describe("SQL lives in store/", () => {
  const queries = [
    'export const find = "SELECT id FROM groups WHERE id = $1";',
    "export const change = (table: string) => `",
    "  UPDATE ${table} SET seen = true`;",
    'export const prose = "Select a group; with a seat, update the form";',
    "",
  ].join("\n");

  it("refuses SQL in a route and in a consumer, string or template, and leaves prose alone", async () => {
    for (const part of ["http", "messaging/handlers"]) {
      expect(await firedOn(queries, at(part)), part).toEqual(["no-restricted-syntax:1", "no-restricted-syntax:2"]);
    }
  });

  it("lets store/ hold it", async () => {
    expect(await firedOn(queries, at("store"))).toEqual([]);
  });
});
