import { describe, expect, it } from "vitest";
import { allocateCampaign, type CampaignInput } from "../../src/domain/campaign";
import { allLists, hexSeed, int, permutations, preferenceIndex, prng, randomInstance, shuffle } from "./instances";

/**
 * Strategy-proofness, checked by brute force on small markets (2–4 groups, K = 2–3, up to 5
 * children): for one child at a time, with everyone else's list fixed, every list of at most K
 * choices the child could have submitted is tried.
 *
 * What holds, and what is checked:
 *  1. A family whose acceptable groups fit in K choices cannot do better than listing them
 *     truthfully: no other list of ≤ K choices gets it a group it prefers (full strategy-proofness
 *     of deferred acceptance, because every lie is also available in the uncapped game).
 *  2. A family that likes more than K groups must choose which K to list, and there a lie can
 *     pay: leaving out a popular group it cannot get in favour of a safer one (Haeringer and
 *     Klijn, 2009). What still holds is that, whatever set it lists, listing it in its true order
 *     is never worse than any other order of the same set. Checked for every subset and order.
 *  3. The example of the weaker sense in (2), so that nobody reads (1) as more than it says.
 */

const outcomeOf = (input: CampaignInput, seed: string, childId: string, list: readonly string[]): string | null =>
  allocateCampaign({ ...input, children: input.children.map((c) => (c.id === childId ? { ...c, choices: [...list] } : c)) }, seed).assignment[childId] ??
  null;

function* smallMarkets(count: number, salt: number) {
  for (let n = 0; n < count; n++) {
    const random = prng(salt * 7_919 + n);
    const groups = int(random, 2, 4);
    const k = Math.min(groups, int(random, 2, 3));
    const input = randomInstance(random, { groups: [groups, groups], capacity: [0, 2], children: [2, 5], maxChoices: [k, k] });
    yield { n, random, input, seed: hexSeed(random) };
  }
}

describe("strategy-proofness on small markets (brute force)", () => {
  it("(1) no family whose true list fits in K can get a group it prefers by submitting any other list of ≤ K choices", () => {
    let deviationsTried = 0;
    for (const { n, input, seed } of smallMarkets(200, 1)) {
      const truthful = allocateCampaign(input, seed).assignment;
      const groupIds = input.groups.map((g) => g.id);
      for (const child of input.children) {
        const truth = child.choices; // its submitted list is its true preference; unlisted groups are unacceptable
        const honest = preferenceIndex(truth, truthful[child.id] ?? null);
        for (const lie of allLists(groupIds, input.maxChoices)) {
          deviationsTried++;
          const got = outcomeOf(input, seed, child.id, lie);
          expect(preferenceIndex(truth, got), `market ${n}: ${child.id} lists ${lie.join(">")} instead of ${truth.join(">")}`).toBeGreaterThanOrEqual(honest);
        }
      }
    }
    expect(deviationsTried).toBeGreaterThan(10_000);
  });

  it("(2) whatever set of ≤ K groups a family lists, its true order is never worse than another order of the same set", () => {
    for (const { n, random, input, seed } of smallMarkets(120, 2)) {
      const groupIds = input.groups.map((g) => g.id);
      for (const child of input.children) {
        const truth = shuffle(random, groupIds); // a full true ranking, possibly longer than K
        for (const listed of allLists(groupIds, input.maxChoices)) {
          const trueOrder = [...listed].sort((a, b) => truth.indexOf(a) - truth.indexOf(b));
          if (listed.join() !== trueOrder.join()) continue; // each set once, in true order
          const honest = preferenceIndex(truth, outcomeOf(input, seed, child.id, trueOrder));
          for (const order of permutations(trueOrder)) {
            const got = preferenceIndex(truth, outcomeOf(input, seed, child.id, order));
            expect(got, `market ${n}: ${child.id} orders ${order.join(">")} (true ${truth.join(">")})`).toBeGreaterThanOrEqual(honest);
          }
        }
      }
    }
  });

  it("(3) with K smaller than the number of groups, listing the top K truthfully can lose to a safer list", () => {
    // me truly prefers A to B; first has priority at A. With K = 1, listing A leaves me unplaced; listing B wins B.
    const input: CampaignInput = {
      maxChoices: 1,
      groups: [
        { id: "A", capacity: 1 },
        { id: "B", capacity: 1 },
      ],
      children: [
        { id: "first", choices: ["A"], categoryRank: 0 },
        { id: "me", choices: ["A"] },
      ],
    };
    const seed = "ab".repeat(16);
    expect(outcomeOf(input, seed, "me", ["A"])).toBeNull();
    expect(outcomeOf(input, seed, "me", ["B"])).toBe("B");
    // With K = 2 the truthful list A > B gets B: the cap, not the algorithm, made the lie pay.
    expect(outcomeOf({ ...input, maxChoices: 2 }, seed, "me", ["A", "B"])).toBe("B");
  });
});
