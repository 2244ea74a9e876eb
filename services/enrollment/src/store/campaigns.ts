import type { Queryable } from "@kruzhok/postgres";
import type { CampaignResult, CanonicalInput } from "../domain/campaign";
import { withSavepoint } from "./savepoints";

export type CampaignStatus = "announced" | "closed" | "drawn";

export interface CampaignRow {
  id: string;
  municipalityId: string;
  name: string;
  maxChoices: number;
  opensAt: Date;
  closesAt: Date;
  status: CampaignStatus;
  /** Secret until the draw: never shown while `status` is not `drawn`. */
  seed: string;
  seedCommitment: string;
  algorithm: string;
  input: CanonicalInput | null;
  inputDigest: string | null;
  closedAt: Date | null;
  result: CampaignResult | null;
  drawnAt: Date | null;
  createdBy: string;
  createdAt: Date;
  /** In the order the municipality listed them. */
  groupIds: string[];
}

const columns = `c.id, c.municipality_id AS "municipalityId", c.name, c.max_choices AS "maxChoices", c.opens_at AS "opensAt",
  c.closes_at AS "closesAt", c.status, c.seed, c.seed_commitment AS "seedCommitment", c.algorithm, c.input,
  c.input_digest AS "inputDigest", c.closed_at AS "closedAt", c.result, c.drawn_at AS "drawnAt", c.created_by AS "createdBy",
  c.created_at AS "createdAt",
  ARRAY(SELECT g.group_id FROM campaign_groups g WHERE g.campaign_id = c.id ORDER BY g.position) AS "groupIds"`;

export type NewCampaign = Pick<
  CampaignRow,
  "id" | "municipalityId" | "name" | "maxChoices" | "opensAt" | "closesAt" | "seed" | "seedCommitment" | "algorithm" | "createdBy" | "groupIds"
>;

/** Unique violation of campaign_groups_undrawn: a group is in another campaign not yet drawn. */
const isGroupTaken = (error: unknown) =>
  typeof error === "object" && error !== null && (error as { constraint?: string }).constraint === "campaign_groups_undrawn";

/**
 * Insert the campaign and its groups, in a savepoint: "group-taken" (and nothing written) when a
 * group is already in a campaign not yet drawn (the unique index `campaign_groups_undrawn`).
 */
export async function insertCampaign(db: Queryable, c: NewCampaign, now: Date): Promise<"inserted" | "group-taken"> {
  try {
    await withSavepoint(db, () => insertCampaignRows(db, c, now));
    return "inserted";
  } catch (error) {
    if (isGroupTaken(error)) return "group-taken";
    throw error;
  }
}

async function insertCampaignRows(db: Queryable, c: NewCampaign, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO campaigns (id, municipality_id, name, max_choices, opens_at, closes_at, status, seed, seed_commitment, algorithm, created_by, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'announced', $7, $8, $9, $10, $11)`,
    [c.id, c.municipalityId, c.name, c.maxChoices, c.opensAt, c.closesAt, c.seed, c.seedCommitment, c.algorithm, c.createdBy, now],
  );
  await db.query(
    `INSERT INTO campaign_groups (campaign_id, group_id, position)
     SELECT $1, g, p::int - 1 FROM unnest($2::uuid[]) WITH ORDINALITY AS t (g, p)`,
    [c.id, c.groupIds],
  );
}

/**
 * `lock`: "update" for the close and the draw; "share" for a family's choices, so that any number
 * of families submit at once while the close waits for them (and they for it), and no choice
 * commits after the close has read the choices.
 */
export async function findCampaign(db: Queryable, id: string, lock: "update" | "share" | false = false): Promise<CampaignRow | undefined> {
  const clause = lock === "update" ? " FOR UPDATE OF c" : lock === "share" ? " FOR SHARE OF c" : "";
  const { rows } = await db.query<CampaignRow>(`SELECT ${columns} FROM campaigns c WHERE c.id = $1${clause}`, [id]);
  return rows[0];
}

export async function listCampaigns(db: Queryable, municipalityId: string): Promise<CampaignRow[]> {
  const { rows } = await db.query<CampaignRow>(
    `SELECT ${columns} FROM campaigns c WHERE c.municipality_id = $1 ORDER BY c.opens_at DESC, c.id LIMIT 200`,
    [municipalityId],
  );
  return rows;
}

/** The campaign, not yet drawn, that holds the group; undefined when none does. */
export async function undrawnCampaignOfGroup(db: Queryable, groupId: string): Promise<{ id: string; closesAt: Date } | undefined> {
  const { rows } = await db.query<{ id: string; closesAt: Date }>(
    `SELECT c.id, c.closes_at AS "closesAt" FROM campaign_groups g JOIN campaigns c ON c.id = g.campaign_id
      WHERE g.group_id = $1 AND NOT g.drawn`,
    [groupId],
  );
  return rows[0];
}

/** Campaigns whose window is over and that are not drawn yet, oldest close first. */
export async function dueCampaigns(db: Queryable, now: Date): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(`SELECT id FROM campaigns WHERE status <> 'drawn' AND closes_at <= $1 ORDER BY closes_at, id`, [now]);
  return rows.map((r) => r.id);
}

export async function markClosed(db: Queryable, id: string, input: CanonicalInput, digest: string, now: Date): Promise<void> {
  await db.query(`UPDATE campaigns SET status = 'closed', input = $2, input_digest = $3, closed_at = $4 WHERE id = $1`, [id, JSON.stringify(input), digest, now]);
}

export async function markDrawn(db: Queryable, id: string, result: CampaignResult, now: Date): Promise<void> {
  await db.query(`UPDATE campaigns SET status = 'drawn', result = $2, drawn_at = $3 WHERE id = $1`, [id, JSON.stringify(result), now]);
  await db.query(`UPDATE campaign_groups SET drawn = true WHERE campaign_id = $1`, [id]);
}

// --- Choices ----------------------------------------------------------------------------------

export interface ChoiceRow {
  campaignId: string;
  childId: string;
  certificateId: string;
  guardianId: string | null;
  submittedBy: string;
  submittedRole: "guardian" | "operator";
  groupIds: string[];
  submittedAt: Date;
  updatedAt: Date;
}

const choiceColumns = `campaign_id AS "campaignId", child_id AS "childId", certificate_id AS "certificateId", guardian_id AS "guardianId",
  submitted_by AS "submittedBy", submitted_role AS "submittedRole", group_ids AS "groupIds", submitted_at AS "submittedAt", updated_at AS "updatedAt"`;

/** Insert or replace a child's ranked choices; the first submission's instant is kept. */
export async function upsertChoices(db: Queryable, c: Omit<ChoiceRow, "submittedAt" | "updatedAt">, now: Date): Promise<ChoiceRow> {
  const { rows } = await db.query<ChoiceRow>(
    `INSERT INTO campaign_choices (campaign_id, child_id, certificate_id, guardian_id, submitted_by, submitted_role, group_ids, submitted_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
     ON CONFLICT (campaign_id, child_id) DO UPDATE SET certificate_id = EXCLUDED.certificate_id, guardian_id = EXCLUDED.guardian_id,
       submitted_by = EXCLUDED.submitted_by, submitted_role = EXCLUDED.submitted_role, group_ids = EXCLUDED.group_ids, updated_at = EXCLUDED.updated_at
     RETURNING ${choiceColumns}`,
    [c.campaignId, c.childId, c.certificateId, c.guardianId, c.submittedBy, c.submittedRole, c.groupIds, now],
  );
  return rows[0]!;
}

export async function findChoices(db: Queryable, campaignId: string, childId: string): Promise<ChoiceRow | undefined> {
  const { rows } = await db.query<ChoiceRow>(`SELECT ${choiceColumns} FROM campaign_choices WHERE campaign_id = $1 AND child_id = $2`, [campaignId, childId]);
  return rows[0];
}

export async function deleteChoices(db: Queryable, campaignId: string, childId: string): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM campaign_choices WHERE campaign_id = $1 AND child_id = $2`, [campaignId, childId]);
  return rowCount === 1;
}

export async function allChoices(db: Queryable, campaignId: string): Promise<ChoiceRow[]> {
  const { rows } = await db.query<ChoiceRow>(`SELECT ${choiceColumns} FROM campaign_choices WHERE campaign_id = $1 ORDER BY child_id`, [campaignId]);
  return rows;
}

/**
 * What the close freezes of every child with choices, in one statement: the choices, the codes of
 * its categories in force on the local date `on`, and whether its certificate is still in force
 * in the campaign's municipality.
 */
export async function choosersAtClose(
  db: Queryable,
  campaignId: string,
  on: string,
): Promise<{ childId: string; groupIds: string[]; codes: string[]; certificateInForce: boolean }[]> {
  const { rows } = await db.query<{ childId: string; groupIds: string[]; codes: string[]; certificateInForce: boolean }>(
    `SELECT c.child_id AS "childId", c.group_ids AS "groupIds",
            ARRAY(SELECT k.code FROM child_categories k WHERE k.child_id = c.child_id
                     AND (k.valid_from IS NULL OR k.valid_from <= $2::date) AND (k.valid_until IS NULL OR k.valid_until >= $2::date)
                   ORDER BY k.code) AS codes,
            coalesce(t.status = 'active' AND t.municipality_id = k.municipality_id, false) AS "certificateInForce"
       FROM campaign_choices c
       JOIN campaigns k ON k.id = c.campaign_id
       LEFT JOIN certificates t ON t.child_id = c.child_id
      WHERE c.campaign_id = $1
      ORDER BY c.child_id`,
    [campaignId, on],
  );
  return rows;
}

// --- Placements -------------------------------------------------------------------------------

export interface PlacementRow {
  childId: string;
  groupId: string;
  kind: "admitted" | "waitlisted";
  applicationId: string | null;
  refusalCode: string | null;
  refusalDetail: string | null;
}

export async function insertPlacement(db: Queryable, campaignId: string, p: PlacementRow): Promise<void> {
  await db.query(
    `INSERT INTO campaign_placements (campaign_id, child_id, group_id, kind, application_id, refusal_code, refusal_detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [campaignId, p.childId, p.groupId, p.kind, p.applicationId, p.refusalCode, p.refusalDetail],
  );
}

export async function placementsOfChild(db: Queryable, campaignId: string, childId: string): Promise<PlacementRow[]> {
  const { rows } = await db.query<PlacementRow>(
    `SELECT child_id AS "childId", group_id AS "groupId", kind, application_id AS "applicationId", refusal_code AS "refusalCode",
            refusal_detail AS "refusalDetail"
       FROM campaign_placements WHERE campaign_id = $1 AND child_id = $2`,
    [campaignId, childId],
  );
  return rows;
}

/** Addressees and wording facts of the families' result notices: each child's guardians (the one who ranked, or all). */
export async function resultAddressees(
  db: Queryable,
  campaignId: string,
): Promise<Map<string, { guardianIds: string[]; currency: "RUB" | "KZT"; timeZone: string }>> {
  const { rows } = await db.query<{ childId: string; guardianIds: string[]; currency: "RUB" | "KZT"; timeZone: string }>(
    `SELECT c.child_id AS "childId",
            CASE WHEN c.guardian_id IS NOT NULL THEN ARRAY[c.guardian_id::text]
                 ELSE ARRAY(SELECT cg.guardian_id::text FROM child_guardians cg WHERE cg.child_id = c.child_id ORDER BY cg.guardian_id) END
              AS "guardianIds",
            coalesce(m.currency, 'RUB') AS currency, m.time_zone AS "timeZone"
       FROM campaign_choices c JOIN campaigns k ON k.id = c.campaign_id JOIN municipalities m ON m.id = k.municipality_id
      WHERE c.campaign_id = $1`,
    [campaignId],
  );
  return new Map(rows.map(({ childId, ...rest }) => [childId, rest]));
}

/** How many queues each child of the campaign joined as waitlisted (children who joined none are absent). */
export async function waitlistedQueuesOfChildren(db: Queryable, campaignId: string): Promise<Map<string, number>> {
  const { rows } = await db.query<{ childId: string; queued: number }>(
    `SELECT child_id AS "childId", count(application_id)::int AS queued FROM campaign_placements
      WHERE campaign_id = $1 AND kind = 'waitlisted' GROUP BY child_id`,
    [campaignId],
  );
  return new Map(rows.map((r) => [r.childId, r.queued]));
}

/** Program and its public title of each group (the title as the catalogue announced it; null before). */
export async function programsOfGroups(db: Queryable, groupIds: readonly string[]): Promise<Map<string, { programId: string; title: string | null }>> {
  const { rows } = await db.query<{ groupId: string; programId: string; title: string | null }>(
    `SELECT g.id AS "groupId", g.program_id AS "programId", nullif(p.title, '') AS title
       FROM groups g LEFT JOIN programs p ON p.id = g.program_id WHERE g.id = ANY($1::uuid[])`,
    [groupIds],
  );
  return new Map(rows.map(({ groupId, ...rest }) => [groupId, rest]));
}

/** How many children have choices on file, and per group how many ranked it and how many ranked it first. */
export async function choiceTally(db: Queryable, campaignId: string): Promise<{ children: number; groups: { groupId: string; ranked: number; firstChoice: number }[] }> {
  // One after the other: `db` may be a transaction's client, which runs one query at a time.
  const children = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM campaign_choices WHERE campaign_id = $1`, [campaignId]);
  const groups = await db.query<{ groupId: string; ranked: number; firstChoice: number }>(
    `SELECT g.group_id AS "groupId", count(*)::int AS ranked, count(*) FILTER (WHERE g.rank = 1)::int AS "firstChoice"
       FROM campaign_choices c, unnest(c.group_ids) WITH ORDINALITY AS g(group_id, rank)
      WHERE c.campaign_id = $1
      GROUP BY g.group_id`,
    [campaignId],
  );
  return { children: children.rows[0]?.n ?? 0, groups: groups.rows };
}
