import { expect } from "vitest";

/** An injected response, as Fastify's inject returns it (only what the check reads). */
export interface InjectedAnswer {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  json(): unknown;
}

/**
 * Duplicates sent together under one `Idempotency-Key`: exactly one ran (201, not replayed);
 * every other got 409 `HTTP.IDEMPOTENCY_IN_PROGRESS` or the first answer replayed. Returns the one that ran.
 */
export function expectOneRunAmongDuplicates<R extends InjectedAnswer>(responses: readonly R[]): R {
  const firsts = responses.filter((r) => r.statusCode === 201 && r.headers["idempotent-replayed"] === undefined);
  expect(firsts).toHaveLength(1);
  for (const response of responses) {
    if (response === firsts[0]) continue;
    if (response.statusCode === 409) expect(response.json()).toMatchObject({ code: "HTTP.IDEMPOTENCY_IN_PROGRESS" });
    else expect([response.statusCode, response.headers["idempotent-replayed"], response.body]).toEqual([201, "true", firsts[0]!.body]);
  }
  return firsts[0]!;
}
