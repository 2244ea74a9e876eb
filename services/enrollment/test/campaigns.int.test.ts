import { createHash, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTransaction } from "@kruzhok/postgres";
import { waitFor } from "@kruzhok/testkit";
import { allocateCampaign, fromCanonical, type CampaignResult, type CanonicalInput } from "../src/domain/campaign";
import { closeCampaign, submitChoices, withdrawChoices } from "../src/usecases/campaigns";
import { sweep } from "../src/usecases/sweeps";
import { apply, child, enrollmentHarness, openGroup, outboxEvents, world, type Auth, type Child, type EnrollmentHarness, type World } from "./fixtures/enrollment";

interface CampaignView {
  id: string;
  phase: string;
  seedCommitment: string;
  inputDigest: string | null;
  seed: string | null;
  result: { children: number; placed: number; unplaced: number } | null;
}

interface FamilyView {
  choices: string[] | null;
  result: {
    groupId: string | null;
    choiceRank: number | null;
    lotteryRank: number;
    lotteryNumber: string;
    summary: string;
    choices: { groupId: string; outcome: string; sentence: string }[];
    applications: { groupId: string; kind: string; applicationId: string | null; refusalCode: string | null }[];
  } | null;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("allocation campaigns", () => {
  let h: EnrollmentHarness;
  let w: World;
  let office: Auth;
  beforeAll(async () => {
    h = await enrollmentHarness("enr-campaigns");
    w = await world(h, { maxOpenApplications: 3 });
    office = await h.as({ role: "municipality", municipalityId: w.municipalityId });
  });
  afterAll(async () => {
    await h.close();
  });

  const announce = (body: Record<string, unknown>, who: Auth = office, headers: Record<string, string> = {}) =>
    h.app.inject({ method: "POST", url: "/campaigns", headers: { ...who, ...headers }, payload: { municipalityId: w.municipalityId, name: "Осенний набор 2026", maxChoices: 2, ...body } });
  const rank = (campaignId: string, c: Pick<Child, "childId">, groupIds: string[], who: Auth) =>
    h.app.inject({ method: "PUT", url: `/campaigns/${campaignId}/children/${c.childId}/choices`, headers: who, payload: { groupIds } });
  const family = async (campaignId: string, c: Child) => {
    const res = await h.app.inject({ method: "GET", url: `/campaigns/${campaignId}/children/${c.childId}`, headers: c.guardian });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<FamilyView>();
  };
  const campaignCount = async () => (await h.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM campaigns")).rows[0]!.n;
  const window = { opensAt: "2026-08-20T00:00:00+12:00", closesAt: "2026-08-25T00:00:00+12:00" };

  it("runs a campaign end to end: committed seed, ranked choices, frozen digest, a reproducible draw, offers, queues in lottery order, explanations", async () => {
    h.clock.set("2026-08-10T09:00:00Z");
    const a = await openGroup(h, w, { capacity: 2 });
    const b = await openGroup(h, w, { capacity: 1, slots: [{ weekday: 4, start: "15:00", end: "16:30" }] });
    const created = await announce({ groupIds: [a.groupId, b.groupId], ...window });
    expect(created.statusCode, created.body).toBe(201);
    const campaign = created.json<CampaignView>();
    expect(campaign).toMatchObject({ phase: "scheduled", seed: null, inputDigest: null, result: null });
    expect(campaign.seedCommitment).toMatch(/^[0-9a-f]{64}$/);
    const [announced] = (await outboxEvents<{ seedCommitment: string }>(h.pool, "enrollment.campaign.announced")).filter((e) => e.aggregateId === campaign.id);
    expect(announced?.data.seedCommitment).toBe(campaign.seedCommitment);
    // Public: anyone reads the commitment without an account.
    expect((await h.app.inject({ method: "GET", url: `/campaigns/${campaign.id}` })).json()).toMatchObject({ seedCommitment: campaign.seedCommitment, seed: null });

    const orphan = await child(h, w, { categories: ["orphan"] });
    const others = await Promise.all([child(h, w), child(h, w), child(h, w), child(h, w)]);
    const everyone = [orphan, ...others];

    // Before the window opens: refused with the opening time.
    const early = await rank(campaign.id, orphan, [a.groupId], orphan.guardian);
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ code: "ENROLLMENT.CAMPAIGN_NOT_OPEN" });

    h.clock.set("2026-08-21T09:00:00Z");
    expect((await h.app.inject({ method: "GET", url: `/campaigns/${campaign.id}` })).json()).toMatchObject({ phase: "open" });
    // Everyone wants A first; one family ranks B first; the operator files one family's choices at the office.
    expect((await rank(campaign.id, orphan, [a.groupId, b.groupId], orphan.guardian)).statusCode).toBe(200);
    expect((await rank(campaign.id, others[0], [b.groupId], others[0].guardian)).statusCode).toBe(200);
    // Replacing the choices keeps one entry per child.
    const replaced = await rank(campaign.id, others[0], [a.groupId, b.groupId], others[0].guardian);
    expect(replaced.json()).toMatchObject({ choices: [a.groupId, b.groupId], result: null });
    expect((await rank(campaign.id, others[1], [b.groupId, a.groupId], others[1].guardian)).statusCode).toBe(200);
    expect((await rank(campaign.id, others[2], [a.groupId], w.operator)).statusCode).toBe(200);
    expect((await rank(campaign.id, others[3], [a.groupId, b.groupId], others[3].guardian)).statusCode).toBe(200);

    // While the campaign runs, the groups take no first-come applications.
    const direct = await apply(h, others[2].guardian, others[2].childId, a.groupId);
    expect(direct.statusCode).toBe(409);
    expect(direct.json()).toMatchObject({ code: "ENROLLMENT.GROUP_IN_CAMPAIGN" });

    // The draw waits for the close.
    const tooSoon = await h.app.inject({ method: "POST", url: `/campaigns/${campaign.id}/draw`, headers: office });
    expect(tooSoon.statusCode).toBe(409);
    expect(tooSoon.json()).toMatchObject({ code: "ENROLLMENT.CAMPAIGN_NOT_CLOSED" });

    h.clock.set("2026-08-25T00:00:00+12:00");
    const late = await rank(campaign.id, orphan, [b.groupId], orphan.guardian);
    expect(late.json()).toMatchObject({ status: 409, code: "ENROLLMENT.CAMPAIGN_NOT_OPEN" });
    expect((await h.app.inject({ method: "GET", url: `/campaigns/${campaign.id}` })).json()).toMatchObject({ phase: "closing" });

    const drawnRes = await h.app.inject({ method: "POST", url: `/campaigns/${campaign.id}/draw`, headers: office });
    expect(drawnRes.statusCode, drawnRes.body).toBe(200);
    const drawn = drawnRes.json<CampaignView>();
    expect(drawn).toMatchObject({ phase: "drawn", result: { children: 5, placed: 3, unplaced: 2 } });
    // The seed revealed is the one committed to; the input is the one whose digest was published at the close.
    expect(sha256(drawn.seed!)).toBe(campaign.seedCommitment);
    const closed = (await outboxEvents<{ inputDigest: string; children: number; seats: number }>(h.pool, "enrollment.campaign.closed")).find((e) => e.aggregateId === campaign.id);
    expect(closed?.data).toMatchObject({ inputDigest: drawn.inputDigest, children: 5, seats: 3 });
    const inputRes = await h.app.inject({ method: "GET", url: `/campaigns/${campaign.id}/input`, headers: office });
    const { input, inputDigest } = inputRes.json<{ input: CanonicalInput; inputDigest: string }>();
    expect(sha256(JSON.stringify(input))).toBe(inputDigest);
    expect(inputDigest).toBe(drawn.inputDigest);
    // Anyone with the input and the seed re-runs the draw and gets what the families were told.
    const rerun = allocateCampaign(fromCanonical(input), drawn.seed!);
    const drawnEvent = (await outboxEvents<{ seed: string; placed: number }>(h.pool, "enrollment.campaign.drawn")).find((e) => e.aggregateId === campaign.id);
    expect(drawnEvent?.data).toMatchObject({ seed: drawn.seed, placed: 3 });

    // The orphan outranks everyone at A, its first choice.
    expect(rerun.assignment[orphan.childId]).toBe(a.groupId);
    const views = new Map<string, FamilyView>();
    for (const c of everyone) views.set(c.childId, await family(campaign.id, c));
    for (const c of everyone) {
      const view = views.get(c.childId)!;
      expect(view.result?.groupId ?? null).toBe(rerun.assignment[c.childId]);
      expect(view.result?.lotteryNumber).toBe(sha256(`${drawn.seed!}:${c.childId}`));
      expect(view.result?.summary.length).toBeGreaterThan(20);
      // Sentences in the family's language, groups named by their lesson times, never by id.
      expect(view.result?.choices.every((choice) => choice.sentence.startsWith(`Выбор `) && !choice.sentence.includes(choice.groupId))).toBe(true);
    }

    // Admitted children hold offers at once; the groups' seats are exactly taken.
    const { rows: applications } = await h.pool.query<{ childId: string; groupId: string; status: string; review: string; acceptedAt: string }>(
      `SELECT child_id AS "childId", group_id AS "groupId", status, review, to_char(accepted_at, 'HH24:MI:SS.US') AS "acceptedAt"
         FROM applications WHERE group_id = ANY($1) ORDER BY accepted_at`,
      [[a.groupId, b.groupId]],
    );
    const offered = applications.filter((x) => x.status === "offered");
    expect(offered.map((x) => x.childId).sort()).toEqual(Object.entries(rerun.assignment).filter(([, g]) => g !== null).map(([id]) => id).sort());
    expect(offered.filter((x) => x.groupId === a.groupId)).toHaveLength(2);
    expect(offered.filter((x) => x.groupId === b.groupId)).toHaveLength(1);
    expect(offered.every((x) => x.review === "confirmed")).toBe(true);
    const admittedView = views.get(orphan.childId)!;
    expect(admittedView.result?.applications).toEqual([expect.objectContaining({ groupId: a.groupId, kind: "admitted", refusalCode: null })]);
    expect(admittedView.result?.choices[0]).toMatchObject({ outcome: "admitted" });

    // The unplaced wait in the queues of their choices, in lottery order (no categories among them).
    const unplaced = rerun.children.filter((c) => c.groupId === null).sort((x, y) => x.lotteryRank - y.lotteryRank);
    expect(unplaced).toHaveLength(2);
    for (const groupId of [a.groupId, b.groupId]) {
      const queued = applications.filter((x) => x.groupId === groupId && x.status === "queued").map((x) => x.childId);
      expect(queued).toEqual(unplaced.filter((c) => c.waitlists.some((wl) => wl.groupId === groupId)).map((c) => c.childId));
    }
    const loser = everyone.find((c) => c.childId === unplaced[0]!.childId)!;
    const loserView = views.get(loser.childId)!;
    expect(loserView.result).toMatchObject({ groupId: null, choiceRank: null });
    expect(loserView.result?.summary).toMatch(/стоит в очередях выбранных групп/);
    expect(loserView.result?.choices.map((c) => c.outcome)).toEqual(loserView.choices!.map(() => "outranked"));
    expect(loserView.result?.choices[0]?.sentence).toMatch(/место в жеребьёвке/);
    expect(loserView.result?.applications.every((p) => p.kind === "waitlisted" && p.applicationId !== null)).toBe(true);

    // Every family is told its result once, in the draw's transaction; the office's family too.
    const notices = (await outboxEvents<{ guardianId: string; childId: string; outcome: string; choiceRank: number | null; queues: number }>(h.pool, "enrollment.notification.campaign-result")).map((e) => e.data);
    expect(notices.map((n) => n.childId).sort()).toEqual(everyone.map((c) => c.childId).sort());
    for (const c of everyone) {
      const notice = notices.find((n) => n.childId === c.childId)!;
      expect(notice.guardianId).toBe(c.guardianId);
      expect(notice.outcome).toBe(rerun.assignment[c.childId] === null ? "waitlisted" : "admitted");
      if (notice.outcome === "waitlisted") expect(notice.queues).toBe(views.get(c.childId)!.choices!.length);
    }

    // Drawn: the groups take first-come applications again (into the queue behind the campaign's).
    const latecomer = await child(h, w);
    const after = await apply(h, latecomer.guardian, latecomer.childId, a.groupId);
    expect(after.statusCode, after.body).toBe(201);
    // A second draw changes nothing.
    const again = await h.app.inject({ method: "POST", url: `/campaigns/${campaign.id}/draw`, headers: office });
    expect(again.json()).toMatchObject({ phase: "drawn", seed: drawn.seed });
    expect((await h.pool.query("SELECT 1 FROM offers o JOIN applications x ON x.id = o.application_id WHERE x.group_id = ANY($1)", [[a.groupId, b.groupId]])).rowCount).toBe(3);
  });

  it("refuses a bad announcement with a problem naming the field, writing nothing", async () => {
    h.clock.set("2026-08-10T09:00:00Z");
    const { groupId } = await openGroup(h, w);
    const taken = await openGroup(h, w);
    expect((await announce({ groupIds: [taken.groupId], ...window })).statusCode).toBe(201);
    const queued = await openGroup(h, w);
    const kid = await child(h, w);
    expect((await apply(h, kid.guardian, kid.childId, queued.groupId)).statusCode).toBe(201);
    const elsewhere = await world(h);
    const foreignGroup = await openGroup(h, elsewhere);
    const before = await campaignCount();

    const cases: [Record<string, unknown>, number, string, string | undefined][] = [
      [{ groupIds: [groupId], opensAt: window.closesAt, closesAt: window.opensAt }, 422, "ENROLLMENT.CAMPAIGN_WINDOW_INVALID", "body.closesAt"],
      [{ groupIds: [groupId], opensAt: "2026-08-01T00:00:00Z", closesAt: "2026-08-02T00:00:00Z" }, 422, "ENROLLMENT.CAMPAIGN_WINDOW_INVALID", "body.closesAt"],
      [{ groupIds: [groupId], ...window, maxChoices: 4 }, 422, "ENROLLMENT.CAMPAIGN_MAX_CHOICES", "body.maxChoices"],
      [{ groupIds: [groupId, foreignGroup.groupId], ...window }, 422, "ENROLLMENT.CAMPAIGN_GROUP_OTHER_MUNICIPALITY", "body.groupIds.1"],
      [{ groupIds: [groupId, randomUUID()], ...window }, 404, "ENROLLMENT.GROUP_NOT_FOUND", "body.groupIds.1"],
      [{ groupIds: [groupId, taken.groupId], ...window }, 409, "ENROLLMENT.CAMPAIGN_GROUP_TAKEN", "body.groupIds"],
      [{ groupIds: [queued.groupId], ...window }, 409, "ENROLLMENT.CAMPAIGN_GROUP_HAS_QUEUE", "body.groupIds.0"],
      [{ groupIds: [groupId, groupId], ...window }, 400, "HTTP.VALIDATION", "body.groupIds"],
      [{ groupIds: [groupId], ...window, maxChoices: 0 }, 400, "HTTP.VALIDATION", "body.maxChoices"],
      [{ groupIds: [groupId], opensAt: "tomorrow", closesAt: window.closesAt }, 400, "HTTP.VALIDATION", "body.opensAt"],
      // A campaign is named by words: families read its name in their results.
      [{ groupIds: [groupId], ...window, name: "2026 / 1" }, 400, "HTTP.VALIDATION", "body.name"],
      [{ groupIds: [groupId], ...window, name: "   " }, 400, "HTTP.VALIDATION", "body.name"],
    ];
    for (const [body, status, code, field] of cases) {
      const res = await announce(body);
      expect(res.statusCode, res.body).toBe(status);
      const problem = res.json<{ code: string; invalidParams?: { name: string }[] }>();
      expect(problem.code, res.body).toBe(code);
      if (field) expect(problem.invalidParams?.map((p) => p.name)).toContain(field);
    }
    // Not the municipality's office, or another municipality's: refused.
    expect((await announce({ groupIds: [groupId], ...window }, w.operator)).json()).toMatchObject({ status: 403, code: "AUTH.FORBIDDEN_ROLE" });
    const stranger = await h.as({ role: "municipality", municipalityId: elsewhere.municipalityId });
    expect((await announce({ groupIds: [groupId], ...window }, stranger)).json()).toMatchObject({ status: 403, code: "AUTH.OTHER_MUNICIPALITY" });
    expect(await campaignCount()).toBe(before);
  });

  it("refuses bad choices naming the field, and another family's child, writing nothing", async () => {
    h.clock.set("2026-08-10T09:00:00Z");
    const a = await openGroup(h, w);
    const b = await openGroup(h, w);
    const teens = await openGroup(h, w, { ageRange: { min: 15, max: 17 } });
    const outside = await openGroup(h, w);
    const { id } = (await announce({ groupIds: [a.groupId, b.groupId, teens.groupId], ...window })).json<CampaignView>();
    h.clock.set("2026-08-21T09:00:00Z");
    const kid = await child(h, w, { birthYear: 2016 });
    const other = await child(h, w);
    const choices = async () => (await h.pool.query("SELECT 1 FROM campaign_choices WHERE campaign_id = $1", [id])).rowCount;

    const cases: [string[], Auth, number, string, string | undefined][] = [
      [[a.groupId, b.groupId, teens.groupId], kid.guardian, 422, "ENROLLMENT.CAMPAIGN_CHOICE_INVALID", "body.groupIds"],
      [[outside.groupId], kid.guardian, 422, "ENROLLMENT.CAMPAIGN_CHOICE_INVALID", "body.groupIds.0"],
      [[a.groupId, a.groupId], kid.guardian, 422, "ENROLLMENT.CAMPAIGN_CHOICE_INVALID", "body.groupIds.1"],
      [[a.groupId, teens.groupId], kid.guardian, 422, "ENROLLMENT.AGE_OUTSIDE_RANGE", "body.groupIds.1"],
      [[a.groupId], other.guardian, 403, "ENROLLMENT.NOT_YOUR_CHILD", undefined],
    ];
    for (const [groupIds, who, status, code, field] of cases) {
      const res = await rank(id, kid, groupIds, who);
      expect(res.statusCode, res.body).toBe(status);
      expect(res.json()).toMatchObject({ code });
      if (field) expect(res.json<{ invalidParams: { name: string }[] }>().invalidParams.map((p) => p.name)).toContain(field);
    }
    const foreign = await world(h);
    const foreignKid = await child(h, foreign);
    expect((await rank(id, foreignKid, [a.groupId], foreignKid.guardian)).json()).toMatchObject({ status: 403, code: "AUTH.OTHER_MUNICIPALITY" });
    expect(await choices()).toBe(0);

    // Withdrawn choices leave the draw.
    expect((await rank(id, kid, [a.groupId], kid.guardian)).statusCode).toBe(200);
    const withdrawn = await h.app.inject({ method: "DELETE", url: `/campaigns/${id}/children/${kid.childId}/choices`, headers: kid.guardian });
    expect(withdrawn.statusCode).toBe(204);
    expect(await choices()).toBe(0);
  });

  it("is closed and drawn by the sweep once the window is over, also after a crash between the close and the draw", async () => {
    h.clock.set("2026-08-10T09:00:00Z");
    const g1 = await openGroup(h, w, { capacity: 1 });
    const g2 = await openGroup(h, w, { capacity: 1 });
    const first = (await announce({ groupIds: [g1.groupId], ...window })).json<CampaignView>();
    const second = (await announce({ groupIds: [g2.groupId], ...window })).json<CampaignView>();
    h.clock.set("2026-08-21T09:00:00Z");
    const kids = await Promise.all([child(h, w), child(h, w)]);
    for (const kid of kids) {
      expect((await rank(first.id, kid, [g1.groupId], kid.guardian)).statusCode).toBe(200);
      expect((await rank(second.id, kid, [g2.groupId], kid.guardian)).statusCode).toBe(200);
    }
    const closeAt = new Date("2026-08-25T00:00:00+12:00");
    // The process stopped after the close committed and before the draw: the digest is published, the seed not.
    await withTransaction(h.pool, (tx) => closeCampaign(tx, second.id, closeAt, {}));
    const half = (await h.app.inject({ method: "GET", url: `/campaigns/${second.id}` })).json<CampaignView>();
    expect(half).toMatchObject({ phase: "closed", seed: null });
    expect(half.inputDigest).toMatch(/^[0-9a-f]{64}$/);

    const swept = await sweep(h.pool, closeAt);
    expect(swept.drawnCampaigns).toBeGreaterThanOrEqual(2);
    for (const c of [first, second]) {
      const view = (await h.app.inject({ method: "GET", url: `/campaigns/${c.id}` })).json<CampaignView>();
      expect(view).toMatchObject({ phase: "drawn", result: { children: 2, placed: 1, unplaced: 1 } });
    }
    expect((await h.app.inject({ method: "GET", url: `/campaigns/${second.id}` })).json<CampaignView>().inputDigest).toBe(half.inputDigest);
    // Each child: exactly one application per group, one offer per group.
    const { rows } = await h.pool.query<{ n: number; offers: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE status = 'offered')::int AS offers FROM applications WHERE group_id = ANY($1)`,
      [[g1.groupId, g2.groupId]],
    );
    expect(rows[0]).toEqual({ n: 4, offers: 2 });
    // The stored result is what the published input and seed give.
    const { rows: stored } = await h.pool.query<{ input: CanonicalInput; result: CampaignResult; seed: string }>("SELECT input, result, seed FROM campaigns WHERE id = $1", [second.id]);
    expect(allocateCampaign(fromCanonical(stored[0]!.input), stored[0]!.seed).assignment).toEqual(stored[0]!.result.assignment);
  });

  it("freezes no input while a family's choices are being changed: the close waits for the change to commit", async () => {
    h.clock.set("2026-08-10T09:00:00Z");
    const { groupId } = await openGroup(h, w);
    const { id } = (await announce({ groupIds: [groupId], ...window })).json<CampaignView>();
    const [stays, leaves] = [await child(h, w), await child(h, w)];
    const guardianOf = (c: Child) => ({ subject: "g", role: "guardian" as const, municipalityId: w.municipalityId, guardianId: c.guardianId });
    const lastSecond = new Date("2026-08-24T11:59:59Z");
    for (const c of [stays, leaves]) await withTransaction(h.pool, (tx) => submitChoices(tx, id, c.childId, [groupId], guardianOf(c), lastSecond));
    const writing = await h.pool.connect();
    try {
      await writing.query("BEGIN");
      // In the window's last second one family takes its child out, not yet committed...
      await withdrawChoices(writing, id, leaves.childId, guardianOf(leaves), lastSecond);
      // ...when the sweep closes the window: it waits for the family's lock, and then freezes without that child.
      let closed = false;
      const closing = withTransaction(h.pool, (tx) => closeCampaign(tx, id, new Date("2026-08-24T12:00:00Z"), {})).finally(() => (closed = true));
      await waitFor(
        async () => {
          const { rows } = await h.pool.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
          );
          return (rows[0]?.n ?? 0) > 0 ? true : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 25, what: "the close waiting for the family's lock" },
      );
      expect(closed).toBe(false);
      await writing.query("COMMIT");
      expect((await closing).input?.children.map((c) => c.id)).toEqual([stays.childId]);
    } finally {
      writing.release();
    }
    // After the close, a late submission is refused.
    await expect(withTransaction(h.pool, (tx) => submitChoices(tx, id, leaves.childId, [groupId], guardianOf(leaves), lastSecond))).rejects.toMatchObject({
      code: "ENROLLMENT.CAMPAIGN_NOT_OPEN",
    });
  });

  it("returns the first answer to a retried announcement with the same Idempotency-Key", async () => {
    h.clock.set("2026-08-10T09:00:00Z");
    const { groupId } = await openGroup(h, w);
    const key = randomUUID();
    const first = await announce({ groupIds: [groupId], ...window }, office, { "idempotency-key": key });
    const retry = await announce({ groupIds: [groupId], ...window }, office, { "idempotency-key": key });
    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(201);
    expect(retry.json<CampaignView>().id).toBe(first.json<CampaignView>().id);
    expect((await h.pool.query("SELECT 1 FROM campaign_groups WHERE group_id = $1", [groupId])).rowCount).toBe(1);
  });

  it("counts the choices as they arrive for the municipality's officials, naming no child; others are refused", async () => {
    h.clock.set("2026-08-10T09:00:00Z");
    const a = await openGroup(h, w, { capacity: 2 });
    const b = await openGroup(h, w, { capacity: 1, slots: [{ weekday: 5, start: "15:00", end: "16:30" }] });
    const created = await announce({ groupIds: [a.groupId, b.groupId], ...window });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json<CampaignView>().id;
    const tally = async (who: Auth) => h.app.inject({ method: "GET", url: `/campaigns/${id}/tally`, headers: who });
    expect((await tally(office)).json()).toEqual({
      campaignId: id,
      phase: "scheduled",
      children: 0,
      groups: [
        { groupId: a.groupId, ranked: 0, firstChoice: 0 },
        { groupId: b.groupId, ranked: 0, firstChoice: 0 },
      ],
    });

    h.clock.set("2026-08-21T09:00:00Z");
    const [one, two, three] = await Promise.all([child(h, w), child(h, w), child(h, w)]);
    expect((await rank(id, one, [a.groupId, b.groupId], one.guardian)).statusCode).toBe(200);
    expect((await rank(id, two, [b.groupId, a.groupId], two.guardian)).statusCode).toBe(200);
    expect((await rank(id, three, [a.groupId], three.guardian)).statusCode).toBe(200);
    const counted = await tally(office);
    expect(counted.json()).toEqual({
      campaignId: id,
      phase: "open",
      children: 3,
      groups: [
        { groupId: a.groupId, ranked: 3, firstChoice: 2 },
        { groupId: b.groupId, ranked: 2, firstChoice: 1 },
      ],
    });
    expect(counted.body).not.toContain(one.childId);
    // The region reads it too; a family, the desk and another municipality's office do not.
    expect((await tally(w.region)).statusCode).toBe(200);
    expect((await tally(one.guardian)).json()).toMatchObject({ status: 403, code: "AUTH.FORBIDDEN_ROLE" });
    expect((await tally(w.operator)).json()).toMatchObject({ status: 403, code: "AUTH.FORBIDDEN_ROLE" });
    const elsewhere = await world(h);
    expect((await tally(await h.as({ role: "municipality", municipalityId: elsewhere.municipalityId }))).json()).toMatchObject({ status: 403, code: "AUTH.OTHER_MUNICIPALITY" });
    expect((await h.app.inject({ method: "GET", url: `/campaigns/${randomUUID()}/tally`, headers: office })).json()).toMatchObject({ status: 404, code: "ENROLLMENT.CAMPAIGN_NOT_FOUND" });
  });
});
