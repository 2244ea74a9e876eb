import { addDays, formatLocalDate, parseLocalDate } from "@kruzhok/time";
import type { StoredMeasure } from "./subjects";
import { suppress, type Relation } from "./suppression";

/**
 * The cells of one release block: every municipality of one region (and the region itself),
 * every day of one month up to the region's last day with events, and the month. Suppression
 * is decided over the whole block at once, so that no relation inside it (rows, columns,
 * totals, region = sum of municipalities, month = sum or last of its days) gives a suppressed
 * cell back. Pure: the store reads the raw sums, this decides what is published.
 *
 * Aggregate model: a cell is (scope, period, measure, dims). Counting measures are built from
 * contributions (domain/subjects.ts); a new source (attendance's marks, payments' postings)
 * adds its subjects there and its measures here (a stock or a flow, counted in children or
 * not), and the block, the relations, suppression, the stream and the exports carry it as they
 * are.
 */

export const Statuses = ["accounting", "financed", "suspended"] as const;
export const AgeBands = ["5-6", "7-10", "11-14", "15-17"] as const;
export const Directions = ["technical", "natural_science", "physical_culture_and_sports", "arts", "tourism_and_local_history", "social_and_humanitarian"] as const;
export const FundingKinds = ["financed", "free", "paid"] as const;
export const OfferOutcomes = ["made", "accepted", "declined", "expired"] as const;
export const ProviderKinds = ["municipal", "state", "private", "entrepreneur"] as const;
export const ProviderStatuses = ["applied", "approved", "rejected", "suspended"] as const;
export const MarkStatuses = ["present", "absent"] as const;
export const LessonOutcomes = ["present", "excused", "unexcused", "unmarked"] as const;
export const SignalKinds = ["overlapping_lessons", "outside_schedule", "too_many_groups", "all_present_month", "bulk_late_entry"] as const;
export const SignalOutcomes = ["confirmed", "dismissed"] as const;
export const UNKNOWN = "unknown";
export const ALL = "*";

/**
 * Measures that count children, or things each of which is one child's (a mark is a child at a
 * lesson, a bill a child's month in a group, a funding a child's certificate): their small cells
 * are suppressed. REVIEW: a child with several enrollments brings several marks, lessons or
 * bills, so a cell of 10 of them may be fewer children; a threshold on distinct children would
 * not add up over days and municipalities as the relations need.
 */
const CHILD_COUNTS = new Set([
  "certificates",
  "coverage.certified",
  "coverage.enrolled",
  "enrollments",
  "queue.length",
  "offers",
  "attendance.marks",
  "attendance.lessons",
  "money.committed.count",
  "money.reserved.count",
  "financing.queued",
  "bills",
]);
/** Measures summed over a period (the month is the sum of its days); the rest are stocks (the month is its last day). */
const FLOWS = new Set(["offers", "attendance.marks", "attendance.lessons", "signals", "signals.resolved", "money.committed", "money.committed.count", "bills", "money.spent", "money.family", "money.benefits"]);
/**
 * Measures of a month as a whole, published for the month only: an enrollment's month as
 * attendance closed it and payments billed it. They are counted on the month's first day
 * (domain/subjects.ts monthInstant), which is not a day they happened on.
 */
const MONTHLY = new Set(["attendance.lessons", "bills", "money.spent", "money.family", "money.benefits"]);
/**
 * Amounts of money and the count each is the sum over: the amount is hidden exactly where its
 * count is. The two have the same relations (region = its municipalities, month = its days), and
 * whether a hidden cell can be worked out from the published ones depends only on the relations
 * and on which cells are hidden, not on the values: what protects the count protects the amount.
 */
/** How far a change of a measure at an instant reaches in the cells: see store/migrations/0004. */
export type Reach = "stock" | "day" | "month";
export function reachOf(measure: string): Reach {
  if (MONTHLY.has(measure)) return "month";
  return FLOWS.has(measure) || measure === "queue.wait" ? "day" : "stock";
}

const PAIRED = new Map([
  ["money.committed", "money.committed.count"],
  ["money.spent", "bills"],
  ["money.family", "bills"],
  ["money.benefits", "bills"],
  ["money.reserved", "money.reserved.count"],
]);

export interface BlockMunicipality {
  id: string;
  timeZone: string;
}

/** Contributions summed per local day; `day` is null for everything before the block's month. */
export interface DaySum {
  municipalityId: string;
  measure: StoredMeasure;
  dims: Record<string, string>;
  groupId: string | null;
  birthYear: number | null;
  day: string | null;
  delta: number;
}

/**
 * Waiting times of one scope and period, summarised where they are stored (store/cells.ts
 * waitTimes): how many, and their median and 90th percentile by linear interpolation between
 * closest ranks (PostgreSQL's percentile_cont), unrounded. A block carried every sample before;
 * a month of a busy region is tens of thousands (measured: 100-150 ms of each publisher round).
 */
export interface WaitTimes {
  /** null: the region's. */
  municipalityId: string | null;
  /** null: the block's month. */
  day: string | null;
  count: number;
  median: number;
  p90: number;
}

export interface BlockInput {
  regionCode: string;
  /** First day of the month, YYYY-MM-01. */
  month: string;
  /** The last day the block covers (the region's last day with events, or the month's end). */
  lastDay: string;
  municipalities: readonly BlockMunicipality[];
  /** Children aged 5-18 per municipality for the block's year. */
  population: ReadonlyMap<string, number>;
  /** The block's year's budget per municipality, minor units (public). */
  budget: ReadonlyMap<string, number>;
  groups: ReadonlyMap<string, { direction: string; fundingKind: string }>;
  sums: readonly DaySum[];
  waits: readonly WaitTimes[];
  minCell: number;
  /** Publish the region's own cells (not for municipalities whose region is not known yet). */
  withRegion: boolean;
  /**
   * The first day to decide (default: the month's first): the days before it are as published,
   * and `hidden` holds the keys of their hidden cells. A publisher round starts at the first day
   * its changes reach; the cells it returns are that day's on and the month's.
   */
  from?: { day: string; hidden: readonly string[] };
}

export interface Cell {
  scope: "municipality" | "region";
  municipalityId: string | null;
  regionCode: string;
  period: "day" | "month";
  start: string;
  measure: string;
  dims: Record<string, string>;
  value: number | null;
  suppressed: boolean;
}

/** Canonical text of dims: keys sorted, so the same breakdown is always the same key. */
export function dimsKey(dims: Record<string, string>): string {
  const keys = Object.keys(dims);
  // Every breakdown here has at most two dims; a block computes this for each of its thousands of cells.
  if (keys.length === 0) return "";
  if (keys.length === 1) return `${keys[0]}=${dims[keys[0]!]}`;
  if (keys.length === 2) {
    const [a, b] = keys[0]! < keys[1]! ? [keys[0]!, keys[1]!] : [keys[1]!, keys[0]!];
    return `${a}=${dims[a]};${b}=${dims[b]}`;
  }
  return keys
    .sort()
    .map((k) => `${k}=${dims[k]}`)
    .join(";");
}

export function cellKey(cell: Pick<Cell, "scope" | "municipalityId" | "regionCode" | "period" | "start" | "measure" | "dims">): string {
  const scopeId = cell.scope === "region" ? cell.regionCode : (cell.municipalityId ?? "");
  return `${cell.scope}|${scopeId}|${cell.period}|${cell.start}|${cell.measure}|${dimsKey(cell.dims)}`;
}

export function ageBandIn(year: number, birthYear: number | null): string {
  if (birthYear === null) return UNKNOWN;
  const age = year - birthYear;
  if (age <= 6) return "5-6";
  if (age <= 10) return "7-10";
  if (age <= 14) return "11-14";
  return "15-17";
}

export function daysOf(month: string, lastDay: string): string[] {
  const days: string[] = [];
  let day = parseLocalDate(month);
  for (;;) {
    const text = formatLocalDate(day);
    if (text > lastDay || !text.startsWith(month.slice(0, 7))) return days;
    days.push(text);
    day = addDays(day, 1);
  }
}

interface Raw {
  /** measure -> dimsKey -> { dims, value } */
  counts: Map<string, Map<string, { dims: Record<string, string>; value: number }>>;
}

/** Compute the block's published cells (suppressed ones carry null). */
export function computeBlock(input: BlockInput): Cell[] {
  const year = Number(input.month.slice(0, 4));
  const days = daysOf(input.month, input.lastDay);
  if (days.length === 0) return [];
  const lastOfBlock = days[days.length - 1]!;
  // The days decided here: from the first the round's changes reach (the earlier ones as published).
  const firstDay = input.from && input.from.day > days[0]! ? (input.from.day > lastOfBlock ? lastOfBlock : input.from.day) : days[0]!;
  const municipalityIds = input.municipalities.map((m) => m.id).sort();

  // The grid of each breakdown: the fixed values and `unknown` (something that lacks the fact
  // that places it: a group not yet heard of, a certificate without its issue), always, so that a
  // day's table has the same shape whatever the other days hold: a day's suppression is decided
  // from that day alone (see below).
  const bands = [...AgeBands, UNKNOWN];
  const directions = [...Directions, UNKNOWN];
  const fundingKinds = [...FundingKinds, UNKNOWN];
  const providerKinds = [...ProviderKinds, UNKNOWN];
  const providerKindOf = (kind: string | undefined) => (kind !== undefined && (ProviderKinds as readonly string[]).includes(kind) ? kind : UNKNOWN);

  // Stocks carried day by day; flows per day.
  const stockKey = (sum: DaySum): { measure: string; dims: Record<string, string> } => {
    switch (sum.measure) {
      case "certificates":
        return { measure: "certificates", dims: { status: sum.dims.status ?? UNKNOWN, ageBand: ageBandIn(year, sum.birthYear) } };
      case "enrollments": {
        const group = sum.groupId ? input.groups.get(sum.groupId) : undefined;
        return { measure: "enrollments", dims: { direction: group?.direction ?? UNKNOWN, fundingKind: group?.fundingKind ?? UNKNOWN } };
      }
      case "providers":
        return { measure: "providers", dims: { kind: providerKindOf(sum.dims.kind), status: sum.dims.status ?? UNKNOWN } };
      case "coverage.enrolled":
      case "offers":
      case "queue.length":
      case "queue.wait":
      case "attendance.marks":
      case "attendance.lessons":
      case "signals":
      case "signals.resolved":
      case "signals.open":
      case "money.committed":
      case "money.committed.count":
      case "financing.queued":
      case "bills":
      case "money.spent":
      case "money.family":
      case "money.benefits":
      case "money.reserved":
      case "money.reserved.count":
        return { measure: sum.measure, dims: sum.dims };
      default: {
        const never: never = sum.measure;
        throw new Error(`unknown measure ${String(never)}`);
      }
    }
  };
  const perMunicipality = new Map<string, { base: Raw; byDay: Map<string, Raw> }>();
  const emptyRaw = (): Raw => ({ counts: new Map() });
  const addTo = (raw: Raw, measure: string, dims: Record<string, string>, delta: number) => {
    let byDims = raw.counts.get(measure);
    if (!byDims) raw.counts.set(measure, (byDims = new Map<string, { dims: Record<string, string>; value: number }>()));
    const key = dimsKey(dims);
    const entry = byDims.get(key);
    if (entry) entry.value += delta;
    else byDims.set(key, { dims, value: delta });
  };
  for (const id of municipalityIds) perMunicipality.set(id, { base: emptyRaw(), byDay: new Map(days.map((d) => [d, emptyRaw()])) });
  for (const sum of input.sums) {
    const m = perMunicipality.get(sum.municipalityId);
    if (!m || sum.measure === "queue.wait") continue;
    const { measure, dims } = stockKey(sum);
    if (sum.day === null || sum.day < input.month) {
      if (!FLOWS.has(measure)) addTo(m.base, measure, dims, sum.delta);
      continue;
    }
    const raw = m.byDay.get(sum.day);
    if (raw) addTo(raw, measure, dims, sum.delta);
  }

  const values = new Map<string, number>();
  const counted = new Set<string>();
  const relations: Relation[] = [];
  const cells = new Map<string, Cell>();
  const seriesOf = new Map<string, string>(); // cell key -> its series (the key without period and start)
  const put = (cell: Omit<Cell, "value" | "suppressed">, value: number) => {
    const scopeId = cell.scope === "region" ? cell.regionCode : (cell.municipalityId ?? "");
    const tail = `${cell.measure}|${dimsKey(cell.dims)}`;
    const key = `${cell.scope}|${scopeId}|${cell.period}|${cell.start}|${tail}`;
    seriesOf.set(key, `${cell.scope}|${scopeId}|${tail}`);
    cells.set(key, { ...cell, value, suppressed: false });
    values.set(key, value);
    if (CHILD_COUNTS.has(cell.measure)) counted.add(key);
    return key;
  };
  const value = (raw: Map<string, number>, measure: string, dims: Record<string, string>) => raw.get(`${measure}|${dimsKey(dims)}`) ?? 0;

  /** One scope's one period: its cells and the relations among them (margins, coverage = certificates' total). */
  const table = (where: Omit<Cell, "measure" | "dims" | "value" | "suppressed">, raw: Map<string, number>) => {
    const keyOf = (measure: string, dims: Record<string, string>) => put({ ...where, measure, dims }, value(raw, measure, dims));
    const grid = (measure: string, rowDim: string, rows: readonly string[], colDim: string, cols: readonly string[]) => {
      const rowTotals: string[] = [];
      const colParts = new Map<string, string[]>(cols.map((c) => [c, []]));
      let grand = 0;
      for (const r of rows) {
        const parts: string[] = [];
        let rowSum = 0;
        for (const c of cols) {
          const dims = { [rowDim]: r, [colDim]: c };
          const key = keyOf(measure, dims);
          parts.push(key);
          colParts.get(c)!.push(key);
          rowSum += values.get(key)!;
        }
        const total = put({ ...where, measure, dims: { [rowDim]: r, [colDim]: ALL } }, rowSum);
        rowTotals.push(total);
        relations.push({ total, parts });
        grand += rowSum;
      }
      const colTotals: string[] = [];
      for (const c of cols) {
        const parts = colParts.get(c)!;
        const total = put({ ...where, measure, dims: { [rowDim]: ALL, [colDim]: c } }, parts.reduce((s, k) => s + values.get(k)!, 0));
        colTotals.push(total);
        relations.push({ total, parts });
      }
      const total = put({ ...where, measure, dims: { [rowDim]: ALL, [colDim]: ALL } }, grand);
      relations.push({ total, parts: rowTotals }, { total, parts: colTotals });
      return total;
    };
    const certificatesTotal = grid("certificates", "status", Statuses, "ageBand", bands);
    const certified = put({ ...where, measure: "coverage.certified", dims: {} }, values.get(certificatesTotal)!);
    relations.push({ total: certified, parts: [certificatesTotal] });
    keyOf("coverage.enrolled", {});
    grid("enrollments", "direction", directions, "fundingKind", fundingKinds);
    keyOf("queue.length", {});
    for (const outcome of OfferOutcomes) keyOf("offers", { outcome });
    grid("providers", "kind", providerKinds, "status", ProviderStatuses);
    for (const status of MarkStatuses) keyOf("attendance.marks", { status });
    for (const kind of SignalKinds) keyOf("signals", { kind });
    for (const outcome of SignalOutcomes) keyOf("signals.resolved", { outcome });
    keyOf("signals.open", {});
    keyOf("money.committed.count", {});
    keyOf("money.committed", {});
    keyOf("financing.queued", {});
    keyOf("money.reserved.count", {});
    keyOf("money.reserved", {});
    if (where.period === "month") {
      for (const outcome of LessonOutcomes) keyOf("attendance.lessons", { outcome });
      for (const measure of ["bills", "money.spent", "money.family", "money.benefits"]) keyOf(measure, {});
    }
  };

  const flatten = (raw: Raw): Map<string, number> => {
    const flat = new Map<string, number>();
    for (const [measure, byDims] of raw.counts) for (const [key, entry] of byDims) flat.set(`${measure}|${key}`, entry.value);
    return flat;
  };

  const waitsBy = new Map<string, WaitTimes>(); // `${scopeKey}|${period}|${start}`
  for (const w of input.waits) {
    if (w.municipalityId !== null && !perMunicipality.has(w.municipalityId)) continue;
    if (w.day !== null && (w.day < input.month || w.day > lastOfBlock)) continue;
    const scope = w.municipalityId === null ? `region|${input.regionCode}` : `municipality|${w.municipalityId}`;
    waitsBy.set(`${scope}|${w.day === null ? `month|${input.month}` : `day|${w.day}`}`, w);
  }

  const region = input.regionCode;
  for (const id of municipalityIds) {
    const m = perMunicipality.get(id)!;
    const running = flatten(m.base);
    const monthFlows = new Map<string, number>();
    for (const day of days) {
      const today = flatten(m.byDay.get(day)!);
      const dayValues = new Map(running);
      for (const [key, delta] of today) {
        if (FLOWS.has(key.slice(0, key.indexOf("|")))) {
          dayValues.set(key, delta);
          monthFlows.set(key, (monthFlows.get(key) ?? 0) + delta);
        } else {
          running.set(key, (running.get(key) ?? 0) + delta);
          dayValues.set(key, running.get(key)!);
        }
      }
      if (day < firstDay) continue;
      for (const key of [...dayValues.keys()]) if (FLOWS.has(key.slice(0, key.indexOf("|"))) && !today.has(key)) dayValues.delete(key);
      table({ scope: "municipality", municipalityId: id, regionCode: region, period: "day", start: day }, dayValues);
    }
    const monthValues = new Map(running);
    for (const [key, v] of monthFlows) monthValues.set(key, v);
    table({ scope: "municipality", municipalityId: id, regionCode: region, period: "month", start: input.month }, monthValues);
  }

  // The region's cells are the sums of its municipalities' (for every key of the grid), and the
  // relations say so.
  const municipalCells = [...cells];
  if (input.withRegion) {
    const parts = new Map<string, { cell: Omit<Cell, "value" | "suppressed">; keys: string[]; sum: number }>();
    for (const [municipalKey, cell] of municipalCells) {
      const regional = { scope: "region" as const, municipalityId: null, regionCode: region, period: cell.period, start: cell.start, measure: cell.measure, dims: cell.dims };
      const key = cellKey(regional);
      const entry = parts.get(key) ?? { cell: regional, keys: [], sum: 0 };
      entry.keys.push(municipalKey);
      entry.sum += cell.value ?? 0;
      parts.set(key, entry);
    }
    for (const entry of parts.values()) relations.push({ total: put(entry.cell, entry.sum), parts: entry.keys });
  }

  // Suppression in two stages, so that a round can start at the first day its changes reach and
  // a rebuild still gives the same cells: each day alone first (its tables and its region's sums
  // relate none of its cells to another day's: a day's decision is a function of that day), then
  // the month with its days as decided, their hidden cells unknowns that must stay undetermined
  // and their shown cells constants, left out. Hiding every month cell would always do: the
  // month's own tables and sums then only restate the days' (suppression.ts falls back on it).
  const periodOf = (key: string) => cells.get(key)!.period;
  const dayStage = relations.filter((relation) => periodOf(relation.total) === "day");
  const monthStage = relations.filter((relation) => periodOf(relation.total) === "month");
  const dayCounted = new Set([...counted].filter((key) => periodOf(key) === "day"));
  const monthCounted = new Set([...counted].filter((key) => periodOf(key) === "month"));
  const hidden = suppress(values, dayCounted, dayStage, input.minCell);
  // Amounts of money are hidden after suppression, with their counts (PAIRED): not among the
  // unknowns. Only the days before the first decided one: a round for a month's own figures
  // starts after the block's last day (clamped to it above), and its `hidden` then names that
  // day's cells too, which are decided here again; taking them as earlier days' unknowns let
  // them out unhidden (a child's one absent mark went out on the stream as 1).
  const earlier = (input.from?.hidden ?? []).filter((key) => {
    const [, , , start, measure] = key.split("|", 5);
    return start! < firstDay && !PAIRED.has(measure!);
  });
  for (const key of earlier) hidden.add(key);

  // Time: a month's flow is the sum of its days, a month's stock its last day's; only the
  // days' hidden cells enter (the shown ones are constants to a reader).
  const byTime = new Map<string, { month?: string; days: string[]; last?: string }>();
  const entryOf = (series: string) => {
    let entry = byTime.get(series);
    if (!entry) byTime.set(series, (entry = { days: [] }));
    return entry;
  };
  for (const [key, cell] of cells) {
    const entry = entryOf(seriesOf.get(key)!);
    if (cell.period === "month") entry.month = key;
    else {
      if (hidden.has(key)) entry.days.push(key);
      if (cell.start === lastOfBlock) entry.last = key;
    }
  }
  for (const key of earlier) {
    const [scope, scopeId, , , measure, dims] = key.split("|");
    entryOf(`${scope}|${scopeId}|${measure}|${dims}`).days.push(key);
  }
  // A month cell whose days are all shown is a constant to a reader (their sum, or the last
  // one): it cannot hide anything, and is not chosen to.
  const daysHidden = new Set<string>();
  const constants = new Set<string>();
  for (const [series, entry] of byTime) {
    if (!entry.month) continue;
    const measure = series.split("|")[2]!;
    if (MONTHLY.has(measure)) continue;
    const parts = FLOWS.has(measure) ? entry.days.sort() : entry.last && hidden.has(entry.last) ? [entry.last] : [];
    if (parts.length === 0) {
      const value = values.get(entry.month) ?? 0;
      if (!(monthCounted.has(entry.month) && value > 0 && value < input.minCell)) constants.add(entry.month);
      continue;
    }
    for (const part of parts) daysHidden.add(part);
    monthStage.push({ total: entry.month, parts });
  }
  for (const key of suppress(values, monthCounted, monthStage, input.minCell, daysHidden, constants)) hidden.add(key);
  for (const key of earlier) hidden.delete(key);
  // Whatever the relations decided, a cell that counts fewer than minCell children is never
  // published: a defect above must show as too much hidden, not as a child's figure.
  for (const key of counted) {
    const v = values.get(key) ?? 0;
    if (v > 0 && v < input.minCell) hidden.add(key);
  }
  for (const [key, cell] of cells) {
    const count = PAIRED.get(cell.measure);
    if (count !== undefined && hidden.has(key.replace(`|${cell.measure}|`, `|${count}|`))) hidden.add(key);
  }
  // Keyed as they are made, so that the answer is sorted by key without computing keys again.
  const out: [string, Cell][] = [];
  const add = (cell: Cell) => out.push([cellKey(cell), cell]);
  for (const [key, cell] of cells) out.push([key, hidden.has(key) ? { ...cell, value: null, suppressed: true } : cell]);

  // Shares of the year's children, hidden with their counts; waiting times, hidden below minCell samples.
  const populationOf = (cell: Cell) =>
    cell.scope === "region"
      ? municipalityIds.reduce<number | undefined>((s, id) => (input.population.has(id) ? (s ?? 0) + input.population.get(id)! : s), undefined)
      : input.population.get(cell.municipalityId!);
  // Attendance rate: present marks of all marks, hidden with either count.
  const published = new Map(out);
  for (const [key, cell] of [...out]) {
    if (cell.measure === "coverage.certified" || cell.measure === "coverage.enrolled") {
      const population = populationOf(cell);
      if (!population) continue;
      add({ ...cell, measure: `${cell.measure}.share`, value: cell.suppressed ? null : Math.round((cell.value! / population) * 10_000) / 10_000 });
    } else if (cell.measure === "attendance.marks" && cell.dims.status === "present") {
      const absent = published.get(key.replace("|status=present", "|status=absent"))!;
      const hide = cell.suppressed || absent.suppressed;
      const marks = (cell.value ?? 0) + (absent.value ?? 0);
      if (!hide && marks === 0) continue;
      add({ ...cell, measure: "attendance.rate", dims: {}, value: hide ? null : Math.round((cell.value! / marks) * 10_000) / 10_000, suppressed: hide });
    }
  }
  // The year's budget, public: the region's is the sum of its municipalities' that have one.
  const budgetOf = (cell: Cell) =>
    cell.scope === "region"
      ? municipalityIds.reduce<number | undefined>((s, id) => (input.budget.has(id) ? (s ?? 0) + input.budget.get(id)! : s), undefined)
      : input.budget.get(cell.municipalityId!);
  const scopes: Omit<Cell, "period" | "start" | "measure" | "dims" | "value" | "suppressed">[] = [
    ...municipalityIds.map((id) => ({ scope: "municipality" as const, municipalityId: id, regionCode: region })),
    ...(input.withRegion ? [{ scope: "region" as const, municipalityId: null, regionCode: region }] : []),
  ];
  for (const scope of scopes) {
    const scopeId = scope.scope === "region" ? region : scope.municipalityId;
    for (const [period, start] of [...days.filter((d) => d >= firstDay).map((d) => ["day", d] as const), ["month", input.month] as const]) {
      const waits = waitsBy.get(`${scope.scope}|${scopeId}|${period}|${start}`);
      const count = waits?.count ?? 0;
      const hide = count < input.minCell;
      for (const [measure, value] of [["queue.wait.median", waits?.median], ["queue.wait.p90", waits?.p90]] as const) {
        add({ ...scope, period, start, measure, dims: {}, value: hide || value === undefined ? null : Math.round(value), suppressed: hide && count > 0 });
      }
      const budget = budgetOf({ ...scope, period, start, measure: "money.budget", dims: {}, value: null, suppressed: false });
      if (budget !== undefined) add({ ...scope, period, start, measure: "money.budget", dims: {}, value: budget, suppressed: false });
    }
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, cell]) => cell);
}
