/**
 * Small-cell suppression with complementary suppression, over a set of published cells and the
 * linear relations between them that a reader knows: a total is the sum of its row, its column,
 * the region's cell the sum of its municipalities', a month's flow the sum of its days, a
 * month's stock its last day's. A cell counting fewer than `minCell` children (and more than
 * none) is suppressed (primary); then, until nothing changes:
 *
 * 1. every relation with exactly one suppressed member gets a second one (the smallest non-zero
 *    member, ties by key), so that no single difference gives a suppressed cell back;
 * 2. the whole system is solved for the suppressed cells (Gauss-Jordan elimination over every
 *    relation at once): a suppressed cell that a combination of relations pins down exactly
 *    gets another member of one of its relations suppressed.
 *
 * Pure and deterministic: the same cells and relations give the same suppressed set, whatever
 * order they come in (every choice is by value, then by key).
 */

export interface Relation {
  total: string;
  parts: readonly string[];
}

const EPSILON = 1e-9;

/** The keys to suppress among `values` (a key absent from `counted` is never suppressed as primary). */
export function suppress(
  values: ReadonlyMap<string, number>,
  counted: ReadonlySet<string>,
  relations: readonly Relation[],
  minCell: number,
): Set<string> {
  // Cells that no chain of relations links are decided apart: the same answer (a complement
  // always comes from a relation of the cell it protects), and far smaller systems to solve
  // (a day's certificates do not relate to another day's, only the last day's to the month's).
  const parent = new Map<string, string>();
  const find = (key: string): string => {
    let root = key;
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root)!;
    let node = key;
    while (node !== root) {
      const next = parent.get(node)!;
      parent.set(node, root);
      node = next;
    }
    return root;
  };
  const union = (a: string, b: string) => {
    const [ra, rb] = [find(a), find(b)];
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  };
  for (const relation of relations) for (const part of relation.parts) union(relation.total, part);
  const components = new Map<string, { counted: Set<string>; relations: Relation[] }>();
  const componentOf = (key: string) => {
    const root = find(key);
    let component = components.get(root);
    if (!component) components.set(root, (component = { counted: new Set(), relations: [] }));
    return component;
  };
  for (const key of counted) componentOf(key).counted.add(key);
  for (const relation of relations) componentOf(relation.total).relations.push(relation);
  const suppressed = new Set<string>();
  for (const component of components.values()) {
    for (const key of suppressComponent(values, component.counted, component.relations, minCell)) suppressed.add(key);
  }
  return suppressed;
}

function suppressComponent(
  values: ReadonlyMap<string, number>,
  counted: ReadonlySet<string>,
  relations: readonly Relation[],
  minCell: number,
): Set<string> {
  const suppressed = new Set<string>();
  for (const key of [...counted].sort()) {
    const value = values.get(key) ?? 0;
    if (value > 0 && value < minCell) suppressed.add(key);
  }
  if (suppressed.size === 0) return suppressed;
  const ordered = [...relations].map((r) => ({ total: r.total, parts: [...r.parts].sort() })).sort((a, b) => (a.total < b.total ? -1 : a.total > b.total ? 1 : 0));
  const membersOf = ordered.map((r) => [r.total, ...r.parts]);
  const valueOf = (key: string) => values.get(key) ?? 0;
  const pick = (members: readonly string[]): string | undefined => {
    let best: string | undefined;
    for (const key of members) {
      if (suppressed.has(key)) continue;
      if (best === undefined) {
        best = key;
        continue;
      }
      const [v, b] = [valueOf(key), valueOf(best)];
      // Non-zero before zero (a suppressed zero hides little), then smaller, then by key.
      const rank = (x: number) => (x > 0 ? 0 : 1);
      if (rank(v) < rank(b) || (rank(v) === rank(b) && (v < b || (v === b && key < best)))) best = key;
    }
    return best;
  };
  for (let round = 0; round < 10_000; round++) {
    let changed = true;
    while (changed) {
      changed = false;
      for (const members of membersOf) {
        let count = 0;
        for (const key of members) if (suppressed.has(key)) count++;
        if (count !== 1) continue;
        const complement = pick(members);
        if (complement !== undefined) {
          suppressed.add(complement);
          changed = true;
        }
      }
    }
    const determined = determinedCells(suppressed, ordered);
    if (determined.length === 0) return suppressed;
    // Each pinned cell: hide one more member of the nearest relation that still shows one,
    // nearest through relations whose members are all hidden already (they chain the pin).
    // All pins of a round at once, then the system is solved again.
    for (const pinned of determined) {
      const complement = nearestComplement(pinned, membersOf, suppressed, pick);
      if (complement === undefined) throw new Error(`suppression cannot hide ${pinned}`);
      suppressed.add(complement);
    }
  }
  throw new Error("suppression did not converge");
}

function nearestComplement(
  start: string,
  membersOf: readonly (readonly string[])[],
  suppressed: ReadonlySet<string>,
  pick: (members: readonly string[]) => string | undefined,
): string | undefined {
  const seen = new Set([start]);
  let frontier = [start];
  const used = new Set<number>();
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const cell of frontier) {
      for (const [i, members] of membersOf.entries()) {
        if (used.has(i) || !members.includes(cell)) continue;
        used.add(i);
        const complement = pick(members);
        if (complement !== undefined) return complement;
        for (const member of members) {
          if (seen.has(member) || !suppressed.has(member)) continue;
          seen.add(member);
          next.push(member);
        }
      }
    }
    frontier = next;
  }
  return undefined;
}

/**
 * The suppressed cells whose value follows exactly from the published ones through the
 * relations: Gauss-Jordan elimination over the relations restricted to the suppressed cells; a
 * cell is pinned down exactly when a row of the reduced system names it alone.
 */
export function determinedCells(suppressed: ReadonlySet<string>, relations: readonly Relation[]): string[] {
  const pivots = new Map<string, Map<string, number>>(); // pivot cell -> its reduced row
  for (const relation of relations) {
    const row = new Map<string, number>();
    const add = (key: string, coefficient: number) => {
      if (!suppressed.has(key)) return;
      const next = (row.get(key) ?? 0) + coefficient;
      if (Math.abs(next) < EPSILON) row.delete(key);
      else row.set(key, next);
    };
    add(relation.total, 1);
    for (const part of relation.parts) add(part, -1);
    if (row.size === 0) continue;
    // Reduce by the pivots found so far.
    for (const key of [...row.keys()]) {
      const coefficient = row.get(key);
      const pivotRow = pivots.get(key);
      if (coefficient === undefined || !pivotRow) continue;
      for (const [k, c] of pivotRow) {
        const next = (row.get(k) ?? 0) - coefficient * c;
        if (Math.abs(next) < EPSILON) row.delete(k);
        else row.set(k, next);
      }
    }
    if (row.size === 0) continue;
    const pivot = [...row.keys()].sort()[0]!;
    const scale = row.get(pivot)!;
    for (const [k, c] of row) row.set(k, c / scale);
    // Keep the system reduced: the new pivot leaves every other row.
    for (const other of pivots.values()) {
      const coefficient = other.get(pivot);
      if (coefficient === undefined) continue;
      for (const [k, c] of row) {
        const next = (other.get(k) ?? 0) - coefficient * c;
        if (Math.abs(next) < EPSILON) other.delete(k);
        else other.set(k, next);
      }
    }
    pivots.set(pivot, row);
  }
  const determined: string[] = [];
  for (const [pivot, row] of pivots) if (row.size === 1) determined.push(pivot);
  return determined.sort();
}
