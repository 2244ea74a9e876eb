import { createHash } from "node:crypto";
import { seededRandom } from "@kruzhok/testkit/random";
import type { CampaignInput, CampaignResult } from "../../src/domain/campaign";

/**
 * Random campaign instances and independent checks of a result. The checks recompute
 * priorities from the input and the seed with their own SHA-256, so they do not trust the code
 * under test.
 */

/** A seeded generator, so a failing instance can be replayed from its number. */
export const prng = seededRandom;

export type Random = ReturnType<typeof prng>;
export const int = (random: Random, min: number, max: number): number => min + Math.floor(random() * (max - min + 1));

export function shuffle<T>(random: Random, items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = int(random, 0, i);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

export function hexSeed(random: Random): string {
  return Array.from({ length: 32 }, () => int(random, 0, 255).toString(16).padStart(2, "0")).join("");
}

export interface Shape {
  groups: [number, number];
  capacity: [number, number];
  children: [number, number];
  maxChoices: [number, number];
}

/**
 * A city's campaign: 30,000 children, 600 groups of 5-40 seats, five choices each, popular
 * groups chosen more often (so many children are refused and propose again), a fifth of the
 * children with a category. The unit tests check the draw on it; test/bench/enrollment/allocation.ts
 * times it.
 */
export function cityCampaign(random: Random): { input: CampaignInput; seed: string } {
  const groups = Array.from({ length: 600 }, (_, i) => ({ id: `g${i}`, capacity: int(random, 5, 40) }));
  const pick = () => groups[Math.floor(groups.length * random() ** 2)]!.id;
  const children = Array.from({ length: 30_000 }, (_, i) => {
    const choices = new Set<string>();
    while (choices.size < 5) choices.add(pick());
    return { id: `c${i}`, choices: [...choices], categoryRank: random() < 0.2 ? int(random, 0, 5) : null };
  });
  return { input: { maxChoices: 5, groups, children }, seed: hexSeed(random) };
}

/** A random market: some groups without seats, some children without a category, some group-specific ranks. */
export function randomInstance(random: Random, shape: Shape): CampaignInput {
  const groupCount = int(random, ...shape.groups);
  const groups = Array.from({ length: groupCount }, (_, i) => ({ id: `g${i}`, capacity: int(random, ...shape.capacity) }));
  const maxChoices = Math.min(groupCount, int(random, ...shape.maxChoices));
  const children = Array.from({ length: int(random, ...shape.children) }, (_, i) => {
    const choices = shuffle(random, groups.map((group) => group.id)).slice(0, int(random, 1, maxChoices));
    const child: CampaignInput["children"][number] = { id: `c${i}`, choices };
    const roll = random();
    if (roll < 0.4) child.categoryRank = int(random, 0, 2);
    else if (roll < 0.5) child.categoryRank = null;
    if (random() < 0.2) child.categoryRankByGroup = { [choices[0]!]: random() < 0.5 ? null : int(random, 0, 2) };
    return child;
  });
  return { maxChoices, groups, children };
}

export function lotteryOf(seed: string, childId: string): string {
  return createHash("sha256").update(`${seed}:${childId}`).digest("hex");
}

/** Compares two children at a group as the issue defines it; negative when `a` ranks higher. */
export function priorityComparator(input: CampaignInput, seed: string) {
  const children = new Map(input.children.map((child) => [child.id, child]));
  const rank = (childId: string, groupId: string): number => {
    const child = children.get(childId)!;
    const byGroup = child.categoryRankByGroup ?? {};
    const value = groupId in byGroup ? byGroup[groupId] : child.categoryRank;
    return value ?? Infinity;
  };
  return (groupId: string, a: string, b: string): number => {
    const ra = rank(a, groupId);
    const rb = rank(b, groupId);
    if (ra !== rb) return ra < rb ? -1 : 1;
    const la = lotteryOf(seed, a);
    const lb = lotteryOf(seed, b);
    return la < lb ? -1 : la > lb ? 1 : 0;
  };
}

/** Index of a group in a child's list; a group not listed (or null) is worse than every listed one. */
export function preferenceIndex(choices: readonly string[], groupId: string | null): number {
  const index = groupId === null ? -1 : choices.indexOf(groupId);
  return index === -1 ? Infinity : index;
}

export interface Matching {
  /** childId -> groupId | null */
  assignment: Record<string, string | null>;
}

/** Blocking pairs (c, g): c prefers g and g has a free seat or admitted someone c outranks. */
export function blockingPairs(input: CampaignInput, seed: string, matching: Matching): string[] {
  const compare = priorityComparator(input, seed);
  const admitted = new Map<string, string[]>(input.groups.map((group) => [group.id, []]));
  for (const [childId, groupId] of Object.entries(matching.assignment)) if (groupId !== null) admitted.get(groupId)!.push(childId);
  const found: string[] = [];
  for (const child of input.children) {
    const current = preferenceIndex(child.choices, matching.assignment[child.id] ?? null);
    for (const [index, groupId] of child.choices.entries()) {
      if (index >= current) break;
      const group = input.groups.find((g) => g.id === groupId)!;
      const holders = admitted.get(groupId)!;
      if (holders.length < group.capacity) found.push(`${child.id}->${groupId} (free seat)`);
      else if (holders.some((holder) => compare(groupId, child.id, holder) < 0)) found.push(`${child.id}->${groupId} (outranks an admitted child)`);
    }
  }
  return found;
}

/** Free seats wanted by someone who got a worse choice or nothing. */
export function wastedSeats(input: CampaignInput, result: CampaignResult): string[] {
  const found: string[] = [];
  for (const group of result.groups) {
    if (group.freeSeats === 0) continue;
    for (const child of input.children) {
      const current = preferenceIndex(child.choices, result.assignment[child.id] ?? null);
      if (preferenceIndex(child.choices, group.groupId) < current) found.push(`${child.id}->${group.groupId}`);
    }
  }
  return found;
}

/** Every matching of children to their listed groups (or nothing) within capacity: tiny markets only. */
export function allFeasibleMatchings(input: CampaignInput): Matching[] {
  const out: Matching[] = [];
  const load = new Map(input.groups.map((group) => [group.id, 0]));
  const capacity = new Map(input.groups.map((group) => [group.id, group.capacity]));
  const current: Record<string, string | null> = {};
  const walk = (i: number): void => {
    const child = input.children[i];
    if (!child) {
      out.push({ assignment: { ...current } });
      return;
    }
    current[child.id] = null;
    walk(i + 1);
    for (const groupId of child.choices) {
      if (load.get(groupId)! >= capacity.get(groupId)!) continue;
      load.set(groupId, load.get(groupId)! + 1);
      current[child.id] = groupId;
      walk(i + 1);
      load.set(groupId, load.get(groupId)! - 1);
    }
    delete current[child.id];
  };
  walk(0);
  return out;
}

/** Every list of at most K distinct groups, in every order. */
export function allLists(groupIds: readonly string[], maxChoices: number): string[][] {
  const out: string[][] = [];
  const walk = (prefix: string[]): void => {
    if (prefix.length > 0) out.push(prefix);
    if (prefix.length === maxChoices) return;
    for (const id of groupIds) if (!prefix.includes(id)) walk([...prefix, id]);
  };
  walk([]);
  return out;
}

/** Every permutation of a list. */
export function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}
