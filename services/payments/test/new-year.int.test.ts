import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountId } from "../src/domain/ledger";
import { available, findAccounts } from "../src/store/ledger";
import { runNewYear } from "../src/usecases/new-year";
import { verifyBooks } from "../src/usecases/verify";
import { enrolled, financed, group, issued, paymentsHarness, setYear, summarised, summary, world, type PaymentsHarness } from "./fixtures/payments";

let h: PaymentsHarness;
beforeAll(async () => {
  h = await paymentsHarness("payments-new-year", "2026-11-01T00:00:00Z");
});
afterAll(() => h.close());

const deps = () => ({ pool: h.pool, clock: h.clock });

async function account(kind: "certificate" | "budget", ownerId: string, year: number) {
  const [found] = await findAccounts(h.pool, [accountId(kind, ownerId, year)]);
  return found;
}

describe("the new year, on 1 January in the municipality's zone, once per certificate", () => {
  it("across Kamchatka's midnight (12:00 UTC): not a minute early, the unused balance back to the old budget, the new nominal credited; run twice, rolled once; Komi waits for its own midnight", async () => {
    h.clock.set("2026-11-01T00:00:00Z");
    const kamchatka = await world(h, { timeZone: "Asia/Kamchatka", nominal: 1_000, budget: 10_000 });
    const komi = await world(h, { timeZone: "Europe/Moscow", nominal: 1_000, budget: 10_000 });
    const g = await group(h, kamchatka, { pricePerHour: 100 });
    const child = await issued(h, kamchatka);
    const other = await issued(h, komi);
    await financed(h, kamchatka, child);
    await financed(h, komi, other);
    const enrollmentId = await enrolled(h, kamchatka, g, child);
    await summarised(h, kamchatka, summary(g, child, enrollmentId, "2026-11", { billable: 2 }));
    await setYear(h, kamchatka, { year: 2027, nominal: 2_000, budget: 20_000 });
    await setYear(h, komi, { year: 2027, nominal: 2_000, budget: 20_000 });
    const spent = (await account("certificate", child.certificateId, 2026))!.debitsPosted;
    expect(spent).toBe(300); // 2 lessons x 90 minutes at 100 an hour

    h.clock.set("2026-12-31T11:59:59Z");
    expect(await runNewYear(deps())).toBe(0);

    h.clock.set("2026-12-31T12:00:00Z");
    expect(await runNewYear(deps())).toBe(1);
    expect(await runNewYear(deps())).toBe(0);
    const old = (await account("certificate", child.certificateId, 2026))!;
    expect(available(old)).toBe(0);
    // December's lessons are closed by attendance and billed in January, from the old year: the
    // reservation holding them stays (the nominal of 1,000 was all reserved, November took 300).
    expect(old.debitsPending).toBe(1_000 - spent);
    expect(available((await account("budget", kamchatka.municipalityId, 2026))!)).toBe(10_000 - 1_000);
    expect((await account("certificate", child.certificateId, 2027))!.creditsPosted).toBe(2_000);
    // The enrollment carries over: reserved again against the new year.
    expect((await account("certificate", child.certificateId, 2027))!.debitsPending).toBeGreaterThan(0);
    expect(await account("certificate", other.certificateId, 2027)).toBeUndefined();

    // December billed on 5 January: 4 lessons (600) from the old year's reservation, and what it
    // still held (100) back to the old year's budget; the new year's money untouched.
    h.clock.set("2027-01-05T00:00:00Z");
    await summarised(h, kamchatka, summary(g, child, enrollmentId, "2026-12", { billable: 4 }));
    const settled = (await account("certificate", child.certificateId, 2026))!;
    expect({ pending: settled.debitsPending, available: available(settled), debits: settled.debitsPosted }).toEqual({ pending: 0, available: 0, debits: spent + 600 + 100 });
    expect(available((await account("budget", kamchatka.municipalityId, 2026))!)).toBe(10_000 - 1_000 + 100);
    const { rows: december } = await h.pool.query<{ certificate: number; family: number }>(
      `SELECT certificate_amount::int AS certificate, family_amount::int AS family FROM billed_months WHERE enrollment_id = $1 AND month = '2026-12'`,
      [enrollmentId],
    );
    expect(december).toEqual([{ certificate: 600, family: 0 }]);
    expect((await account("certificate", child.certificateId, 2027))!.debitsPosted).toBe(0);

    expect(await verifyBooks(h.pool, kamchatka.municipalityId, 2026)).toBeNull();
    expect(await verifyBooks(h.pool, kamchatka.municipalityId, 2027)).toBeNull();
  });

  it("a January bill that comes before the job rolls its certificate itself, once: the certificate's new year pays, not the family", async () => {
    h.clock.set("2026-11-01T00:00:00Z");
    const w = await world(h, { timeZone: "Europe/Moscow", nominal: 1_000, budget: 10_000 });
    const g = await group(h, w, { pricePerHour: 100 });
    const child = await issued(h, w);
    await financed(h, w, child);
    await setYear(h, w, { year: 2027, nominal: 2_000, budget: 20_000 });
    const enrollmentId = await enrolled(h, w, g, child);
    h.clock.set("2027-02-02T09:00:00Z");
    await summarised(h, w, summary(g, child, enrollmentId, "2027-01", { billable: 2 }));
    const year = (await account("certificate", child.certificateId, 2027))!;
    expect({ credits: year.creditsPosted, debits: year.debitsPosted }).toEqual({ credits: 2_000, debits: 300 });
    const { rows } = await h.pool.query<{ family: number; rolls: number }>(
      `SELECT (SELECT family_amount::int FROM billed_months WHERE enrollment_id = $1) AS family,
              (SELECT count(*)::int FROM year_rollovers WHERE certificate_id = $2) AS rolls`,
      [enrollmentId, child.certificateId],
    );
    expect(rows).toEqual([{ family: 0, rolls: 1 }]);
    await runNewYear(deps());
    expect((await account("certificate", child.certificateId, 2027))!.creditsPosted).toBe(2_000);
  });

  it("run late, on 3 January, it rolls what it missed, once; two runs at once roll each certificate once", async () => {
    h.clock.set("2026-11-01T00:00:00Z");
    const w = await world(h, { timeZone: "Asia/Novokuznetsk", nominal: 500, budget: 5_000 });
    const certificates = [await issued(h, w), await issued(h, w), await issued(h, w)];
    for (const c of certificates) await financed(h, w, c);
    await setYear(h, w, { year: 2027, nominal: 700, budget: 7_000 });
    h.clock.set("2027-01-03T06:00:00Z");
    const [a, b] = await Promise.all([runNewYear(deps()), runNewYear(deps())]);
    // Other files' municipalities may roll too: count only this one's.
    const { rows } = await h.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM year_rollovers WHERE year = 2027 AND certificate_id = ANY($1::uuid[])`, [certificates.map((c) => c.certificateId)]);
    expect(rows[0]!.n).toBe(3);
    expect(a + b).toBeGreaterThanOrEqual(3);
    for (const c of certificates) expect((await account("certificate", c.certificateId, 2027))!.creditsPosted).toBe(700);
    expect(available((await account("budget", w.municipalityId, 2026))!)).toBe(5_000);
    expect(await runNewYear(deps())).toBe(0);
  });
});
