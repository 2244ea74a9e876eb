import type { ChildOutcome, ChoiceExplanation, GroupPriority } from "./allocate";

/**
 * What a family reads about its campaign result: one sentence per choice and one summary. The
 * sentences name category codes by the municipality's order and lottery ranks, never another
 * family's child. Pure: the caller hands in the outcome, the category order and what the draw
 * then did with the child's applications.
 */

/** What the draw did after the allocation: the application created, or the rule that refused it then. */
export interface PlacementFact {
  groupId: string;
  kind: "admitted" | "waitlisted";
  applicationId: string | null;
  refusalCode: string | null;
  refusalDetail: string | null;
}

export interface ChoiceSentence {
  groupId: string;
  choiceRank: number;
  outcome: ChoiceExplanation["outcome"];
  sentence: string;
}

export interface FamilyExplanation {
  summary: string;
  choices: ChoiceSentence[];
}

function categoryName(order: readonly string[], rank: number | null): string {
  if (rank === null) return "no social category";
  const code = order[rank];
  return code === undefined ? `category rank ${rank + 1}` : `category ${code} (rank ${rank + 1} of ${order.length})`;
}

function standing(order: readonly string[], p: GroupPriority): string {
  return `${categoryName(order, p.categoryRank)}, lottery rank ${p.lotteryRank}`;
}

function sentenceOf(choice: ChoiceExplanation, order: readonly string[], placement: PlacementFact | undefined): string {
  const which = `Choice ${choice.choiceRank} (group ${choice.groupId})`;
  switch (choice.outcome) {
    case "admitted": {
      if (placement?.refusalCode) {
        return `${which}: the draw gave your child a seat here, but the application could not be made then (${placement.refusalCode}: ${placement.refusalDetail ?? ""}); the seat passed to the group's queue.`;
      }
      return `${which}: your child got a seat here; accept the offer before its deadline.`;
    }
    case "no_seats":
      return `${which}: the group had no free seats in this campaign.`;
    case "not_reached":
      return `${which}: not needed, because your child got a choice you ranked higher.`;
    case "outranked": {
      const reason =
        choice.decidedBy === "category"
          ? `every one of its ${choice.capacity} seats went to a child with a higher social category than yours`
          : `its ${choice.capacity} seats went to children with a social category as high as yours or higher, and within your category to better lottery numbers`;
      // Which category the last child admitted has is that child's special-category data: a family
      // beaten by category learns only that it was higher (a lottery cut-off shares the family's own).
      const cutoff = choice.decidedBy === "category" ? `a higher social category, lottery rank ${choice.cutoff.lotteryRank}` : standing(order, choice.cutoff);
      return `${which}: ${reason}. Your standing: ${standing(order, choice.yours)}; the last child admitted: ${cutoff}.`;
    }
  }
}

export function explainOutcome(outcome: ChildOutcome, order: readonly string[], placements: readonly PlacementFact[]): FamilyExplanation {
  const placementAt = new Map(placements.map((p) => [p.groupId, p]));
  const choices = outcome.choices.map((choice) => ({
    groupId: choice.groupId,
    choiceRank: choice.choiceRank,
    outcome: choice.outcome,
    sentence: sentenceOf(choice, order, placementAt.get(choice.groupId)),
  }));
  let summary: string;
  if (outcome.groupId !== null) {
    summary = `Your child was admitted to choice ${outcome.choiceRank} (group ${outcome.groupId}); lottery rank ${outcome.lotteryRank}.`;
  } else {
    const waiting = outcome.waitlists
      .map((w) => {
        const p = placementAt.get(w.groupId);
        return p?.refusalCode ? `group ${w.groupId}: not queued (${p.refusalCode})` : `group ${w.groupId}: ${ordinal(w.position)} of the campaign's unplaced children`;
      })
      .join("; ");
    summary =
      `No choice had a seat for your child (lottery rank ${outcome.lotteryRank}). Your child now waits in the queues of its choices, ` +
      `joined in lottery order after the draw (${waiting}); a seat that frees up is offered by the queue's rule, category first.`;
  }
  return { summary, choices };
}

function ordinal(n: number): string {
  return `${n}${n % 100 >= 11 && n % 100 <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th")}`;
}
