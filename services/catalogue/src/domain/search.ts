import { catalogueError } from "./errors";

/**
 * Navigator ordering: near a point by distance, with a text query by relevance, otherwise by
 * id (ids are UUID v7, so that is the order programs were created in). Ties break by id, so
 * the order is total and a cursor after (key, id) is stable under inserts.
 */
export type SearchOrder = "distance" | "relevance" | "id";

export interface Cursor {
  order: SearchOrder;
  /** Sort key of the last row (metres, or negated rank); absent for id order. */
  key: number | null;
  id: string;
}

/** Opaque to clients: base64url JSON. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.order, cursor.key, cursor.id])).toString("base64url");
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function decodeCursor(text: string, order: SearchOrder): Cursor {
  const invalid = () => catalogueError("CURSOR_INVALID", "the cursor is not one this search returned; start again without it", { field: "cursor" });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw invalid();
  const [mode, key, id] = parsed as unknown[];
  if (mode !== order || typeof id !== "string" || !UUID.test(id)) throw invalid();
  if (order === "id" ? key !== null : typeof key !== "number" || !Number.isFinite(key)) throw invalid();
  return { order, key: key as number | null, id };
}

/**
 * The words of a free-text query, for a prefix match in the 'simple' configuration: Kazakh is
 * agglutinative and has no stemmer in Postgres, so «үйірме» should find «үйірмесі». Only
 * letters and digits survive, so the result is always a valid tsquery.
 */
export function prefixQuery(text: string): string | null {
  const words = (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 8);
  return words.length > 0 ? words.map((word) => `${word}:*`).join(" & ") : null;
}
