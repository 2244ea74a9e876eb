import { createConfig, lintFromString, type NormalizedProblem } from "@redocly/openapi-core";

/**
 * Redocly's recommended rules over one document: every problem, errors and warnings alike, as
 * lines. One rule more than recommended: the examples given in schemas (zod's `.meta({ examples
 * })`) must satisfy them, or a client's author copies a request that is refused.
 */
export async function redoclyProblems(source: string, name: string): Promise<string[]> {
  const config = await createConfig({ extends: ["recommended"], rules: { "no-invalid-schema-examples": "error" } });
  const problems: NormalizedProblem[] = await lintFromString({ source, absoluteRef: `${name}.json`, config });
  return problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location.map((l) => l.pointer ?? "").join(", ")}`);
}
