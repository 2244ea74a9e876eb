// Demo data for `npm start`. Enrollment's municipalities, certificates and groups arrive as
// registry and catalogue events (seeded by those services just before); this waits until they
// have, then acts as families and offices would, through enrollment's own HTTP API: in every
// municipality a few hundred applications queue up in twenty groups, and an allocation campaign
// over five more groups is open for a week with some families' ranked choices on file.
// Idempotent per item: a child's application to a group, a municipality's demo campaign and a
// family's choices in it are each made only when enrollment's own database has none yet, so a
// second run, or one after a run that stopped half-way, adds only what is missing.
import { z } from "zod";
import type { Actor } from "@kruzhok/actor";
import { parseConfig, serviceConfig } from "@kruzhok/config";
import { DEV_AUTH_SECRET, signDevToken } from "@kruzhok/http";
import { createPool, ensureDatabase, withDatabase, type Pool } from "@kruzhok/postgres";
import { possibleAges } from "../src/domain/application";
import { migrateEnrollment } from "../src/migrations";

const Config = z.object({
  DATABASE_URL: serviceConfig.shape.DATABASE_URL,
  SERVICE_DATABASE: z.string().regex(/^[a-z_][a-z0-9_]*$/).default("enrollment"),
  ENROLLMENT_URL: z.url().default("http://127.0.0.1:3003"),
  AUTH_DEV_SECRET: z.string().default(DEV_AUTH_SECRET),
  SEED_WAIT_S: z.coerce.number().int().min(0).default(180),
});
const config = parseConfig(Config);
const out = (line: string) => process.stdout.write(`${line}\n`);

async function call(actor: Actor, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = { authorization: `Bearer ${await signDevToken(actor, { secret: config.AUTH_DEV_SECRET })}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  for (;;) {
    const res = await fetch(`${config.ENROLLMENT_URL}${path}`, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
    // A polite client: wait as long as the service asks, then try again.
    if (res.status === 429 || res.status === 503) {
      await res.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 1_000 * Number(res.headers.get("retry-after") ?? "1")));
      continue;
    }
    return { status: res.status, json: await res.json() };
  }
}

interface Counts {
  municipalities: number;
  certificates: number;
  groups: number;
  applications: number;
  campaigns: number;
}

async function counts(pool: Pool): Promise<Counts> {
  const { rows } = await pool.query<Counts>(
    `SELECT (SELECT count(*)::int FROM municipalities) AS municipalities, (SELECT count(*)::int FROM certificates) AS certificates,
            (SELECT count(*)::int FROM groups WHERE status = 'open' AND accepting) AS groups, (SELECT count(*)::int FROM applications) AS applications,
            (SELECT count(*)::int FROM campaigns) AS campaigns`,
  );
  return rows[0]!;
}

/** Wait until the registry's and catalogue's demo data has arrived (the counts stop growing). */
async function settled(pool: Pool): Promise<Counts> {
  const deadline = Date.now() + config.SEED_WAIT_S * 1_000;
  let last = await counts(pool);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const now = await counts(pool);
    const stable = now.certificates === last.certificates && now.groups === last.groups && now.municipalities === last.municipalities;
    if ((stable && now.municipalities > 0 && now.groups > 0 && now.certificates > 0) || Date.now() > deadline) return now;
    last = now;
  }
}

/** Run `work` over `items` with at most `limit` in flight. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index]!, index);
      }
    }),
  );
}

interface GroupRow {
  id: string;
  startsOn: string;
  ageMin: number;
  ageMax: number;
}
interface ChildRow {
  childId: string;
  guardianId: string;
  birthYear: number;
}

const fits = (child: ChildRow, group: GroupRow) => {
  const ages = possibleAges(child.birthYear, group.startsOn);
  return ages.max >= group.ageMin && ages.min <= group.ageMax;
};

async function seedMunicipality(pool: Pool, municipalityId: string): Promise<{ applied: number; refused: number; ranked: number; campaign: boolean }> {
  const { rows: groups } = await pool.query<GroupRow>(
    `SELECT id, to_char(starts_on, 'YYYY-MM-DD') AS "startsOn", age_min AS "ageMin", age_max AS "ageMax"
       FROM groups WHERE municipality_id = $1 AND status = 'open' AND accepting AND funding_kind <> 'financed' ORDER BY id LIMIT 25`,
    [municipalityId],
  );
  const { rows: children } = await pool.query<ChildRow>(
    `SELECT c.child_id AS "childId", min(g.guardian_id::text) AS "guardianId", c.birth_year AS "birthYear"
       FROM certificates c JOIN child_guardians g ON g.child_id = c.child_id
      WHERE c.municipality_id = $1 AND c.status = 'active' GROUP BY c.child_id, c.birth_year ORDER BY c.child_id LIMIT 400`,
    [municipalityId],
  );
  const queued = groups.slice(0, 20);
  const inCampaign = groups.slice(20, 25);
  const guardian = (c: ChildRow): Actor => ({ subject: `seed-guardian-${c.guardianId}`, role: "guardian", municipalityId, guardianId: c.guardianId });

  const { rows: present } = await pool.query<{ childId: string; groupId: string }>(
    `SELECT child_id AS "childId", group_id AS "groupId" FROM applications WHERE municipality_id = $1`,
    [municipalityId],
  );
  const applications = new Set(present.map((a) => `${a.childId}:${a.groupId}`));
  let applied = 0;
  let refused = 0;
  // Families apply a few at a time, as on an ordinary day; each child to one or two groups it fits.
  await inParallel(children.slice(0, 300), 8, async (child, index) => {
    const choices = queued.filter((g) => fits(child, g));
    for (const group of [choices[index % Math.max(choices.length, 1)], choices[(index * 7 + 3) % Math.max(choices.length, 1)]]) {
      if (!group || applications.has(`${child.childId}:${group.id}`)) continue;
      applications.add(`${child.childId}:${group.id}`);
      const res = await call(guardian(child), "POST", "/applications", { childId: child.childId, groupId: group.id });
      if (res.status === 201) applied++;
      else refused++;
    }
  });

  let ranked = 0;
  let campaign = false;
  if (inCampaign.length > 0) {
    const now = Date.now();
    const office: Actor = { subject: "seed-office", role: "municipality", municipalityId };
    const name = "Демо: набор по жребию / Демо: жеребе арқылы қабылдау";
    const { rows: announced } = await pool.query<{ id: string }>("SELECT id FROM campaigns WHERE municipality_id = $1 AND name = $2 ORDER BY opens_at LIMIT 1", [municipalityId, name]);
    let id = announced[0]?.id;
    if (id === undefined) {
      const res = await call(office, "POST", "/campaigns", {
        municipalityId,
        name,
        groupIds: inCampaign.map((g) => g.id),
        maxChoices: 3,
        opensAt: new Date(now - 60_000).toISOString(),
        closesAt: new Date(now + 7 * 24 * 3_600_000).toISOString(),
      });
      if (res.status === 201) id = (res.json as { id: string }).id;
      else out(`enrollment: campaign not announced in ${municipalityId}: ${JSON.stringify(res.json)}`);
    }
    if (id !== undefined) {
      campaign = true;
      const { rows: chosen } = await pool.query<{ childId: string }>(`SELECT child_id AS "childId" FROM campaign_choices WHERE campaign_id = $1`, [id]);
      const onFile = new Set(chosen.map((c) => c.childId));
      await inParallel(children.slice(300, 400), 8, async (child, index) => {
        const choices = inCampaign.filter((g) => fits(child, g)).slice(0, 3);
        if (choices.length === 0 || onFile.has(child.childId)) return;
        // Ranked in a family's own order: rotated by the child so that groups differ in popularity.
        const order = [...choices.slice(index % choices.length), ...choices.slice(0, index % choices.length)];
        const res = await call(guardian(child), "PUT", `/campaigns/${id}/children/${child.childId}/choices`, { groupIds: order.map((g) => g.id) });
        if (res.status === 200) ranked++;
      });
    }
  }
  return { applied, refused, ranked, campaign };
}

await ensureDatabase(config.DATABASE_URL, config.SERVICE_DATABASE);
const pool = createPool({ connectionString: withDatabase(config.DATABASE_URL, config.SERVICE_DATABASE), max: 2 });
try {
  await migrateEnrollment(pool);
  out("enrollment: waiting until the registry's and catalogue's demo events have arrived (they stop growing)");
  const arrived = await settled(pool);
  out(`enrollment: heard of ${arrived.municipalities} municipalities, ${arrived.certificates} certificates, ${arrived.groups} open groups`);
  if (arrived.municipalities === 0 || arrived.groups === 0) {
    out("enrollment: the registry's and catalogue's events have not all arrived yet (a broker holding old events?); `npm start` again seeds enrollment once they have");
  }
  const { rows } = await pool.query<{ id: string }>("SELECT id FROM municipalities ORDER BY id");
  for (const { id } of rows) {
    const r = await seedMunicipality(pool, id);
    if (r.applied + r.refused === 0 && !r.campaign) continue; // a municipality without demo groups, or nothing missing
    out(`enrollment: municipality ${id}: ${r.applied} applications queued (${r.refused} refused by the rules), campaign ${r.campaign ? `open, ${r.ranked} families' choices added` : "not announced"}`);
  }
} finally {
  await pool.end();
}
