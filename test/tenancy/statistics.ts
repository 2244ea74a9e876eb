import { randomUUID } from "node:crypto";
import { CertificateIssued } from "@kruzhok/contracts";
import { statisticsHarness, type StatisticsHarness } from "../../services/statistics/test/fixtures/statistics";
import { municipality } from "../../services/statistics/test/fixtures/world";
import { HOME_REGION, defineMatrix, type World } from "./matrix";

// Statistics' routes (port 3006): aggregates only, for officials. A municipality reads its own
// cells, a region official and a regional ministry their region's, a federal ministry all; the
// live stream is for regions and ministries. Guardians, providers and operators read nothing
// (AUTH.FORBIDDEN_ROLE); another municipality or region is AUTH.OTHER_MUNICIPALITY or
// AUTH.OTHER_REGION. No child's id may show in any answer.

async function statisticsWorld(h: StatisticsHarness): Promise<World> {
  const home = await municipality(h, HOME_REGION);
  const neighbour = await municipality(h, HOME_REGION);
  const childIds: string[] = [];
  for (let i = 0; i < 12; i++) {
    const certificateId = randomUUID();
    const childId = randomUUID();
    childIds.push(childId, certificateId);
    await h.deliver(CertificateIssued, { municipalityId: home, aggregateId: certificateId }, {
      certificateId, number: `41-${i}`, childId, birthYear: 2015, ageBand: "11-14", categories: [], funding: "accounting", guardianIds: [randomUUID()],
    });
  }
  await h.publish();
  return { home, neighbour, guardianId: randomUUID(), providerId: randomUUID(), otherGuardianId: randomUUID(), otherProviderId: randomUUID(), secrets: childIds };
}

const day = (w: World) => `asOf=2026-09-01&municipalityId=${w.home}`;

export const statisticsMatrix = defineMatrix<World, StatisticsHarness>({
  service: "statistics",
  refusals: /^STATISTICS\.(OTHER_REGION|MUNICIPALITY_UNKNOWN)$/,
  harness: (label) => statisticsHarness(label),
  world: statisticsWorld,
  routes: {
    "GET /statistics/cells": { owner: "municipality", call: (w) => ({ url: `/statistics/cells?municipalityId=${w.home}` }) },
    "GET /statistics/cells.csv": { owner: "municipality", call: (w) => ({ url: `/statistics/cells.csv?municipalityId=${w.home}` }) },
    "GET /statistics/report": { owner: "region", call: (w) => ({ url: `/statistics/report?${day(w)}` }) },
    "GET /statistics/report.csv": { owner: "region", call: (w) => ({ url: `/statistics/report.csv?${day(w)}` }) },
    "GET /statistics/report.xlsx": { owner: "region", call: (w) => ({ url: `/statistics/report.xlsx?${day(w)}` }) },
    "GET /statistics/stream": {
      owner: "region",
      call: (w) => ({ url: `/statistics/stream?municipalityId=${w.home}` }),
      ownerSkipped: "a live stream never ends, so inject would wait for ever; its owner's stream is read in services/statistics/test/http.int.test.ts",
    },
  },
});
