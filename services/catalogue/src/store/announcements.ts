import type { z } from "zod";
import { GroupClosed, GroupOpened, GroupUpdated, type ProgramPublished, type ProgramUpdated } from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import type { Queryable } from "@kruzhok/postgres";
import type { ProgramRow } from "./programs";

// Events are full snapshots read back from the rows just written, in the same transaction
// (outbox): what consumers get is exactly what the catalogue stored.

type GroupData = z.input<typeof GroupOpened.data>;

const groupSnapshot = `SELECT p.municipality_id AS "municipalityId", json_build_object(
    'groupId', g.id, 'programId', p.id, 'providerId', p.provider_id, 'capacity', g.capacity,
    'schedule', json_build_object('timeZone', g.time_zone, 'slots', g.slots),
    'startsOn', to_char(g.starts_on, 'YYYY-MM-DD'), 'endsOn', to_char(g.ends_on, 'YYYY-MM-DD'), 'exceptions', g.exceptions,
    'direction', p.direction, 'ageRange', json_build_object('min', p.age_min, 'max', p.age_max),
    'pricePerHour', p.price_per_hour, 'currency', p.currency, 'fundingKind', p.funding_kind,
    'certificationExpiresOn', CASE WHEN p.funding_kind = 'financed' THEN to_char(p.certification_expiry, 'YYYY-MM-DD') END,
    'acceptingApplications', p.provider_approved AND p.status = 'published' AND g.status = 'open') AS data
  FROM groups g JOIN programs p ON p.id = g.program_id`;

type GroupScope = { groupId: string } | { programId: string } | { providerId: string } | { municipalityId: string };

/** Open groups of published programs in scope, as event snapshots. */
export async function openGroups(db: Queryable, scope: GroupScope): Promise<{ municipalityId: string; data: GroupData }[]> {
  const [column, id] =
    "groupId" in scope
      ? ["g.id", scope.groupId]
      : "programId" in scope
        ? ["p.id", scope.programId]
        : "providerId" in scope
          ? ["p.provider_id", scope.providerId]
          : ["p.municipality_id", scope.municipalityId];
  const { rows } = await db.query<{ municipalityId: string; data: GroupData }>(
    `${groupSnapshot} WHERE ${column} = $1 AND g.status = 'open' AND p.status = 'published' ORDER BY g.id`,
    [id],
  );
  return rows;
}

export async function announceGroupsOpened(db: Queryable, scope: GroupScope, cause: Cause, now: Date): Promise<number> {
  const groups = await openGroups(db, scope);
  for (const group of groups) {
    await emit(db, GroupOpened, { ...cause, municipalityId: group.municipalityId, aggregateId: group.data.groupId }, group.data, now);
  }
  return groups.length;
}

export async function announceGroupsUpdated(
  db: Queryable,
  scope: GroupScope,
  reason: z.input<typeof GroupUpdated.data>["reason"],
  cause: Cause,
  now: Date,
): Promise<number> {
  const groups = await openGroups(db, scope);
  for (const group of groups) {
    await emit(db, GroupUpdated, { ...cause, municipalityId: group.municipalityId, aggregateId: group.data.groupId }, { ...group.data, reason }, now);
  }
  return groups.length;
}

export async function announceGroupClosed(
  db: Queryable,
  group: { groupId: string; programId: string; providerId: string; municipalityId: string },
  reason: "closed" | "program_withdrawn",
  cause: Cause,
  now: Date,
): Promise<void> {
  const { municipalityId, ...ids } = group;
  await emit(db, GroupClosed, { ...cause, municipalityId, aggregateId: group.groupId }, { ...ids, reason }, now);
}

export function programSnapshot(p: ProgramRow): z.input<typeof ProgramPublished.data> {
  return {
    programId: p.id,
    providerId: p.providerId,
    title: p.title,
    direction: p.direction,
    ageRange: p.ageRange,
    totalHours: p.totalHours,
    weeklyHours: p.weeklyHours,
    pricePerHour: p.price.amount,
    currency: p.price.currency,
    fundingKind: p.fundingKind,
    certification: p.certification,
  };
}

export async function announceProgram(
  db: Queryable,
  contract: typeof ProgramPublished | typeof ProgramUpdated,
  program: ProgramRow,
  cause: Cause,
  now: Date,
): Promise<void> {
  await emit(db, contract, { ...cause, municipalityId: program.municipalityId, aggregateId: program.id }, programSnapshot(program), now);
}
