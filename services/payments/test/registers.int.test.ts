import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ExcelJS from "exceljs";
import { accountId } from "../src/domain/ledger";
import { findAccounts } from "../src/store/ledger";
import { verifyBooks } from "../src/usecases/verify";
import { enrolled, financed, group, issued, newId, outboxEvents, paymentsHarness, summarised, summary, world, type PaymentsHarness } from "./fixtures/payments";

let h: PaymentsHarness;
beforeAll(async () => {
  h = await paymentsHarness("payments-registers", "2026-10-01T00:00:00Z");
});
afterAll(() => h.close());

async function billedMonth() {
  const w = await world(h, { nominal: 1_000_000 });
  const g = await group(h, w);
  const c = await issued(h, w);
  await financed(h, w, c);
  const enrollmentId = await enrolled(h, w, g, c);
  await summarised(h, w, summary(g, c, enrollmentId, "2026-11", { billable: 4 }));
  const municipality = await h.as({ role: "municipality", municipalityId: w.municipalityId });
  const provider = await h.as({ role: "provider", municipalityId: w.municipalityId, providerId: g.providerId });
  const list = await h.app.inject({ method: "GET", url: `/registers?municipalityId=${w.municipalityId}&month=2026-11`, headers: provider });
  expect(list.statusCode, list.body).toBe(200);
  const [register] = list.json<{ id: string; status: string; certificateTotal: number; lines: number }[]>();
  return { w, g, c, enrollmentId, municipality, provider, register: register! };
}

describe("payment registers", () => {
  it("one register per provider per month, formed -> approved -> paid with the payment order; the guardian sees the movement", async () => {
    const { w, g, c, municipality, provider, register } = await billedMonth();
    expect(register).toMatchObject({ status: "formed", lines: 1, certificateTotal: 4 * 37_500 });

    expect((await h.app.inject({ method: "POST", url: `/registers/${register.id}/payment`, headers: municipality, payload: { paymentOrder: "PO-1" } })).json()).toMatchObject({ code: "PAYMENTS.REGISTER_TRANSITION" });
    expect((await h.app.inject({ method: "POST", url: `/registers/${register.id}/approval`, headers: provider })).statusCode).toBe(403);
    const approved = await h.app.inject({ method: "POST", url: `/registers/${register.id}/approval`, headers: municipality });
    expect(approved.json()).toMatchObject({ status: "approved" });
    const paid = await h.app.inject({ method: "POST", url: `/registers/${register.id}/payment`, headers: municipality, payload: { paymentOrder: "PO-2026-11-001" } });
    expect(paid.json()).toMatchObject({ status: "paid", paymentOrder: "PO-2026-11-001" });
    // Paid twice with the same order: nothing changes.
    expect((await h.app.inject({ method: "POST", url: `/registers/${register.id}/payment`, headers: municipality, payload: { paymentOrder: "PO-2026-11-001" } })).statusCode).toBe(200);
    const [payable] = await findAccounts(h.pool, [accountId("provider_paid", g.providerId, 2026)]);
    expect(payable!.creditsPosted).toBe(4 * 37_500);
    const changes = await outboxEvents<{ registerId: string; status: string }>(h.pool, "payments.register.changed");
    expect(changes.filter((e) => e.data.registerId === register.id).map((e) => e.data.status)).toEqual(["approved", "paid"]);

    const guardian = await h.as({ role: "guardian", municipalityId: w.municipalityId, guardianId: c.guardianId });
    const seen = await h.app.inject({ method: "GET", url: `/certificates/${c.certificateId}/account?year=2026`, headers: { ...guardian, "accept-language": "ru" } });
    expect(seen.statusCode, seen.body).toBe(200);
    const body = seen.json<{ funded: number; spent: number; movements: { kind: string; direction: string; amount: number; description: string }[] }>();
    expect(body.funded).toBe(1_000_000);
    expect(body.spent).toBe(150_000);
    expect(body.movements).toContainEqual(expect.objectContaining({ kind: "lesson_charge", direction: "out", amount: 150_000, description: "Оплата посещённых занятий" }));
    const kazakh = await h.app.inject({ method: "GET", url: `/certificates/${c.certificateId}/account?year=2026`, headers: { ...guardian, "accept-language": "kk" } });
    expect(kazakh.json<{ movements: { kind: string; description: string }[] }>().movements.find((m) => m.kind === "lesson_charge")!.description).toBe("Қатысқан сабақтар үшін төлем");
    expect(await verifyBooks(h.pool, w.municipalityId, 2026)).toBeNull();
  });

  it("the guardian sees a bill's movements in the order they were posted, though they share one instant", async () => {
    const { w, c } = await billedMonth();
    const guardian = await h.as({ role: "guardian", municipalityId: w.municipalityId, guardianId: c.guardianId });
    const seen = await h.app.inject({ method: "GET", url: `/certificates/${c.certificateId}/account?year=2026`, headers: guardian });
    expect(seen.statusCode, seen.body).toBe(200);
    const body = seen.json<{ reserved: number; movements: { kind: string; direction: string; amount: number }[] }>();
    // The harness's clock stands still: every movement has the same instant, and only the order of posting sorts them.
    const held = body.movements[1]!.amount;
    expect(body.movements.map(({ kind, direction, amount }) => ({ kind, direction, amount }))).toEqual([
      { kind: "financing", direction: "in", amount: 1_000_000 },
      { kind: "reservation", direction: "held", amount: held },
      { kind: "reservation_billed", direction: "released", amount: held },
      { kind: "reservation", direction: "held", amount: held - 150_000 },
      { kind: "lesson_charge", direction: "out", amount: 150_000 },
    ]);
    expect(body.reserved).toBe(held - 150_000);
  });

  it("a correction after approval goes to a supplementary register of the same month", async () => {
    const { w, g, c, enrollmentId, municipality, register } = await billedMonth();
    await h.app.inject({ method: "POST", url: `/registers/${register.id}/approval`, headers: municipality });
    await summarised(h, w, summary(g, c, enrollmentId, "2026-11", { version: 2, supersedes: 1, billable: 3 }));
    const list = await h.app.inject({ method: "GET", url: `/registers?municipalityId=${w.municipalityId}&month=2026-11`, headers: municipality });
    expect(list.json<{ number: number; status: string; lessons: number; certificateTotal: number }[]>().map((r) => [r.number, r.status, r.lessons, r.certificateTotal])).toEqual([
      [1, "approved", 4, 150_000],
      [2, "formed", -1, -37_500],
    ]);
    expect(await verifyBooks(h.pool, w.municipalityId, 2026)).toBeNull();
  });

  it("a provider sees only its own registers; a guardian only own children's certificates; another municipality nothing", async () => {
    const { w, c, register } = await billedMonth();
    const stranger = await h.as({ role: "provider", municipalityId: w.municipalityId, providerId: newId() });
    expect((await h.app.inject({ method: "GET", url: `/registers/${register.id}`, headers: stranger })).json()).toMatchObject({ code: "PAYMENTS.NOT_YOUR_REGISTER" });
    const list = await h.app.inject({ method: "GET", url: `/registers?municipalityId=${w.municipalityId}`, headers: stranger });
    expect(list.json()).toEqual([]);
    const otherGuardian = await h.as({ role: "guardian", municipalityId: w.municipalityId, guardianId: newId() });
    expect((await h.app.inject({ method: "GET", url: `/certificates/${c.certificateId}/account?year=2026`, headers: otherGuardian })).json()).toMatchObject({ code: "PAYMENTS.NOT_YOUR_CERTIFICATE" });
    const elsewhere = await h.as({ role: "municipality", municipalityId: newId() });
    expect((await h.app.inject({ method: "GET", url: `/certificates/${c.certificateId}/account?year=2026`, headers: elsewhere })).json()).toMatchObject({ code: "AUTH.OTHER_MUNICIPALITY" });
    expect((await h.app.inject({ method: "GET", url: `/registers/${register.id}`, headers: elsewhere })).json()).toMatchObject({ code: "AUTH.OTHER_MUNICIPALITY" });
  });

  it("exports CSV with formulas escaped, XLSX and JSON", async () => {
    const { municipality, register } = await billedMonth();
    await h.app.inject({ method: "POST", url: `/registers/${register.id}/approval`, headers: municipality });
    await h.app.inject({ method: "POST", url: `/registers/${register.id}/payment`, headers: municipality, payload: { paymentOrder: "=HYPERLINK(\"http://x\")" } });
    const csv = await h.app.inject({ method: "GET", url: `/registers/${register.id}/export?format=csv`, headers: municipality });
    expect(csv.headers["content-type"]).toMatch(/text\/csv/);
    const [header, row] = csv.body.trim().split("\n");
    expect(header).toMatch(/^register,number,provider,month/);
    expect(row).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(row).toContain(",150000,0,RUB");

    const xlsx = await h.app.inject({ method: "GET", url: `/registers/${register.id}/export?format=xlsx`, headers: municipality });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.getRow(2).getCell(6).value).toBe(`'=HYPERLINK("http://x")`);
    expect(sheet.getRow(2).getCell(10).value).toBe(150_000);

    const json = await h.app.inject({ method: "GET", url: `/registers/${register.id}/export?format=json`, headers: municipality });
    expect(json.json()).toMatchObject({ id: register.id, lineItems: [{ certificateAmount: 150_000 }] });
  });

  it("bad input gets a problem document and posts nothing: fractional, negative, NaN and over-2^53 amounts", async () => {
    const w = await world(h);
    const municipality = await h.as({ role: "municipality", municipalityId: w.municipalityId });
    const { rows: before } = await h.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ledger_transfers`);
    for (const normativePerHour of [0.5, -1, "NaN", 2 ** 53, 1e300]) {
      const answer = await h.app.inject({ method: "PUT", url: `/municipalities/${w.municipalityId}/years/2026/billing-rules`, headers: municipality, payload: { normativePerHour, coPayment: true, unexcused: "charged" } });
      expect(answer.statusCode).toBe(400);
      expect(answer.headers["content-type"]).toMatch(/application\/problem\+json/);
      expect(answer.body).toContain("normativePerHour");
    }
    const other = await h.as({ role: "municipality", municipalityId: newId() });
    expect((await h.app.inject({ method: "PUT", url: `/municipalities/${w.municipalityId}/years/2026/billing-rules`, headers: other, payload: { normativePerHour: 1, coPayment: true, unexcused: "charged" } })).statusCode).toBe(403);
    const { rows: after } = await h.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ledger_transfers`);
    expect(after[0]!.n).toBe(before[0]!.n);
    const { rows } = await h.pool.query(`SELECT 1 FROM billing_rules WHERE municipality_id = $1`, [w.municipalityId]);
    expect(rows).toEqual([]);
  });
});

describe("advances", () => {
  it("a provider may ask for an advance from the month's 2nd working day, once, up to what is reserved for it; the register pays only the rest", async () => {
    h.clock.set("2026-10-01T00:00:00Z");
    const w = await world(h, { nominal: 1_000_000 });
    const g = await group(h, w);
    const c = await issued(h, w);
    await financed(h, w, c);
    const enrollmentId = await enrolled(h, w, g, c);
    const provider = await h.as({ role: "provider", municipalityId: w.municipalityId, providerId: g.providerId });
    const municipality = await h.as({ role: "municipality", municipalityId: w.municipalityId });
    const ask = (payload: object) => h.app.inject({ method: "POST", url: "/advances", headers: provider, payload });

    // Monday 2 November in Kamchatka is the 1st working day: too early.
    h.clock.set("2026-11-01T23:00:00Z");
    expect((await ask({ month: "2026-11", amount: 50_000 })).json()).toMatchObject({ code: "PAYMENTS.ADVANCE_NOT_OPEN" });
    h.clock.set("2026-11-03T00:00:00Z");
    for (const amount of [0.5, -1, 2 ** 53]) expect((await ask({ month: "2026-11", amount })).statusCode).toBe(400);
    expect((await ask({ month: "2026-11", amount: 99_000_000 })).json()).toMatchObject({ code: "PAYMENTS.ADVANCE_TOO_LARGE" });
    const advanced = await ask({ month: "2026-11", amount: 50_000 });
    expect(advanced.statusCode, advanced.body).toBe(201);
    expect(advanced.json()).toMatchObject({ month: "2026-11", advance: 50_000, status: "formed" });
    expect((await ask({ month: "2026-11", amount: 1_000 })).json()).toMatchObject({ code: "PAYMENTS.ADVANCE_EXISTS" });

    h.clock.set("2026-12-05T00:00:00Z");
    await summarised(h, w, summary(g, c, enrollmentId, "2026-11", { billable: 4 }));
    const registerId = advanced.json<{ id: string }>().id;
    await h.app.inject({ method: "POST", url: `/registers/${registerId}/approval`, headers: municipality });
    await h.app.inject({ method: "POST", url: `/registers/${registerId}/payment`, headers: municipality, payload: { paymentOrder: "PO-7" } });
    const [paid] = await findAccounts(h.pool, [accountId("provider_paid", g.providerId, 2026)]);
    expect(paid!.creditsPosted).toBe(150_000);
    const [payable] = await findAccounts(h.pool, [accountId("provider_payable", g.providerId, 2026)]);
    expect(payable!.creditsPosted - payable!.debitsPosted).toBe(0);
    expect(await verifyBooks(h.pool, w.municipalityId, 2026)).toBeNull();
  });
});
