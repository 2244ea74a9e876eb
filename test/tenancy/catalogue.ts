import { randomUUID } from "node:crypto";
import { CertificateIssued, EnrollmentEnded, EnrollmentStarted } from "@kruzhok/contracts";
import {
  approvedProvider,
  catalogueHarness,
  createGroup,
  createProgram,
  groupBody,
  programBody,
  publish,
  world,
  type CatalogueHarness,
} from "../../services/catalogue/test/fixtures/catalogue";
import { defineMatrix, type World } from "./matrix";

// The catalogue's routes (port 3002): programs, groups, reviews, the navigator. Its rule: a
// program that is not listed is hidden from whoever may not see it (404 PROGRAM_NOT_FOUND, so
// that drafts do not leak), another provider's program is 403 NOT_YOUR_PROGRAM, and a review
// for another family's child is 403 NOT_YOUR_CHILD.

interface CatalogueWorld extends World {
  /** Published, with an open group: what families see. */
  programId: string;
  groupId: string;
  /** A second open group of it, for the closure. */
  closableGroupId: string;
  /** Drafts: one to stay hidden (with a group), one to be published. */
  draftId: string;
  draftGroupId: string;
  toPublishId: string;
  /** The home family's child's ended enrollment in the program: what its guardian reviews. */
  enrollmentId: string;
}

async function catalogueWorld(h: CatalogueHarness): Promise<CatalogueWorld> {
  const home = await world(h);
  const neighbour = await world(h);
  const programId = await createProgram(h, home);
  const groupId = await createGroup(h, home, programId);
  const closableGroupId = await createGroup(h, home, programId);
  await publish(h, home, programId);
  const draftId = await createProgram(h, home, { title: "Черновик: шахматы" });
  const draftGroupId = await createGroup(h, home, draftId);
  const toPublishId = await createProgram(h, home, { title: "Гончарная мастерская" });

  const guardianId = randomUUID();
  const childId = randomUUID();
  const certificateId = randomUUID();
  const origin = (aggregateId: string) => ({ municipalityId: home.municipalityId, aggregateId });
  await h.deliver(CertificateIssued, origin(certificateId), {
    certificateId, number: "4101-000777", childId, birthYear: 2016, ageBand: "7-10", categories: [], funding: "accounting", guardianIds: [guardianId],
  });
  const enrollment = { enrollmentId: randomUUID(), groupId, programId, childId };
  await h.deliver(EnrollmentStarted, origin(enrollment.enrollmentId), enrollment);
  await h.deliver(EnrollmentEnded, origin(enrollment.enrollmentId), { ...enrollment, reason: "completed" });

  return {
    home: home.municipalityId,
    neighbour: neighbour.municipalityId,
    guardianId,
    providerId: home.providerId,
    otherGuardianId: randomUUID(),
    otherProviderId: await approvedProvider(h, home.municipalityId, "ИП Чужой — шахматы"),
    programId,
    groupId,
    closableGroupId,
    draftId,
    draftGroupId,
    toPublishId,
    enrollmentId: enrollment.enrollmentId,
    secrets: [draftId, draftGroupId, toPublishId, guardianId, enrollment.enrollmentId],
  };
}

export const catalogueMatrix = defineMatrix<CatalogueWorld, CatalogueHarness>({
  service: "catalogue",
  refusals: /^CATALOGUE\.(NOT_YOUR_\w+|\w+_NOT_FOUND)$/,
  harness: (label) => catalogueHarness(label),
  world: catalogueWorld,
  routes: {
    "GET /search": { public: "the families' navigator: listed programs only" },
    "GET /programs/:id": {
      public: "a listed program, for families",
      hidden: { owner: "provider", call: (w) => ({ url: `/programs/${w.draftId}` }) },
    },
    "GET /programs/:id/groups": {
      public: "a listed program's open groups, for families",
      hidden: { owner: "provider", call: (w) => ({ url: `/programs/${w.draftId}/groups` }) },
    },
    "GET /groups/:id": {
      public: "a listed program's group, for families",
      hidden: { owner: "provider", call: (w) => ({ url: `/groups/${w.draftGroupId}` }) },
    },
    "GET /programs/:id/reviews": {
      public: "a listed program's rating and reviews (no reviewer named)",
      hidden: { owner: "provider", call: (w) => ({ url: `/programs/${w.draftId}/reviews` }) },
    },

    "GET /providers/:id/programs": { owner: "provider", call: (w) => ({ url: `/providers/${w.providerId}/programs` }) },
    "POST /programs": {
      owner: "provider",
      call: () => ({ url: "/programs", payload: programBody({ title: "Программа из матрицы" }) }),
      notForeign: { "provider of another provider": "a provider drafts a program of its own" },
    },
    "PUT /programs/:id": { owner: "provider", call: (w) => ({ url: `/programs/${w.draftId}`, payload: programBody({ title: "Черновик: шахматы для начинающих" }) }) },
    "POST /programs/:id/groups": { owner: "provider", call: (w) => ({ url: `/programs/${w.programId}/groups`, payload: groupBody() }) },
    "PUT /groups/:id": { owner: "provider", call: (w) => ({ url: `/groups/${w.groupId}`, payload: groupBody({ capacity: 14 }) }) },
    "POST /programs/:id/reviews": {
      owner: "guardian",
      call: (w) => ({ url: `/programs/${w.programId}/reviews`, payload: { enrollmentId: w.enrollmentId, rating: 5, text: "Сын в восторге, собрал первого робота" } }),
    },
    "POST /programs/:id/publication": { owner: "provider", call: (w) => ({ url: `/programs/${w.toPublishId}/publication` }) },
    // What ends things last.
    "POST /groups/:id/closure": { owner: "provider", call: (w) => ({ url: `/groups/${w.closableGroupId}/closure` }) },
    "POST /programs/:id/withdrawal": { owner: "provider", call: (w) => ({ url: `/programs/${w.programId}/withdrawal` }) },
  },
});
