import { describe, expect, it } from "vitest";
import { computeBlock, type BlockInput, type Cell, type DaySum } from "../src/domain/cells";
import { determinedCells, suppress } from "../src/domain/suppression";

// An attacker who holds every published cell of a block and knows how they relate (rows,
// columns and totals; region = sum of its municipalities; a month's flow = sum of its days, a
// month's stock = its last day; coverage = the certificates' total) tries to recover the
// suppressed cells: first by differencing one relation at a time, repeatedly (a recovered cell
// helps with the next), then by solving every relation at once. It must fail on what statistics
// publishes, and succeed on primary suppression alone (or the test would prove nothing). Amounts
// of money are attacked the same way: their own relations, their own cells.

const MONEY = new Map([
  ["money.committed", "money.committed.count"],
  ["money.reserved", "money.reserved.count"],
  ["money.spent", "bills"],
  ["money.family", "bills"],
  ["money.benefits", "bills"],
]);
const CHILDREN = new Set(["certificates", "coverage.certified", "coverage.enrolled", "enrollments", "queue.length", "offers", "attendance.marks", "attendance.lessons", "money.committed.count", "money.reserved.count", "financing.queued", "bills"]);
const COUNTS = new Set([...CHILDREN, ...MONEY.keys(), "providers"]);
const FLOWS = new Set(["offers", "attendance.marks", "attendance.lessons", "money.committed", "money.committed.count", "bills", "money.spent", "money.family", "money.benefits"]);

const key = (c: Pick<Cell, "scope" | "municipalityId" | "regionCode" | "period" | "start" | "measure" | "dims">) =>
  `${c.scope}|${c.scope === "region" ? c.regionCode : c.municipalityId}|${c.period}|${c.start}|${c.measure}|${Object.entries(c.dims)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(";")}`;

interface Equation {
  total: string;
  parts: string[];
}

/** The relations a reader can tell from the published cells' names alone. */
function relationsOf(cells: readonly Cell[]): Equation[] {
  const counted = cells.filter((c) => COUNTS.has(c.measure));
  const keys = new Set(counted.map(key));
  const equations: Equation[] = [];
  // Rows, columns and grand totals of two-way tables.
  for (const c of counted) {
    const dims = Object.keys(c.dims);
    if (dims.length !== 2) continue;
    for (const [i, dim] of dims.entries()) {
      if (c.dims[dim] !== "*") continue;
      const other = dims[1 - i]!;
      const parts = counted.filter(
        (p) => p.scope === c.scope && p.municipalityId === c.municipalityId && p.period === c.period && p.start === c.start && p.measure === c.measure && p.dims[other] === c.dims[other] && p.dims[dim] !== "*",
      );
      if (parts.length > 0) equations.push({ total: key(c), parts: parts.map(key) });
    }
  }
  for (const c of counted) {
    if (c.measure === "coverage.certified") {
      const total = key({ ...c, measure: "certificates", dims: { status: "*", ageBand: "*" } });
      if (keys.has(total)) equations.push({ total: key(c), parts: [total] });
    }
    if (c.scope === "region") {
      const parts = counted.filter((p) => p.scope === "municipality" && p.regionCode === c.regionCode && p.period === c.period && p.start === c.start && p.measure === c.measure && key({ ...p, scope: "region" }) === key(c));
      equations.push({ total: key(c), parts: parts.map(key) });
    }
    if (c.period === "month") {
      const days = counted.filter((p) => p.period === "day" && p.scope === c.scope && p.municipalityId === c.municipalityId && p.measure === c.measure && key({ ...p, period: "month", start: c.start }) === key(c));
      if (days.length === 0) continue; // a month-only measure
      if (FLOWS.has(c.measure)) equations.push({ total: key(c), parts: days.map(key) });
      else {
        const last = days.sort((a, b) => (a.start < b.start ? 1 : -1))[0];
        if (last) equations.push({ total: key(c), parts: [key(last)] });
      }
    }
  }
  return equations;
}

/** What the attacker recovers: suppressed cells whose values follow from the published ones. */
function attack(cells: readonly Cell[]): Map<string, number> {
  const known = new Map<string, number>();
  const hidden = new Set<string>();
  for (const c of cells) {
    if (!COUNTS.has(c.measure)) continue;
    if (c.suppressed) hidden.add(key(c));
    else known.set(key(c), c.value ?? 0);
  }
  const equations = relationsOf(cells);
  const recovered = new Map<string, number>();
  // 1. Differencing, one relation at a time, until nothing more comes out.
  for (let progress = true; progress; ) {
    progress = false;
    for (const eq of equations) {
      const members = [eq.total, ...eq.parts];
      const unknown = members.filter((k) => !known.has(k));
      if (unknown.length !== 1) continue;
      const target = unknown[0]!;
      const sum = eq.parts.filter((k) => k !== target).reduce((s, k) => s + known.get(k)!, 0);
      const value = target === eq.total ? sum : known.get(eq.total)! - sum;
      known.set(target, value);
      if (hidden.has(target)) recovered.set(target, value);
      progress = true;
    }
  }
  // 2. Every relation at once: dense Gaussian elimination over the unknowns.
  const unknowns = [...hidden].filter((k) => !known.has(k));
  const index = new Map(unknowns.map((k, i) => [k, i]));
  const rows: number[][] = [];
  for (const eq of equations) {
    const row = new Array<number>(unknowns.length + 1).fill(0);
    let any = false;
    for (const [k, sign] of [[eq.total, 1] as const, ...eq.parts.map((p) => [p, -1] as const)]) {
      const i = index.get(k);
      if (i === undefined) row[unknowns.length]! -= sign * (known.get(k) ?? 0);
      else {
        row[i]! += sign;
        any = true;
      }
    }
    if (any) rows.push(row);
  }
  let r = 0;
  const pivotCol: number[] = [];
  for (let col = 0; col < unknowns.length && r < rows.length; col++) {
    const p = rows.findIndex((row, i) => i >= r && Math.abs(row[col]!) > 1e-9);
    if (p < 0) continue;
    [rows[r], rows[p]] = [rows[p]!, rows[r]!];
    const pivot = rows[r]![col]!;
    rows[r] = rows[r]!.map((x) => x / pivot);
    for (let i = 0; i < rows.length; i++) {
      if (i === r || Math.abs(rows[i]![col]!) < 1e-9) continue;
      const f = rows[i]![col]!;
      rows[i] = rows[i]!.map((x, j) => x - f * rows[r]![j]!);
    }
    pivotCol.push(col);
    r++;
  }
  for (let i = 0; i < r; i++) {
    const nonZero = rows[i]!.slice(0, unknowns.length).filter((x) => Math.abs(x) > 1e-9).length;
    if (nonZero === 1) recovered.set(unknowns[pivotCol[i]!]!, Math.round(rows[i]![unknowns.length]!));
  }
  return recovered;
}

/** A deterministic pseudo-random block: two or three municipalities, a few days, small and large cells. */
function randomBlock(seed: number): BlockInput {
  let state = seed;
  const rnd = (n: number) => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return Math.floor(state / 65_536) % n;
  };
  const municipalities = Array.from({ length: 2 + rnd(2) }, (_, i) => ({ id: `00000000-0000-4000-8000-00000000000${i}`, timeZone: "UTC" }));
  const days = ["2026-10-01", "2026-10-02", "2026-10-03"];
  const sums: DaySum[] = [];
  const statuses = ["accounting", "financed", "suspended"];
  for (const m of municipalities) {
    for (const day of [null, ...days]) {
      for (let i = 0; i < 4; i++) {
        const size = rnd(3) === 0 ? 1 + rnd(8) : rnd(30);
        sums.push({ municipalityId: m.id, measure: "certificates", dims: { status: statuses[rnd(3)]! }, groupId: null, birthYear: 2008 + rnd(14), day, delta: size });
      }
      sums.push({ municipalityId: m.id, measure: "enrollments", dims: {}, groupId: `g${rnd(3)}`, birthYear: null, day, delta: rnd(3) === 0 ? 1 + rnd(8) : rnd(25) });
      if (day) {
        sums.push({ municipalityId: m.id, measure: "offers", dims: { outcome: "made" }, groupId: null, birthYear: null, day, delta: rnd(2) === 0 ? 1 + rnd(8) : 10 + rnd(20) });
        sums.push({ municipalityId: m.id, measure: "offers", dims: { outcome: "declined" }, groupId: null, birthYear: null, day, delta: rnd(6) });
      }
      sums.push({ municipalityId: m.id, measure: "queue.length", dims: {}, groupId: null, birthYear: null, day, delta: rnd(14) });
      sums.push({ municipalityId: m.id, measure: "coverage.enrolled", dims: {}, groupId: null, birthYear: null, day, delta: rnd(13) });
      for (const status of ["present", "absent"]) sums.push({ municipalityId: m.id, measure: "attendance.marks", dims: { status }, groupId: null, birthYear: null, day, delta: rnd(3) === 0 ? 1 + rnd(8) : rnd(40) });
      const funded = rnd(3) === 0 ? 1 + rnd(8) : rnd(20);
      sums.push({ municipalityId: m.id, measure: "money.committed.count", dims: {}, groupId: null, birthYear: null, day, delta: funded });
      sums.push({ municipalityId: m.id, measure: "money.committed", dims: {}, groupId: null, birthYear: null, day, delta: funded * (1_500_000 + rnd(3) * 250_000) });
      const reservations = rnd(3) === 0 ? 1 + rnd(8) : rnd(20);
      sums.push({ municipalityId: m.id, measure: "money.reserved.count", dims: {}, groupId: null, birthYear: null, day, delta: reservations });
      sums.push({ municipalityId: m.id, measure: "money.reserved", dims: {}, groupId: null, birthYear: null, day, delta: reservations * 600_000 + rnd(90_000) });
      if (day === days[0]) {
        // A month's own figures, counted on its first day.
        for (const outcome of ["present", "excused", "unexcused", "unmarked"]) sums.push({ municipalityId: m.id, measure: "attendance.lessons", dims: { outcome }, groupId: null, birthYear: null, day, delta: rnd(3) === 0 ? 1 + rnd(8) : rnd(60) });
        const bills = rnd(2) === 0 ? 1 + rnd(8) : 10 + rnd(20);
        sums.push({ municipalityId: m.id, measure: "bills", dims: {}, groupId: null, birthYear: null, day, delta: bills });
        sums.push({ municipalityId: m.id, measure: "money.spent", dims: {}, groupId: null, birthYear: null, day, delta: bills * 160_000 + rnd(50_000) });
        sums.push({ municipalityId: m.id, measure: "money.family", dims: {}, groupId: null, birthYear: null, day, delta: rnd(90_000) });
      }
    }
  }
  return {
    regionCode: "11",
    month: "2026-10-01",
    lastDay: "2026-10-03",
    municipalities,
    population: new Map(municipalities.map((m) => [m.id, 5_000])),
    budget: new Map(municipalities.map((m) => [m.id, 3_000_000_000])),
    groups: new Map([
      ["g0", { direction: "technical", fundingKind: "financed" }],
      ["g1", { direction: "arts", fundingKind: "free" }],
      ["g2", { direction: "arts", fundingKind: "financed" }],
    ]),
    sums,
    waits: [],
    minCell: 10,
    withRegion: true,
  };
}

describe("small-cell suppression", () => {
  it("given a cell of 3 in a row, when published, then its row partner, its column partner and the 2x2 that closes them are hidden", () => {
    const values = new Map([["a1", 3], ["a2", 20], ["b1", 15], ["b2", 30], ["A", 23], ["B", 45], ["c1", 18], ["c2", 50], ["T", 68]]);
    const relations = [
      { total: "A", parts: ["a1", "a2"] },
      { total: "B", parts: ["b1", "b2"] },
      { total: "c1", parts: ["a1", "b1"] },
      { total: "c2", parts: ["a2", "b2"] },
      { total: "T", parts: ["A", "B"] },
      { total: "T", parts: ["c1", "c2"] },
    ];
    const hidden = suppress(values, new Set(values.keys()), relations, 10);
    expect([...hidden].sort()).toEqual(["a1", "a2", "b1", "b2"]);
    expect(determinedCells(hidden, relations)).toEqual([]);
  });

  it("given an odd cycle of relations that differencing one at a time cannot break, then solving them all at once finds it and more is hidden", () => {
    // x + y = P, y + z = Q, x + z = R: each relation holds two hidden cells, yet all three follow.
    const values = new Map([["x", 4], ["y", 12], ["z", 30], ["P", 16], ["Q", 42], ["R", 34]]);
    const relations = [
      { total: "P", parts: ["x", "y"] },
      { total: "Q", parts: ["y", "z"] },
      { total: "R", parts: ["x", "z"] },
    ];
    expect(determinedCells(new Set(["x", "y", "z"]), relations)).toEqual(["x", "y", "z"]);
    const hidden = suppress(values, new Set(values.keys()), relations, 10);
    expect(determinedCells(hidden, relations)).toEqual([]);
    expect(hidden.has("x")).toBe(true);
  });

  it("the attacker recovers small cells from primary suppression alone (the attack works)", () => {
    let recoveredSomewhere = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const input = randomBlock(seed);
      const truth = computeBlock({ ...input, minCell: 1 });
      const naive = truth.map((c) => (CHILDREN.has(c.measure) && c.value !== null && c.value > 0 && c.value < 10 ? { ...c, value: null, suppressed: true } : c));
      const recovered = attack(naive);
      const truthByKey = new Map(truth.map((c) => [key(c), c.value]));
      for (const [k, v] of recovered) expect(v).toBe(truthByKey.get(k));
      recoveredSomewhere += recovered.size;
    }
    expect(recoveredSomewhere).toBeGreaterThan(0);
  });

  it("no suppressed cell is recovered by differencing rows, columns, totals, municipalities and consecutive days, nor by all relations at once", () => {
    let suppressedSeen = 0;
    let amountsHidden = 0;
    let ratesHidden = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const published = computeBlock(randomBlock(seed));
      suppressedSeen += published.filter((c) => c.suppressed).length;
      expect(attack(published)).toEqual(new Map());
      // And nothing under 10 children shows.
      const small = published.filter((c) => CHILDREN.has(c.measure) && c.value !== null && c.value > 0 && c.value < 10);
      expect(small).toEqual([]);
      // An amount is hidden exactly where the count it sums over is.
      const byKey = new Map(published.map((c) => [key(c), c]));
      for (const c of published.filter((p) => MONEY.has(p.measure))) {
        const count = byKey.get(key({ ...c, measure: MONEY.get(c.measure)! }))!;
        expect(c.suppressed).toBe(count.suppressed);
        if (c.suppressed) amountsHidden++;
      }
      ratesHidden += published.filter((p) => p.measure === "attendance.rate" && p.suppressed).length;
      // The attendance rate is published only beside both its counts.
      for (const rate of published.filter((p) => p.measure === "attendance.rate" && !p.suppressed)) {
        for (const status of ["present", "absent"]) expect(byKey.get(key({ ...rate, measure: "attendance.marks", dims: { status } }))!.suppressed).toBe(false);
      }
    }
    expect(suppressedSeen).toBeGreaterThan(100);
    expect(amountsHidden).toBeGreaterThan(10);
    expect(ratesHidden).toBeGreaterThan(10);
  });

  it("deciding from a later day, the earlier days as published, gives the same cells as deciding the whole block (a publisher round starts at its first changed day)", () => {
    let hiddenBefore = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const input = randomBlock(seed);
      const whole = computeBlock(input);
      for (const day of ["2026-10-02", "2026-10-03"]) {
        const hidden = whole.filter((c) => c.period === "day" && c.start < day && c.suppressed).map(key);
        hiddenBefore += hidden.length;
        expect(computeBlock({ ...input, from: { day, hidden } })).toEqual(whole.filter((c) => c.period === "month" || c.start >= day));
      }
    }
    expect(hiddenBefore).toBeGreaterThan(50);
  });

  it("a round for a month's own figures, after every day of the block was published, decides the last day again as the whole block does (its hidden cells are not taken as an earlier day's)", () => {
    let lastDayHidden = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const input = randomBlock(seed);
      const whole = computeBlock(input);
      // The store names the hidden cells of every published day before the round's first day,
      // which for a month's own figures (attendance's closed month, a bill) is the month's end.
      const hidden = whole.filter((c) => c.period === "day" && c.suppressed).map(key);
      lastDayHidden += whole.filter((c) => c.period === "day" && c.start === input.lastDay && c.suppressed && CHILDREN.has(c.measure)).length;
      const round = computeBlock({ ...input, from: { day: "2026-10-31", hidden } });
      expect(round).toEqual(whole.filter((c) => c.period === "month" || c.start >= input.lastDay));
      expect(round.filter((c) => CHILDREN.has(c.measure) && c.value !== null && c.value > 0 && c.value < 10)).toEqual([]);
    }
    expect(lastDayHidden).toBeGreaterThan(20);
  });
});
