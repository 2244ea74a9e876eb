/**
 * A page of rows in id order, read with one row more than asked: that row tells whether another
 * page follows, and the page's last id is where the next one starts (ids are time-ordered uuids,
 * so the id is the cursor).
 */
export function pageByIdOf<T extends { id: string }>(rows: readonly T[], limit: number): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
}
