import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CertificateIssued } from "@kruzhok/contracts";
import { MIN_CELL, statisticsHarness, type StatisticsHarness } from "./fixtures/statistics";
import { municipality } from "./fixtures/world";

// Vorkuta's case (issue 16): a municipality of 10,000 children aged 5-18. As certificates rise
// past 2,500 over three days, the stream (every statistics.cells.changed event, in the order the
// outbox publishes them) shows its coverage crossing the federal 25 %, and not one cell counting
// fewer than 10 children appears on it at any moment.

const CHILD_COUNTS = new Set(["certificates", "coverage.certified", "coverage.enrolled", "enrollments", "queue.length", "offers"]);

interface Changed {
  cells: { scope: string; municipalityId: string | null; period: string; start: string; measure: string; dims: Record<string, string>; value: number | null; suppressed: boolean }[];
}

describe("Vorkuta: coverage crosses 25 % on the stream, no small cell ever shows", () => {
  let h: StatisticsHarness;
  beforeAll(async () => {
    h = await statisticsHarness("stat-vorkuta", { clockStart: "2026-10-01T05:00:00Z" });
  });
  afterAll(async () => {
    await h.close();
  });

  it("publishes coverage rising past 25 % of 10,000 children with every small cell suppressed", async () => {
    const vorkuta = await municipality(h, "11", 10_000);
    let issued = 0;
    for (const [day, count] of [["2026-10-01", 900], ["2026-10-02", 1_000], ["2026-10-03", 700]] as const) {
      for (let i = 0; i < count; i++) {
        h.clock.set(new Date(Date.parse(`${day}T06:00:00Z`) + i * 20_000).toISOString());
        const certificateId = randomUUID();
        // Mostly 7-14 year olds; now and then a 16-year-old, so that a small cell keeps forming.
        const birthYear = issued % 97 === 0 ? 2010 : 2012 + (issued % 7);
        await h.deliver(CertificateIssued, { municipalityId: vorkuta, aggregateId: certificateId }, {
          certificateId, number: `1102-${issued}`, childId: randomUUID(), birthYear, ageBand: "7-10", categories: [], funding: "accounting", guardianIds: [randomUUID()],
        });
        issued++;
        if (issued <= 40 || issued % 50 === 0) await h.publish(); // the publisher's rounds, often at first
      }
    }
    await h.publish();

    const { rows } = await h.pool.query<{ payload: string }>("SELECT payload FROM outbox WHERE type = 'statistics.cells.changed' ORDER BY seq");
    const stream = rows.map((row) => (JSON.parse(row.payload) as { data: Changed }).data.cells).flat();
    const share = stream.filter((c) => c.scope === "municipality" && c.municipalityId === vorkuta && c.measure === "coverage.certified.share" && c.period === "month");
    const seen = share.map((c) => c.value);
    expect(seen.some((v) => v !== null && v < 0.25)).toBe(true);
    expect(seen.at(-1)).toBe(0.26);
    const crossing = seen.findIndex((v) => v !== null && v >= 0.25);
    expect(crossing).toBeGreaterThan(0);
    expect(seen.slice(crossing).every((v) => v !== null && v >= 0.25)).toBe(true);
    // The first days: under 10 certificates the coverage itself is suppressed.
    expect(share[0]).toMatchObject({ value: null, suppressed: true });

    const small = stream.filter((c) => CHILD_COUNTS.has(c.measure) && c.value !== null && c.value > 0 && c.value < MIN_CELL);
    expect(small).toEqual([]);
    // The 16-year-olds stay hidden while they are few.
    const olds = stream.filter((c) => c.measure === "certificates" && c.dims.ageBand === "15-17" && c.dims.status === "accounting");
    expect(olds.some((c) => c.suppressed)).toBe(true);
  });
});
