import { createConfig, lintFromString, type NormalizedProblem } from "@redocly/openapi-core";

/** Redocly's recommended rules over one document: every problem, errors and warnings alike, as lines. */
export async function redoclyProblems(source: string, name: string): Promise<string[]> {
  const config = await createConfig({ extends: ["recommended"] });
  const problems: NormalizedProblem[] = await lintFromString({ source, absoluteRef: `${name}.json`, config });
  return problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location.map((l) => l.pointer ?? "").join(", ")}`);
}
