import { canonicalise, inputDigest, type CanonicalInput } from "./input";
import { commitSeed, drawLottery } from "./lottery";

/**
 * Child-proposing deferred acceptance (Gale–Shapley) over the campaign's groups.
 *
 * Each group ranks the children who chose it by (category rank, lottery number): a lower
 * category rank first, children without a category last, and one lottery number per child
 * breaking every tie. In each round every child not held anywhere proposes to its next choice;
 * each group keeps the best `capacity` of the children it holds and those proposing, and rejects
 * the rest, who propose again in the next round. When nobody is left to propose, what groups
 * hold is final.
 *
 * The outcome is the child-optimal stable matching for these priorities, so it does not depend
 * on the order in which proposals are processed, nor on the order of the input: shuffled input
 * gives the same result. Reporting true preferences is a dominant strategy for a family whose
 * acceptable groups fit in K choices (and, for any set of ≤ K groups, listing them in true order
 * is); see test/campaign for what is checked.
 */

export const CAMPAIGN_ALGORITHM = "deferred-acceptance/child-proposing/single-lottery/v1";

/** A child's standing at one group: what the group ranks by. */
export interface GroupPriority {
  /** 0 is the municipality's first category; null is no category (after all of them). */
  categoryRank: number | null;
  /** 64 hex digits, SHA-256(seed:childId); lower is better. */
  lottery: string;
  /** Position of the lottery number among the campaign's children, 1 = best. */
  lotteryRank: number;
}

/** Why a family got or did not get one of its choices. */
export type ChoiceExplanation =
  /** The child got this group. */
  | { outcome: "admitted"; groupId: string; choiceRank: number }
  /**
   * Every seat went to a child with higher priority here. `cutoff` is the last child admitted
   * (no id: another family's child); `decidedBy` says whether the category or the lottery put
   * that child ahead.
   */
  | {
      outcome: "outranked";
      groupId: string;
      choiceRank: number;
      capacity: number;
      decidedBy: "category" | "lottery";
      yours: GroupPriority;
      cutoff: GroupPriority;
    }
  /** The group had no seats in the campaign. */
  | { outcome: "no_seats"; groupId: string; choiceRank: number }
  /** The child got a choice ranked higher, so this one was never needed. */
  | { outcome: "not_reached"; groupId: string; choiceRank: number };

export interface ChildOutcome {
  childId: string;
  /** The group won, or null: then the child waits in the queues of its choices. */
  groupId: string | null;
  /** 1-based rank of the won group in the child's list. */
  choiceRank: number | null;
  lottery: string;
  lotteryRank: number;
  /** One entry per choice, in the child's order. */
  choices: ChoiceExplanation[];
  /** For an unplaced child: its place among the campaign's unplaced children in each chosen group's queue. */
  waitlists: { groupId: string; position: number }[];
}

export interface GroupOutcome {
  groupId: string;
  capacity: number;
  /** Admitted children, highest priority first. */
  admitted: string[];
  /** Seats left: only when fewer children chose the group than it has seats. */
  freeSeats: number;
  /** Lowest priority admitted; null when nobody was. */
  cutoff: GroupPriority | null;
  /**
   * Unplaced children who chose this group, in lottery order: the order in which they join its
   * queue. (The queue's own rule, category first, still ranks them among everyone else.)
   */
  waitlist: string[];
}

export interface RoundTrace {
  round: number;
  proposals: { childId: string; groupId: string }[];
  /** What every group holds after the round, highest priority first. */
  held: { groupId: string; childIds: string[] }[];
  rejected: string[];
}

export interface CampaignResult {
  algorithm: typeof CAMPAIGN_ALGORITHM;
  seed: string;
  seedCommitment: string;
  inputDigest: string;
  rounds: number;
  /** childId -> groupId, or null for an unplaced child; keys in id order. */
  assignment: Record<string, string | null>;
  /** In child id order. */
  children: ChildOutcome[];
  /** In group id order. */
  groups: GroupOutcome[];
  /** Round by round, when asked for (the hand-checked example, support questions). */
  trace?: RoundTrace[];
}

const LAST = Number.MAX_SAFE_INTEGER;

interface Applicant {
  id: string;
  choices: CanonicalInput["children"][number]["choices"];
  rankAt: Map<string, number | null>;
  lottery: string;
  lotteryRank: number;
  /** Index of the next choice to propose to. */
  next: number;
}

/**
 * Run the draw. `input` is validated here (a broken rule is ENROLLMENT.CAMPAIGN_INPUT_INVALID);
 * the result carries the seed, its commitment and the input digest so that anyone can re-run it.
 */
export function allocateCampaign(input: unknown, seed: string, options: { trace?: boolean } = {}): CampaignResult {
  const canonical = canonicalise(input);
  const tickets = drawLottery(
    seed,
    canonical.children.map((child) => child.id),
  );
  const ticketOf = new Map(tickets.map((ticket) => [ticket.childId, ticket]));
  const applicants = new Map<string, Applicant>();
  for (const child of canonical.children) {
    const ticket = ticketOf.get(child.id)!;
    applicants.set(child.id, {
      id: child.id,
      choices: child.choices,
      rankAt: new Map(child.choices.map((choice) => [choice.groupId, choice.categoryRank])),
      lottery: ticket.lottery,
      lotteryRank: ticket.lotteryRank,
      next: 0,
    });
  }
  const applicant = (id: string): Applicant => applicants.get(id)!;
  const capacity = new Map(canonical.groups.map((group) => [group.id, group.capacity]));
  const rankAt = (child: Applicant, groupId: string) => child.rankAt.get(groupId) ?? LAST;
  /** Negative when `a` has the higher priority at the group. */
  const compareAt = (groupId: string) => (a: string, b: string) => {
    const ca = applicant(a);
    const cb = applicant(b);
    return rankAt(ca, groupId) - rankAt(cb, groupId) || ca.lotteryRank - cb.lotteryRank;
  };

  const held = new Map<string, string[]>(canonical.groups.map((group) => [group.id, []]));
  const trace: RoundTrace[] = [];
  // Lottery order only makes the trace easy to read: the outcome is the same in any order.
  let free = tickets.map((ticket) => ticket.childId);
  let rounds = 0;
  for (;;) {
    const proposals = new Map<string, string[]>();
    const proposed: RoundTrace["proposals"] = [];
    for (const id of free) {
      const child = applicant(id);
      const choice = child.choices[child.next];
      if (!choice) continue; // list exhausted: unplaced
      child.next += 1;
      const list = proposals.get(choice.groupId) ?? [];
      list.push(id);
      proposals.set(choice.groupId, list);
      proposed.push({ childId: id, groupId: choice.groupId });
    }
    if (proposals.size === 0) break;
    rounds += 1;
    const rejected: string[] = [];
    for (const [groupId, proposers] of proposals) {
      const candidates = [...held.get(groupId)!, ...proposers].sort(compareAt(groupId));
      const seats = capacity.get(groupId)!;
      held.set(groupId, candidates.slice(0, seats));
      rejected.push(...candidates.slice(seats));
    }
    rejected.sort((a, b) => applicant(a).lotteryRank - applicant(b).lotteryRank);
    if (options.trace) {
      trace.push({
        round: rounds,
        proposals: proposed,
        held: [...held].filter(([, ids]) => ids.length > 0).map(([groupId, childIds]) => ({ groupId, childIds: [...childIds] })),
        rejected,
      });
    }
    free = rejected;
  }

  const assigned = new Map<string, string>();
  for (const [groupId, ids] of held) for (const id of ids) assigned.set(id, groupId);
  const priorityAt = (child: Applicant, groupId: string): GroupPriority => ({
    categoryRank: child.rankAt.get(groupId) ?? null,
    lottery: child.lottery,
    lotteryRank: child.lotteryRank,
  });

  const waitlists = new Map<string, string[]>(canonical.groups.map((group) => [group.id, []]));
  /** `${groupId} ${childId}` -> 1-based place among the campaign's unplaced children in that group's queue. */
  const waitlistPosition = new Map<string, number>();
  for (const ticket of tickets) {
    if (assigned.has(ticket.childId)) continue;
    for (const choice of applicant(ticket.childId).choices) {
      const list = waitlists.get(choice.groupId)!;
      list.push(ticket.childId);
      waitlistPosition.set(`${choice.groupId} ${ticket.childId}`, list.length);
    }
  }

  const groups: GroupOutcome[] = canonical.groups.map((group) => {
    const admitted = held.get(group.id)!;
    const last = admitted.at(-1);
    return {
      groupId: group.id,
      capacity: group.capacity,
      admitted: [...admitted],
      freeSeats: group.capacity - admitted.length,
      cutoff: last === undefined ? null : priorityAt(applicant(last), group.id),
      waitlist: waitlists.get(group.id)!,
    };
  });
  const groupOutcome = new Map(groups.map((group) => [group.groupId, group]));

  const children: ChildOutcome[] = canonical.children.map(({ id }) => {
    const child = applicant(id);
    const groupId = assigned.get(id) ?? null;
    const won = groupId === null ? -1 : child.choices.findIndex((choice) => choice.groupId === groupId);
    const choices = child.choices.map((choice, index): ChoiceExplanation => {
      const choiceRank = index + 1;
      if (index === won) return { outcome: "admitted", groupId: choice.groupId, choiceRank };
      if (won !== -1 && index > won) return { outcome: "not_reached", groupId: choice.groupId, choiceRank };
      const group = groupOutcome.get(choice.groupId)!;
      if (group.capacity === 0) return { outcome: "no_seats", groupId: choice.groupId, choiceRank };
      const yours = priorityAt(child, choice.groupId);
      const cutoff = group.cutoff;
      // Deferred acceptance only rejects a child from a group full of children ranked above it,
      // and a group never lets go of a child for a worse one; anything else is a bug here.
      if (group.freeSeats > 0 || cutoff === null || compareAt(choice.groupId)(group.admitted.at(-1)!, id) >= 0) {
        throw new Error(`campaign invariant broken: child ${id} rejected by group ${choice.groupId} that is not full of higher priorities`);
      }
      const decidedBy = (cutoff.categoryRank ?? LAST) < (yours.categoryRank ?? LAST) ? "category" : "lottery";
      return { outcome: "outranked", groupId: choice.groupId, choiceRank, capacity: group.capacity, decidedBy, yours, cutoff };
    });
    return {
      childId: id,
      groupId,
      choiceRank: won === -1 ? null : won + 1,
      lottery: child.lottery,
      lotteryRank: child.lotteryRank,
      choices,
      waitlists:
        groupId === null
          ? child.choices.map((choice) => ({ groupId: choice.groupId, position: waitlistPosition.get(`${choice.groupId} ${id}`)! }))
          : [],
    };
  });

  return {
    algorithm: CAMPAIGN_ALGORITHM,
    seed,
    seedCommitment: commitSeed(seed),
    inputDigest: inputDigest(canonical),
    rounds,
    assignment: Object.fromEntries(children.map((child) => [child.childId, child.groupId])),
    children,
    groups,
    ...(options.trace ? { trace } : {}),
  };
}
