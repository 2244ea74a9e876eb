import { categoryName, children, type FamilyLanguage } from "@kruzhok/i18n";

/**
 * The queue's order, one rule for Postgres, Redis and tests:
 *   1. the child's best social category by the municipality's order (rank 0 first; children
 *      with no category rank after every category),
 *   2. then the moment the server accepted the application, in microseconds: the instant the
 *      database assigned as the last statement of the submitting transaction, under a lock on
 *      the group held until COMMIT, so the order of these instants is the order in which
 *      applications became visible (never a number handed out before commit),
 *   3. then, for two applications accepted in the same microsecond, the application id
 *      compared as text (UUID v7, lower case): deterministic and known to both stores.
 *
 * In Redis every member has score 0 and the member itself encodes the key in fixed width, so
 * the sorted set's lexicographic order is exactly this order (no float rounding: a score could
 * not hold rank and microseconds exactly in 53 bits).
 */
export interface QueueKey {
  categoryRank: number;
  /** Microseconds since the Unix epoch. */
  acceptedAtMicros: number;
  applicationId: string;
}

const RANK_WIDTH = 2;
const MICROS_WIDTH = 17;
/** Up to 12 categories (ranks 0-11) plus "none"; two digits leave room. */
export const MAX_RANK = 99;

export function queueMember(key: QueueKey): string {
  if (!Number.isInteger(key.categoryRank) || key.categoryRank < 0 || key.categoryRank > MAX_RANK) {
    throw new RangeError(`category rank ${key.categoryRank} outside 0-${MAX_RANK}`);
  }
  if (!Number.isSafeInteger(key.acceptedAtMicros) || key.acceptedAtMicros < 0) {
    throw new RangeError(`accepted-at ${key.acceptedAtMicros} is not a whole number of microseconds`);
  }
  const rank = String(key.categoryRank).padStart(RANK_WIDTH, "0");
  const micros = String(key.acceptedAtMicros).padStart(MICROS_WIDTH, "0");
  return `${rank}:${micros}:${key.applicationId.toLowerCase()}`;
}

export function parseQueueMember(member: string): QueueKey {
  const [rank, micros, applicationId] = member.split(":");
  if (rank === undefined || micros === undefined || applicationId === undefined) throw new RangeError(`not a queue member: ${member}`);
  return { categoryRank: Number(rank), acceptedAtMicros: Number(micros), applicationId };
}

/** The lexicographic range of one category rank, for ZLEXCOUNT: `[07:` to `(08:`. */
export function rankRange(rank: number): { min: string; max: string } {
  return { min: `[${String(rank).padStart(RANK_WIDTH, "0")}:`, max: `(${String(rank + 1).padStart(RANK_WIDTH, "0")}:` };
}

/** The best (lowest) rank among the child's categories in the municipality's order; `order.length` for none. */
export function bestCategory(order: readonly string[], childCategories: readonly string[]): { code: string | null; rank: number } {
  let best = order.length;
  for (const code of childCategories) {
    const index = order.indexOf(code);
    if (index >= 0 && index < best) best = index;
  }
  return { code: best < order.length ? (order[best] ?? null) : null, rank: best };
}

export interface PositionCounts {
  /** 1-based position in the whole queue. */
  position: number;
  total: number;
  /** Ahead of the child, by higher category rank. */
  aheadByRank: ReadonlyMap<number, number>;
  /** Ahead in the child's own category (applied earlier). */
  aheadInCategory: number;
  inCategory: number;
}

export interface PositionView {
  position: number;
  total: number;
  /** null where the reader is not told children's categories (the provider). */
  category: { code: string | null; rank: number; of: number } | null;
  aheadWithHigherCategories: number;
  /** Per higher category, the children ahead; `null` where the count is small enough to single children out. */
  aheadByCategory: { code: string; ahead: number | null }[];
  aheadInOwnCategoryAppliedEarlier: number;
  /** Children in the family's own category; `null` when small (see `aheadByCategory`). */
  inOwnCategory: number | null;
  explanation: string;
}

/** Counts of children by social category below this are not shown (they could single a child out). */
export const DEFAULT_SMALL_CELL_THRESHOLD = 10;

/**
 * Per-category counts as they may be shown: a count below `threshold` is withheld (`null`), and
 * when only one is, the next smallest is too, so that none can be worked out from the total.
 */
export function suppressSmallCells(cells: { code: string; ahead: number }[], threshold: number): { code: string; ahead: number | null }[] {
  const small = new Set(cells.filter((c) => c.ahead < threshold).map((c) => c.code));
  if (small.size === 1 && cells.length > 1) {
    const next = cells.filter((c) => !small.has(c.code)).sort((a, b) => a.ahead - b.ahead)[0];
    if (next) small.add(next.code);
  }
  return cells.map((c) => ({ code: c.code, ahead: small.has(c.code) ? null : c.ahead }));
}

/**
 * What a guardian reads: the position, and why (the municipality's category order, and who is
 * ahead). Counts of children by category below `threshold` are withheld: a family must not learn
 * that two children with a disability wait ahead of it. The explanation is in Russian here; the
 * route words it in the family's language (`positionSentence`).
 */
export function explainPosition(
  order: readonly string[],
  own: { code: string | null; rank: number },
  counts: PositionCounts,
  threshold: number = DEFAULT_SMALL_CELL_THRESHOLD,
): PositionView {
  const byCategory = [...counts.aheadByRank.entries()]
    .filter(([rank, ahead]) => rank < own.rank && ahead > 0)
    .sort(([a], [b]) => a - b)
    .map(([rank, ahead]) => ({ code: order[rank] ?? `rank_${rank}`, ahead }));
  const higher = byCategory.reduce((sum, entry) => sum + entry.ahead, 0);
  const view = {
    position: counts.position,
    total: counts.total,
    category: { code: own.code, rank: own.rank, of: order.length },
    aheadWithHigherCategories: higher,
    aheadByCategory: suppressSmallCells(byCategory, threshold),
    aheadInOwnCategoryAppliedEarlier: counts.aheadInCategory,
    // Without a category, the children in it are everyone else without one: no one's category.
    inOwnCategory: own.code !== null && counts.inCategory < threshold ? null : counts.inCategory,
  };
  return { ...view, explanation: positionSentence(view, "ru") };
}

/**
 * The position as a sentence in the family's language, with the category's human name and its
 * place in the municipality's order. Without `category` (the provider's view) only the place.
 */
export function positionSentence(v: Omit<PositionView, "explanation" | "aheadByCategory" | "inOwnCategory">, language: FamilyLanguage): string {
  const ru = language === "ru";
  const place = ru ? `Место в очереди: ${v.position} из ${v.total}.` : `Кезектегі орын: ${v.total} ішінен ${v.position}-орын.`;
  if (v.category === null) return place;
  const { code, rank, of } = v.category;
  const yours = code === null
    ? ru
      ? "Льготной категории нет: такие заявления стоят после всех льготных."
      : "Жеңілдік санатыңыз жоқ: мұндай өтініштер барлық жеңілдік санаттарынан кейін тұрады."
    : ru
      ? `Ваша льготная категория — ${categoryName(code, language)} (${rank + 1}-я из ${of} в порядке муниципалитета).`
      : `Жеңілдік санатыңыз — ${categoryName(code, language)} (муниципалитет тізімінде ${rank + 1}-орын, барлығы ${of} санат).`;
  const higher = children(v.aheadWithHigherCategories, language);
  const earlier = children(v.aheadInOwnCategoryAppliedEarlier, language);
  const ahead = ru
    ? `Впереди вас: ${higher} с более высокими категориями и ${earlier} ${code === null ? "без категории" : "вашей категории"} с более ранним заявлением.`
    : `Сізден алда: жоғары санаттағы ${higher} және өтінішін ертерек берген ${code === null ? "санатсыз" : "сіздің санатыңыздағы"} ${earlier}.`;
  return `${place} ${yours} ${ahead}`;
}
