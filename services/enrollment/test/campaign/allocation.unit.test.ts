import { describe, expect, it } from "vitest";
import { isDomainError } from "@kruzhok/errors";
import {
  allocateCampaign,
  canonicalise,
  fromCanonical,
  commitSeed,
  drawLottery,
  explainOutcome,
  inputDigest,
  verifySeedReveal,
  type CampaignInput,
} from "../../src/domain/campaign";

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    if (isDomainError(error)) return error.code;
    throw error;
  }
};

/**
 * The hand-checked example.
 *
 * Seed 5eed…5eed (32 hex digits). Lottery, SHA-256("5eed…5eed:" + id), best first:
 *   1 dan 2eacbf08…   2 ann 59ee1831…   3 cat 7a5f0ec9…   4 bob 963b72f2…   5 eve ad65f8b6…   6 fay f131bb23…
 * Categories: ann has the municipality's first category (rank 0) everywhere, eve the second
 * (rank 1); fay has rank 0 at C only (a sibling there); the others have none (ranked last).
 * Groups: A 1 seat, B 2 seats, C 1 seat. K = 3.
 *
 *   ann: A, B        bob: A, C, B      cat: B, A
 *   dan: A, B        eve: B, C         fay: C, A
 *
 * Round 1. Proposals: dan→A, ann→A, cat→B, bob→A, eve→B, fay→C.
 *   A (1): ann (cat 0) > dan (none, #1) > bob (none, #4): holds ann; rejects dan, bob.
 *   B (2): eve (cat 1) > cat (none, #3): holds eve, cat.
 *   C (1): fay (cat 0 at C): holds fay.
 * Round 2. Proposals: dan→B, bob→C.
 *   B (2): eve > dan (#1) > cat (#3): holds eve, dan; rejects cat.
 *   C (1): fay (cat 0) > bob (none): holds fay; rejects bob.
 * Round 3. Proposals: cat→A, bob→B.
 *   A (1): ann > cat: rejects cat.
 *   B (2): eve > dan > bob (#4): rejects bob.
 * Round 4. cat (B, A) and bob (A, C, B) have no choices left: nobody proposes. Done.
 *
 * Result: ann→A, dan→B, eve→B, fay→C; cat and bob unplaced, and join the queues of their
 * choices in lottery order: A [cat, bob], B [cat, bob], C [bob].
 */
const seed = "5eed".repeat(8);
const example: CampaignInput = {
  maxChoices: 3,
  groups: [
    { id: "A", capacity: 1 },
    { id: "B", capacity: 2 },
    { id: "C", capacity: 1 },
  ],
  children: [
    { id: "ann", choices: ["A", "B"], categoryRank: 0 },
    { id: "bob", choices: ["A", "C", "B"] },
    { id: "cat", choices: ["B", "A"], categoryRank: null },
    { id: "dan", choices: ["A", "B"] },
    { id: "eve", choices: ["B", "C"], categoryRank: 1 },
    { id: "fay", choices: ["C", "A"], categoryRankByGroup: { C: 0 } },
  ],
};

describe("allocation campaign: the hand-checked example", () => {
  const result = allocateCampaign(example, seed, { trace: true });
  const child = (id: string) => result.children.find((c) => c.childId === id)!;

  it("draws the lottery written out above", () => {
    expect(drawLottery(seed, ["ann", "bob", "cat", "dan", "eve", "fay"]).map((t) => t.childId)).toEqual(["dan", "ann", "cat", "bob", "eve", "fay"]);
  });

  it("runs the rounds written out above", () => {
    expect(result.rounds).toBe(3);
    expect(result.trace).toEqual([
      {
        round: 1,
        proposals: [
          { childId: "dan", groupId: "A" },
          { childId: "ann", groupId: "A" },
          { childId: "cat", groupId: "B" },
          { childId: "bob", groupId: "A" },
          { childId: "eve", groupId: "B" },
          { childId: "fay", groupId: "C" },
        ],
        held: [
          { groupId: "A", childIds: ["ann"] },
          { groupId: "B", childIds: ["eve", "cat"] },
          { groupId: "C", childIds: ["fay"] },
        ],
        rejected: ["dan", "bob"],
      },
      {
        round: 2,
        proposals: [
          { childId: "dan", groupId: "B" },
          { childId: "bob", groupId: "C" },
        ],
        held: [
          { groupId: "A", childIds: ["ann"] },
          { groupId: "B", childIds: ["eve", "dan"] },
          { groupId: "C", childIds: ["fay"] },
        ],
        rejected: ["cat", "bob"],
      },
      {
        round: 3,
        proposals: [
          { childId: "cat", groupId: "A" },
          { childId: "bob", groupId: "B" },
        ],
        held: [
          { groupId: "A", childIds: ["ann"] },
          { groupId: "B", childIds: ["eve", "dan"] },
          { groupId: "C", childIds: ["fay"] },
        ],
        rejected: ["cat", "bob"],
      },
    ]);
  });

  it("assigns ann→A, dan→B, eve→B, fay→C and leaves bob and cat unplaced", () => {
    expect(result.assignment).toEqual({ ann: "A", bob: null, cat: null, dan: "B", eve: "B", fay: "C" });
    expect(Object.keys(result.assignment)).toEqual(["ann", "bob", "cat", "dan", "eve", "fay"]);
  });

  it("puts the unplaced children into their choices' queues in lottery order", () => {
    expect(result.groups.map((g) => [g.groupId, g.waitlist])).toEqual([
      ["A", ["cat", "bob"]],
      ["B", ["cat", "bob"]],
      ["C", ["bob"]],
    ]);
    expect(child("bob").waitlists).toEqual([
      { groupId: "A", position: 2 },
      { groupId: "C", position: 1 },
      { groupId: "B", position: 2 },
    ]);
    expect(child("ann").waitlists).toEqual([]);
  });

  it("explains to bob each refusal with the cut-off: category at A and C, lottery at B", () => {
    const bob = child("bob");
    expect(bob.lotteryRank).toBe(4);
    expect(bob.choices).toMatchObject([
      { outcome: "outranked", groupId: "A", choiceRank: 1, decidedBy: "category", yours: { categoryRank: null, lotteryRank: 4 }, cutoff: { categoryRank: 0, lotteryRank: 2 } },
      { outcome: "outranked", groupId: "C", choiceRank: 2, decidedBy: "category", yours: { categoryRank: null, lotteryRank: 4 }, cutoff: { categoryRank: 0, lotteryRank: 6 } },
      { outcome: "outranked", groupId: "B", choiceRank: 3, decidedBy: "lottery", yours: { categoryRank: null, lotteryRank: 4 }, cutoff: { categoryRank: null, lotteryRank: 1 } },
    ]);
    // The cut-off names numbers, never the other family's child.
    expect(JSON.stringify(bob.choices)).not.toContain("dan");
  });

  it("tells bob a category beat him without naming the last admitted child's category, in Russian or Kazakh, naming groups as families know them", () => {
    const names = new Map([["A", "«Шахматы», вт 15:00–16:30"]]);
    const sentences = explainOutcome(child("bob"), ["orphan", "disability"], [], "ru", names).choices.map((c) => c.sentence);
    expect(sentences[0]).toBe(
      "Выбор 1 — «Шахматы», вт 15:00–16:30: все 1 место получили дети с более высокой льготной категорией, чем у вас. " +
        "Ваше положение: без льготной категории, место в жеребьёвке 4; у последнего принятого ребёнка: более высокая льготная категория, место в жеребьёвке 2.",
    );
    expect(sentences.join(" ")).not.toMatch(/orphan|disability|сирот|инвалидн/);
    const kk = explainOutcome(child("bob"), ["orphan", "disability"], [], "kk", names).choices.map((c) => c.sentence);
    expect(kk[0]).toContain("1-таңдау — «Шахматы»");
    expect(kk[0]).toContain("соңғы қабылданған балада: жоғарырақ жеңілдік санаты, жеребедегі орын 2");
    expect(kk.join(" ")).not.toMatch(/orphan|disability|жетім|мүгедек/);
  });

  it("tells dan it lost A to a category and won its second choice; tells fay and eve their later choices were not needed", () => {
    expect(child("dan")).toMatchObject({ groupId: "B", choiceRank: 2 });
    expect(child("dan").choices.map((c) => [c.groupId, c.outcome])).toEqual([
      ["A", "outranked"],
      ["B", "admitted"],
    ]);
    expect(child("fay").choices.map((c) => c.outcome)).toEqual(["admitted", "not_reached"]);
    expect(child("eve").choices.map((c) => c.outcome)).toEqual(["admitted", "not_reached"]);
  });

  it("publishes the seed, its commitment and the input digest, so the draw can be re-run by anyone", () => {
    expect(result.seed).toBe(seed);
    expect(result.seedCommitment).toBe("01166fc1623d728696b6fccfd8bae56a41326830e060749c32776967374cffda");
    expect(verifySeedReveal(result.seed, result.seedCommitment)).toBe(true);
    expect(result.inputDigest).toBe(inputDigest(canonicalise(example)));
    expect(allocateCampaign(example, result.seed)).toEqual({ ...result, trace: undefined });
  });

  it("draws the same from the published canonical input as from the original (what the service and an auditor run)", () => {
    const canonical = canonicalise(example);
    expect(canonicalise(fromCanonical(canonical))).toEqual(canonical);
    expect(allocateCampaign(fromCanonical(JSON.parse(JSON.stringify(canonical)) as typeof canonical), seed)).toEqual({ ...result, trace: undefined });
  });
});

describe("allocation campaign: edge cases", () => {
  it("given a group without seats, explains 'no seats' and places the child at its next choice", () => {
    const result = allocateCampaign(
      {
        maxChoices: 2,
        groups: [
          { id: "A", capacity: 0 },
          { id: "B", capacity: 1 },
        ],
        children: [{ id: "x", choices: ["A", "B"] }],
      },
      seed,
    );
    expect(result.children[0]!.choices.map((c) => c.outcome)).toEqual(["no_seats", "admitted"]);
    expect(result.groups[0]).toMatchObject({ groupId: "A", admitted: [], cutoff: null, freeSeats: 0 });
  });

  it("given more seats than applicants, admits everyone and leaves the rest free", () => {
    const result = allocateCampaign(
      { maxChoices: 1, groups: [{ id: "A", capacity: 5 }], children: [{ id: "x", choices: ["A"] }, { id: "y", choices: ["A"] }] },
      seed,
    );
    expect(result.groups[0]).toMatchObject({ freeSeats: 3, waitlist: [] });
    expect(result.assignment).toEqual({ x: "A", y: "A" });
  });

  it("given no children, allocates nothing in zero rounds", () => {
    const result = allocateCampaign({ maxChoices: 1, groups: [{ id: "A", capacity: 1 }], children: [] }, seed);
    expect(result).toMatchObject({ rounds: 0, assignment: {}, children: [] });
  });

  it("given a group-specific rank, it counts only at that group", () => {
    // ann ranks first at B only, beating dan (the better lottery number) there; dan then takes A.
    const input: CampaignInput = {
      maxChoices: 2,
      groups: [
        { id: "A", capacity: 1 },
        { id: "B", capacity: 1 },
      ],
      children: [
        { id: "dan", choices: ["B", "A"] },
        { id: "ann", choices: ["B", "A"], categoryRankByGroup: { B: 0 } },
      ],
    };
    expect(allocateCampaign(input, seed).assignment).toEqual({ ann: "B", dan: "A" });
  });

  it("refuses broken input with ENROLLMENT.CAMPAIGN_INPUT_INVALID and a bad seed with ENROLLMENT.CAMPAIGN_SEED_INVALID", () => {
    const groups = [
      { id: "A", capacity: 1 },
      { id: "B", capacity: 1 },
    ];
    const run = (children: CampaignInput["children"], maxChoices = 1, g = groups) => () => allocateCampaign({ maxChoices, groups: g, children }, seed);
    expect(codeOf(run([{ id: "x", choices: ["A", "B"] }]))).toBe("ENROLLMENT.CAMPAIGN_INPUT_INVALID"); // more than K
    expect(codeOf(run([{ id: "x", choices: ["Z"] }]))).toBe("ENROLLMENT.CAMPAIGN_INPUT_INVALID"); // unknown group
    expect(codeOf(run([{ id: "x", choices: ["A", "A"] }], 2))).toBe("ENROLLMENT.CAMPAIGN_INPUT_INVALID"); // twice
    expect(codeOf(run([{ id: "x", choices: [] }]))).toBe("ENROLLMENT.CAMPAIGN_INPUT_INVALID"); // nothing chosen
    expect(codeOf(run([{ id: "x", choices: ["A"] }, { id: "x", choices: ["B"] }]))).toBe("ENROLLMENT.CAMPAIGN_INPUT_INVALID");
    expect(codeOf(run([{ id: "x", choices: ["A"] }], 1, [...groups, { id: "A", capacity: 3 }]))).toBe("ENROLLMENT.CAMPAIGN_INPUT_INVALID");
    expect(codeOf(run([{ id: "x", choices: ["A"], categoryRank: -1 }]))).toBe("ENROLLMENT.CAMPAIGN_INPUT_INVALID");
    for (const bad of ["", "abc", "5EED".repeat(8), `${"0".repeat(31)}:`]) {
      expect(codeOf(() => allocateCampaign({ maxChoices: 1, groups, children: [] }, bad)), bad).toBe("ENROLLMENT.CAMPAIGN_SEED_INVALID");
    }
  });
});

describe("seed commitment", () => {
  it("verifies the revealed seed against the commitment published before the draw, and nothing else", () => {
    const commitment = commitSeed(seed);
    expect(commitment).toMatch(/^[0-9a-f]{64}$/);
    expect(verifySeedReveal(seed, commitment)).toBe(true);
    expect(verifySeedReveal("5eed".repeat(7) + "5eee", commitment)).toBe(false);
    expect(verifySeedReveal(seed, commitment.replace(/.$/, (d) => (d === "0" ? "1" : "0")))).toBe(false);
    expect(verifySeedReveal(seed, "not a commitment")).toBe(false);
    expect(verifySeedReveal("not a seed", commitment)).toBe(false);
  });
});
