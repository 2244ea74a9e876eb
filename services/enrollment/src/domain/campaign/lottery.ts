import { createHash, timingSafeEqual } from "node:crypto";
import { CampaignSeed, campaignError } from "./input";

/**
 * The lottery and its seed commitment.
 *
 * Protocol (each step published where families can see it):
 *  1. When the window opens, the municipality publishes `commitSeed(seed)`; the seed stays secret.
 *  2. When the window closes, it publishes the input digest: the inputs are frozen.
 *  3. It reveals the seed and runs the draw. Anyone checks `verifySeedReveal(seed, commitment)`,
 *     recomputes the lottery and the allocation, and compares.
 * The commitment stops the operator choosing a seed after seeing the applications; the digest
 * stops it editing applications after the seed is known.
 *
 * REVIEW: whoever holds the secret seed during the window could compute every child's number
 * early. If that is a concern, mix in a public randomness beacon drawn after the close
 * (`seed = sha256(committed ‖ beacon)`); the functions below do not change.
 */

/** SHA-256 of the seed, hex: what is published before the draw. */
export function commitSeed(seed: string): string {
  assertSeed(seed);
  return createHash("sha256").update(seed).digest("hex");
}

/** Does the revealed seed match the commitment published before the draw? */
export function verifySeedReveal(seed: string, commitment: string): boolean {
  if (!CampaignSeed.safeParse(seed).success || !/^[0-9a-f]{64}$/.test(commitment)) return false;
  return timingSafeEqual(Buffer.from(commitSeed(seed), "hex"), Buffer.from(commitment, "hex"));
}

/**
 * A child's lottery number: SHA-256 of `seed:childId` as 64 hex digits; lower is better. The seed
 * is hex and holds no ':', so the concatenation is unambiguous. Hex strings of equal length
 * compare as the numbers they spell.
 *
 * One number per child, shared by every group (single tie-breaking). Any tie-break fixed
 * independently of what families submit keeps deferred acceptance strategy-proof; a single one
 * also avoids the avoidable inefficiency of a separate lottery per group (Abdulkadiroğlu, Pathak
 * and Roth, NYC high schools) and gives each family one number to check and understand.
 */
export function lotteryNumber(seed: string, childId: string): string {
  return createHash("sha256").update(`${seed}:${childId}`).digest("hex");
}

export function assertSeed(seed: string): void {
  const parsed = CampaignSeed.safeParse(seed);
  if (!parsed.success) throw campaignError("SEED_INVALID", parsed.error.issues[0]?.message ?? "invalid seed", { field: "seed" });
}

export interface LotteryTicket {
  childId: string;
  /** 64 hex digits; lower draws earlier. */
  lottery: string;
  /** 1 for the best number among the campaign's children. */
  lotteryRank: number;
}

/** Every child's ticket in lottery order (best first). Ties, practically impossible, fall back to the id. */
export function drawLottery(seed: string, childIds: readonly string[]): LotteryTicket[] {
  assertSeed(seed);
  return childIds
    .map((childId) => ({ childId, lottery: lotteryNumber(seed, childId) }))
    .sort((a, b) => compareStrings(a.lottery, b.lottery) || compareStrings(a.childId, b.childId))
    .map((ticket, index) => ({ ...ticket, lotteryRank: index + 1 }));
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
