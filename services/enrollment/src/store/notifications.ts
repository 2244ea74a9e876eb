import type { Currency } from "@kruzhok/contracts";
import type { Queryable } from "@kruzhok/postgres";

/** What every notification about an application carries besides its own facts. */
export interface NotificationContext {
  /** The guardian who applied, or every guardian of the child when an operator applied. */
  guardianIds: string[];
  currency: Currency;
  timeZone: string;
  programTitle: string | null;
}

/** The addressees and wording facts of a notification about `applicationId`. */
export async function notificationContext(db: Queryable, applicationId: string): Promise<NotificationContext | undefined> {
  const { rows } = await db.query<NotificationContext>(
    `SELECT CASE WHEN a.guardian_id IS NOT NULL THEN ARRAY[a.guardian_id::text]
                 ELSE ARRAY(SELECT cg.guardian_id::text FROM child_guardians cg WHERE cg.child_id = a.child_id ORDER BY cg.guardian_id) END
              AS "guardianIds",
            coalesce(m.currency, 'RUB') AS currency, m.time_zone AS "timeZone", nullif(p.title, '') AS "programTitle"
       FROM applications a
       JOIN municipalities m ON m.id = a.municipality_id
       LEFT JOIN programs p ON p.id = a.program_id
      WHERE a.id = $1`,
    [applicationId],
  );
  return rows[0];
}

export async function setMunicipalityCurrency(db: Queryable, municipalityId: string, currency: Currency): Promise<void> {
  await db.query("UPDATE municipalities SET currency = $2 WHERE id = $1", [municipalityId, currency]);
}

export async function upsertProgramTitle(db: Queryable, programId: string, title: string, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO programs (id, title, updated_at) VALUES ($1, $2, $3)
     ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, updated_at = EXCLUDED.updated_at`,
    [programId, title, now],
  );
}

export interface ExpiringOffer {
  offerId: string;
  applicationId: string;
  groupId: string;
  municipalityId: string;
  deadlineAt: Date;
}

/**
 * The reminder's lead of an offer: `lead.override` when given (a test, an operator's sweep), else
 * its municipality's setting in force at the moment of reminding, else `lead.defaultMs`. SQL over
 * `o` (offers) and `s` (`inForce`, joined on the offer's municipality).
 */
const leadOf = (override: string, fallback: string) =>
  `make_interval(secs => COALESCE(${override}::double precision / 1000, s.offer_reminder_hours * 3600.0, ${fallback}::double precision / 1000))`;

/**
 * Each municipality's reminder lead in force at `now` (a timestamptz parameter), on its local
 * date: one row per municipality that has a version in force, joined by hash as the one row per
 * municipality was before versions were kept.
 */
const inForce = (now: string) =>
  `(SELECT DISTINCT ON (v.municipality_id) v.municipality_id, v.offer_reminder_hours
      FROM municipality_settings v JOIN municipalities m ON m.id = v.municipality_id
     WHERE v.effective_from <= (${now}::timestamptz AT TIME ZONE m.time_zone)::date
     ORDER BY v.municipality_id, v.effective_from DESC, v.seq DESC)`;

export interface ReminderLead {
  overrideMs: number | undefined;
  defaultMs: number;
}

/**
 * Lock and return open offers of the group whose deadline falls within `leadMs` after `now`
 * (not yet past) and whose notice has not gone out. An offer made closer to its deadline than
 * `leadMs` gets none: its "offer made" message already named the deadline.
 */
export async function offersToWarn(db: Queryable, groupId: string, now: Date, lead: ReminderLead): Promise<ExpiringOffer[]> {
  const { rows } = await db.query<ExpiringOffer>(
    `SELECT o.id AS "offerId", o.application_id AS "applicationId", o.group_id AS "groupId", o.municipality_id AS "municipalityId", o.deadline_at AS "deadlineAt"
       FROM offers o LEFT JOIN ${inForce("$2")} s ON s.municipality_id = o.municipality_id
      WHERE o.group_id = $1 AND o.status = 'open' AND o.expiry_noticed_at IS NULL
        AND o.deadline_at > $2 AND o.deadline_at <= $2 + ${leadOf("$3", "$4")}
        AND o.made_at <= o.deadline_at - ${leadOf("$3", "$4")}
      ORDER BY o.deadline_at, o.id FOR UPDATE OF o`,
    [groupId, now, lead.overrideMs ?? null, lead.defaultMs],
  );
  return rows;
}

/** Groups that have an offer to warn about (see offersToWarn). */
export async function groupsWithOffersToWarn(db: Queryable, now: Date, lead: ReminderLead): Promise<string[]> {
  const { rows } = await db.query<{ groupId: string }>(
    `SELECT DISTINCT o.group_id AS "groupId" FROM offers o LEFT JOIN ${inForce("$1")} s ON s.municipality_id = o.municipality_id
      WHERE o.status = 'open' AND o.expiry_noticed_at IS NULL
        AND o.deadline_at > $1 AND o.deadline_at <= $1 + ${leadOf("$2", "$3")}
        AND o.made_at <= o.deadline_at - ${leadOf("$2", "$3")}
      ORDER BY 1`,
    [now, lead.overrideMs ?? null, lead.defaultMs],
  );
  return rows.map((r) => r.groupId);
}

export async function markExpiryNoticed(db: Queryable, offerId: string, now: Date): Promise<void> {
  await db.query("UPDATE offers SET expiry_noticed_at = $2 WHERE id = $1", [offerId, now]);
}

/** Applications of the group already told of their approach. */
export async function noticedPositions(db: Queryable, groupId: string): Promise<Set<string>> {
  const { rows } = await db.query<{ id: string }>("SELECT application_id AS id FROM position_notices WHERE group_id = $1", [groupId]);
  return new Set(rows.map((r) => r.id));
}

export async function recordPositionNotice(db: Queryable, groupId: string, applicationId: string, position: number, now: Date): Promise<void> {
  await db.query(
    "INSERT INTO position_notices (application_id, group_id, position, noticed_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    [applicationId, groupId, position, now],
  );
}

/** Forget the notices of applications no longer within the threshold (fallen back, or out of the queue). */
export async function forgetPositionNotices(db: Queryable, groupId: string, within: readonly string[]): Promise<void> {
  await db.query("DELETE FROM position_notices WHERE group_id = $1 AND NOT (application_id = ANY($2::uuid[]))", [groupId, within]);
}
