import { createHash } from "node:crypto";
import { z } from "zod";
import { DomainError, type DomainErrorDetails } from "@kruzhok/errors";

/**
 * What a campaign draw is run on: the groups with their seats, each child's ranked choices and
 * category priority, the seed and the cap K. Everything else (names, addresses) stays out: the
 * draw must be reproducible by anyone holding these inputs and the seed, and nothing more.
 */

/** Ids are opaque strings (UUIDs in production); the pattern keeps them safe as JSON keys and in canonical form. */
const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, "must be an id of letters, digits, '_', '.', ':' or '-'");

/**
 * Position of the child's best category in the municipality's ordered category list: 0 is the
 * highest priority. `null` means no category: ranked after every category.
 */
const CategoryRank = z.number().int().nonnegative().max(1_000).nullable();

/** 128 bits at least, lower-case hex: so `seed:childId` is unambiguous and the lottery unguessable. */
export const CampaignSeed = z
  .string()
  .regex(/^[0-9a-f]{32,128}$/, "must be 32 to 128 lower-case hex digits (at least 128 random bits)");

export const CampaignGroup = z.object({
  id: Id,
  capacity: z.number().int().nonnegative().max(100_000),
});

export const CampaignChild = z.object({
  id: Id,
  /** Ranked, best first; at most K and each group once. */
  choices: z.array(Id).min(1),
  /** The child's priority at every group; absent means no category. */
  categoryRank: CategoryRank.optional(),
  /** Overrides `categoryRank` at the groups named (a category that counts only at some groups, such as a sibling there). */
  categoryRankByGroup: z.record(Id, CategoryRank).optional(),
});

export const CampaignInput = z.object({
  /** K: how many ranked choices a family may submit. */
  maxChoices: z.number().int().min(1).max(20),
  groups: z.array(CampaignGroup),
  children: z.array(CampaignChild),
});

export type CampaignGroup = z.infer<typeof CampaignGroup>;
export type CampaignChild = z.infer<typeof CampaignChild>;
export type CampaignInput = z.infer<typeof CampaignInput>;

/**
 * The input in canonical form: groups and children sorted by id, each choice carrying the
 * child's effective category rank at that group (the only priority facts the draw uses). Two
 * inputs with the same canonical form give the same result under the same seed.
 */
export interface CanonicalInput {
  format: "kruzhok.campaign-input/v1";
  maxChoices: number;
  groups: { id: string; capacity: number }[];
  children: { id: string; choices: { groupId: string; categoryRank: number | null }[] }[];
}

export function campaignError(code: "INPUT_INVALID" | "SEED_INVALID", message: string, details: DomainErrorDetails = {}): DomainError {
  return new DomainError(`ENROLLMENT.CAMPAIGN_${code}`, "validation", message, details);
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Validate the input and bring it to canonical form; a broken rule is a validation error naming the field. */
export function canonicalise(raw: unknown): CanonicalInput {
  const parsed = CampaignInput.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw campaignError("INPUT_INVALID", issue?.message ?? "invalid campaign input", { field: issue?.path.join(".") ?? "" });
  }
  const input = parsed.data;
  const groups = [...input.groups].sort(byId);
  const known = new Set<string>();
  for (const [index, group] of groups.entries()) {
    if (known.has(group.id)) throw campaignError("INPUT_INVALID", `group ${group.id} is listed twice`, { field: `groups.${index}.id` });
    known.add(group.id);
  }
  const children = [...input.children].sort(byId);
  const seen = new Set<string>();
  const canonicalChildren = children.map((child) => {
    if (seen.has(child.id)) throw campaignError("INPUT_INVALID", `child ${child.id} is listed twice`, { field: "children", childId: child.id });
    seen.add(child.id);
    if (child.choices.length > input.maxChoices) {
      throw campaignError("INPUT_INVALID", `child ${child.id} ranks ${child.choices.length} groups; at most ${input.maxChoices} are allowed`, {
        field: "children.choices",
        childId: child.id,
      });
    }
    const chosen = new Set<string>();
    for (const groupId of child.choices) {
      if (!known.has(groupId)) throw campaignError("INPUT_INVALID", `child ${child.id} chose unknown group ${groupId}`, { field: "children.choices", childId: child.id });
      if (chosen.has(groupId)) throw campaignError("INPUT_INVALID", `child ${child.id} chose group ${groupId} twice`, { field: "children.choices", childId: child.id });
      chosen.add(groupId);
    }
    const byGroup = new Map(Object.entries(child.categoryRankByGroup ?? {}));
    return {
      id: child.id,
      choices: child.choices.map((groupId) => ({
        groupId,
        categoryRank: byGroup.has(groupId) ? (byGroup.get(groupId) ?? null) : (child.categoryRank ?? null),
      })),
    };
  });
  return {
    format: "kruzhok.campaign-input/v1",
    maxChoices: input.maxChoices,
    groups: groups.map(({ id, capacity }) => ({ id, capacity })),
    children: canonicalChildren,
  };
}

/**
 * SHA-256 of the canonical input as JSON (keys in the order written above, no spaces). Published
 * when the window closes and before the seed is revealed, so the inputs cannot be edited after
 * anyone could know the lottery.
 */
export function inputDigest(input: CanonicalInput): string {
  return createHash("sha256").update(JSON.stringify(input)).digest("hex");
}

/**
 * The input again from its canonical form: what an auditor holding the published input feeds to
 * `allocateCampaign`, and what the service itself draws on (so the draw runs on exactly the
 * bytes whose digest was published). `canonicalise(fromCanonical(c))` equals `c`.
 */
export function fromCanonical(canonical: CanonicalInput): CampaignInput {
  return {
    maxChoices: canonical.maxChoices,
    groups: canonical.groups.map(({ id, capacity }) => ({ id, capacity })),
    children: canonical.children.map((child) => ({
      id: child.id,
      choices: child.choices.map((choice) => choice.groupId),
      categoryRankByGroup: Object.fromEntries(child.choices.map((choice) => [choice.groupId, choice.categoryRank])),
    })),
  };
}
