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

/**
 * The keys to suppress among `values` (a key absent from `counted` is never suppressed as
 * primary). `hidden`: cells already hidden and published so (a block's earlier days): they are
 * in the relations as unknowns and must stay undetermined, but are not chosen again; a cell
 * already published is left out of the relations altogether (it is a constant to a reader).
 * `constants`: cells a reader can work out from what was published before (a month whose days
 * are all shown): in the relations, never chosen as a complement.
 */
export function suppress(
  values: ReadonlyMap<string, number>,
  counted: ReadonlySet<string>,
  relations: readonly Relation[],
  minCell: number,
  hidden: ReadonlySet<string> = new Set(),
  constants: ReadonlySet<string> = new Set(),
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
  const components = new Map<string, { counted: Set<string>; hidden: Set<string>; relations: Relation[] }>();
  const componentOf = (key: string) => {
    const root = find(key);
    let component = components.get(root);
    if (!component) components.set(root, (component = { counted: new Set(), hidden: new Set(), relations: [] }));
    return component;
  };
  for (const key of counted) componentOf(key).counted.add(key);
  for (const key of hidden) componentOf(key).hidden.add(key);
  for (const relation of relations) componentOf(relation.total).relations.push(relation);
  const suppressed = new Set<string>();
  for (const component of components.values()) {
    for (const key of suppressComponent(values, component.counted, component.relations, minCell, component.hidden, constants)) suppressed.add(key);
  }
  return suppressed;
}

function suppressComponent(
  values: ReadonlyMap<string, number>,
  counted: ReadonlySet<string>,
  relations: readonly Relation[],
  minCell: number,
  already: ReadonlySet<string>,
  constants: ReadonlySet<string>,
): Set<string> {
  const primary = [...counted].sort().filter((key) => {
    const value = values.get(key) ?? 0;
    return value > 0 && value < minCell;
  });
  if (primary.length === 0 && already.size === 0) return new Set();
  const ordered = [...relations].map((r) => ({ total: r.total, parts: [...r.parts].sort() })).sort((a, b) => (a.total < b.total ? -1 : a.total > b.total ? 1 : 0));
  const membersOf = ordered.map((r) => [r.total, ...r.parts]);
  const relationsOf = new Map<string, number[]>();
  for (const [i, members] of membersOf.entries()) {
    for (const key of new Set(members)) {
      const list = relationsOf.get(key);
      if (list) list.push(i);
      else relationsOf.set(key, [i]);
    }
  }
  // Every cell hidden is a column added to the system the relations make over the hidden cells.
  const system = new HiddenSystem((key) => {
    const column = new Map<number, number>();
    for (const i of relationsOf.get(key) ?? []) {
      const relation = ordered[i]!;
      let coefficient = relation.total === key ? 1 : 0;
      for (const part of relation.parts) if (part === key) coefficient -= 1;
      if (coefficient !== 0) column.set(i, coefficient);
    }
    return column;
  });
  const suppressed = new Set<string>();
  const hide = (key: string) => {
    suppressed.add(key);
    system.add(key);
  };
  for (const key of [...already].sort()) hide(key);
  for (const key of primary) hide(key);
  const valueOf = (key: string) => values.get(key) ?? 0;
  const pick = (members: readonly string[]): string | undefined => {
    let best: string | undefined;
    for (const key of members) {
      if (suppressed.has(key) || constants.has(key)) continue;
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
          hide(complement);
          changed = true;
        }
      }
    }
    const determined = [...suppressed].filter((key) => !system.free.has(key)).sort();
    if (determined.length === 0) return suppressed;
    // Each pinned cell: hide one more member of the nearest relation that still shows one,
    // nearest through relations whose members are all hidden already (they chain the pin).
    // All pins of a round at once, then the system is solved again.
    for (const pinned of determined) {
      const complement = nearestComplement(pinned, membersOf, relationsOf, suppressed, pick);
      if (complement !== undefined) {
        hide(complement);
        continue;
      }
      // Nothing left to hide near it: every relation it is in is hidden whole, or the rest of
      // it was published before (a block's earlier days). Hiding every cell of the component
      // that may still be hidden leaves the earlier cells' relations as they were published,
      // where none was determined (domain/cells.ts, the month's stage).
      const rest = [...new Set(membersOf.flat())].filter((key) => !suppressed.has(key) && !constants.has(key)).sort();
      if (rest.length === 0) throw new Error(`suppression cannot hide ${pinned}`);
      for (const key of rest) hide(key);
      break;
    }
  }
  throw new Error("suppression did not converge");
}

/**
 * The relations restricted to the hidden cells, kept as a hidden cell is added (a column), so a
 * round does not solve the whole system again. A hidden cell is pinned down exactly when every
 * solution of the homogeneous system leaves it unmoved (its unit vector lies in the rows' span,
 * which is the complement of the null space); `free` holds the cells some null vector moves.
 * A column that the earlier columns span gives one new null vector (its combination of them),
 * and the null space grows by exactly that vector; a column they do not span adds none. So
 * `free` only grows, and equals what `determinedCells` finds from scratch, whatever the order
 * the cells are added in (the unit tests hold one against the other).
 * Measured on a benchmark block (4,840 cells, ~950 hidden): ~50 rounds of solving from scratch
 * took 300-400 ms of a publisher round; see BENCHMARKS.md (issue #16).
 */
class HiddenSystem {
  readonly free = new Set<string>();
  /** The hidden columns, reduced, by pivot relation. */
  private readonly basis = new ReducedVectors();
  /** Per basis vector (by its pivot), the hidden cells it combines. */
  private readonly combinations = new Map<number, Map<string, number>>();

  constructor(private readonly columnOf: (key: string) => Map<number, number>) {}

  add(key: string): void {
    const values = this.columnOf(key);
    const combination = new Map([[key, 1]]);
    this.basis.reduce(values, (pivot, coefficient) => subtractFrom(combination, this.combinations.get(pivot)!, coefficient));
    if (values.size === 0) {
      for (const cell of combination.keys()) this.free.add(cell);
      return;
    }
    const pivot = this.basis.insert(
      values,
      (scale) => {
        for (const [cell, c] of combination) combination.set(cell, c / scale);
      },
      (other, coefficient) => subtractFrom(this.combinations.get(other)!, combination, coefficient),
    );
    this.combinations.set(pivot, combination);
  }
}

/**
 * Sparse vectors kept fully reduced, each by its pivot (its smallest index, scaled to 1 there,
 * zero at every other vector's pivot): Gauss-Jordan elimination one vector at a time, for
 * `determinedCells` (rows) and `HiddenSystem` (columns).
 */
class ReducedVectors {
  readonly vectors = new Map<number, Map<number, number>>();
  /** Index -> the pivots whose vector is non-zero there (not at their own pivot): the vectors a new pivot must leave, found without a scan. */
  private readonly holders = new Map<number, Set<number>>();

  /** `vector` minus the kept vectors at its pivots (one pass: they are zero at each other's); `each` hears every subtraction. */
  reduce(vector: Map<number, number>, each?: (pivot: number, coefficient: number) => void): void {
    for (const k of [...vector.keys()]) {
      const coefficient = vector.get(k);
      const kept = this.vectors.get(k);
      if (coefficient === undefined || !kept) continue;
      this.subtract(vector, null, kept, coefficient);
      each?.(k, coefficient);
    }
  }

  /**
   * Keep a reduced, non-zero `vector`, scaled in place (`scaled` hears by what), and make every
   * kept vector leave its pivot (`each` hears each: its pivot, the multiple of the scaled new
   * vector taken from it). Returns the new vector's pivot.
   */
  insert(vector: Map<number, number>, scaled?: (scale: number) => void, each?: (other: number, coefficient: number) => void): number {
    let pivot = Infinity;
    for (const k of vector.keys()) if (k < pivot) pivot = k;
    const scale = vector.get(pivot)!;
    for (const [k, c] of vector) vector.set(k, c / scale);
    scaled?.(scale);
    for (const other of [...(this.holders.get(pivot) ?? [])]) {
      const kept = this.vectors.get(other)!;
      const coefficient = kept.get(pivot)!;
      this.subtract(kept, other, vector, coefficient);
      each?.(other, coefficient);
    }
    this.holders.delete(pivot);
    this.vectors.set(pivot, vector);
    for (const k of vector.keys()) if (k !== pivot) this.hold(k, pivot);
    return pivot;
  }

  private hold(index: number, pivot: number): void {
    const set = this.holders.get(index);
    if (set) set.add(pivot);
    else this.holders.set(index, new Set([pivot]));
  }

  /** target -= factor * source, keeping `holders` right when target is the kept vector of `owner`. */
  private subtract(target: Map<number, number>, owner: number | null, source: ReadonlyMap<number, number>, factor: number): void {
    for (const [k, c] of source) {
      const had = target.has(k);
      const next = (target.get(k) ?? 0) - factor * c;
      if (Math.abs(next) < EPSILON) {
        target.delete(k);
        if (had && owner !== null) this.holders.get(k)?.delete(owner);
      } else {
        target.set(k, next);
        if (!had && owner !== null) this.hold(k, owner);
      }
    }
  }
}

function subtractFrom<K>(target: Map<K, number>, source: ReadonlyMap<K, number>, factor: number): void {
  for (const [k, c] of source) {
    const next = (target.get(k) ?? 0) - factor * c;
    if (Math.abs(next) < EPSILON) target.delete(k);
    else target.set(k, next);
  }
}

function nearestComplement(
  start: string,
  membersOf: readonly (readonly string[])[],
  relationsOf: ReadonlyMap<string, readonly number[]>,
  suppressed: ReadonlySet<string>,
  pick: (members: readonly string[]) => string | undefined,
): string | undefined {
  const seen = new Set([start]);
  let frontier = [start];
  const used = new Set<number>();
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const cell of frontier) {
      for (const i of relationsOf.get(cell) ?? []) {
        if (used.has(i)) continue;
        used.add(i);
        const members = membersOf[i]!;
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
 * cell is pinned down exactly when a row of the fully reduced system names it alone (then, and
 * only then, its unit vector lies in the rows' span).
 *
 * Solved from scratch, here; suppression keeps the same answer up to date a cell at a time
 * (HiddenSystem), and the tests hold each against the other. Cells are numbered and the system
 * is split into the groups of suppressed cells that relations link (a relation names the
 * suppressed cells of one group only, so each group is solved alone with the same answer).
 */
export function determinedCells(suppressed: ReadonlySet<string>, relations: readonly Relation[]): string[] {
  const keys = [...suppressed].sort();
  const indexOf = new Map(keys.map((key, i) => [key, i]));
  const parent = Int32Array.from(keys, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const systems = new Map<number, Map<number, number>[]>();
  const rows: Map<number, number>[] = [];
  for (const relation of relations) {
    const row = new Map<number, number>();
    const add = (key: string, coefficient: number) => {
      const i = indexOf.get(key);
      if (i === undefined) return;
      const next = (row.get(i) ?? 0) + coefficient;
      if (Math.abs(next) < EPSILON) row.delete(i);
      else row.set(i, next);
    };
    add(relation.total, 1);
    for (const part of relation.parts) add(part, -1);
    if (row.size === 0) continue;
    rows.push(row);
    const [first, ...rest] = row.keys();
    for (const i of rest) {
      const [a, b] = [find(first!), find(i)];
      if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
    }
  }
  for (const row of rows) {
    const root = find(row.keys().next().value!);
    const system = systems.get(root);
    if (system) system.push(row);
    else systems.set(root, [row]);
  }
  const determined: string[] = [];
  for (const system of systems.values()) for (const i of reduced(system)) determined.push(keys[i]!);
  return determined.sort();
}

/** Gauss-Jordan over sparse rows (consumed); the pivots whose reduced row names them alone. */
function reduced(rows: readonly Map<number, number>[]): number[] {
  const system = new ReducedVectors();
  for (const row of rows) {
    system.reduce(row);
    if (row.size > 0) system.insert(row);
  }
  const determined: number[] = [];
  for (const [pivot, row] of system.vectors) if (row.size === 1) determined.push(pivot);
  return determined;
}
