import { randomUUID } from "node:crypto";
import { CertificateIssued } from "@kruzhok/contracts";
import { apply, enrollmentHarness, openGroup, world, type Auth, type EnrollmentHarness } from "../../services/enrollment/test/fixtures/enrollment";
import { defineMatrix, type World } from "./matrix";

// Enrollment's routes (port 3003): applications, offers, enrollments, queues, campaigns. Its
// rule: another municipality's or region's resource is 403 (AUTH.*), another family's child
// 403 NOT_YOUR_CHILD, another provider's group 403 NOT_YOUR_GROUP; a missing one is 404.

interface EnrollmentWorld extends World {
  /** Capacity 1, taken by `enrollmentId`; `queuedApplicationId` waits in its queue. */
  fullGroupId: string;
  /** Free seats: an offer made (`offerId`), an application awaiting the provider's review. */
  openGroupId: string;
  /** Open and untouched: for a new campaign. */
  freshGroupId: string;
  enrolledChildId: string;
  enrollmentId: string;
  /** Another child of the family, expelled by the provider with its reasons (the family may answer). */
  expelledEnrollmentId: string;
  queuedApplicationId: string;
  offerId: string;
  reviewedApplicationId: string;
  /** A child of the family with no application yet. */
  newChildId: string;
  /** A child of the family who walks in at the provider's desk: its certificate's number and birth date. */
  walkIn: { certificateNumber: string; birthDate: string };
  /** A campaign whose window is open (clock: 2026-09-01), and the family's child in it. */
  campaignId: string;
  campaignGroupId: string;
  campaignChildId: string;
}

async function enrollmentWorld(h: EnrollmentHarness): Promise<EnrollmentWorld> {
  const home = await world(h);
  const neighbour = await world(h);
  const guardianId = randomUUID();
  const guardian = await h.as({ role: "guardian", municipalityId: home.municipalityId, guardianId });
  const office = await h.as({ role: "municipality", municipalityId: home.municipalityId });

  /** A child of the home family, with an accounting certificate. */
  const familyChild = async () => {
    const childId = randomUUID();
    const certificateId = randomUUID();
    await h.deliver(CertificateIssued, { municipalityId: home.municipalityId, aggregateId: certificateId }, {
      certificateId, number: `41-${certificateId.slice(0, 8)}`, childId, birthYear: 2016, ageBand: "7-10", categories: [], funding: "accounting", guardianIds: [guardianId],
    });
    return childId;
  };
  const must = async <T>(what: string, answer: Promise<{ statusCode: number; body: string; json: <U>() => U }>, status: number): Promise<T> => {
    const got = await answer;
    if (got.statusCode !== status) throw new Error(`${what}: ${got.statusCode} ${got.body}`);
    return got.json<T>();
  };
  const submit = async (childId: string, groupId: string) => (await must<{ id: string }>("application", apply(h, guardian, childId, groupId), 201)).id;
  const confirm = (applicationId: string, provider: Auth = home.provider) =>
    must<{ offers: { id: string }[] }>("review", h.app.inject({ method: "POST", url: `/applications/${applicationId}/review`, headers: provider, payload: { decision: "confirmed" } }), 200);

  const fullGroupId = (await openGroup(h, home, { capacity: 1 })).groupId;
  const openGroupId = (await openGroup(h, home, { capacity: 5, slots: [{ weekday: 4, start: "15:00", end: "16:30" }] })).groupId;
  const freshGroupId = (await openGroup(h, home, { capacity: 5, slots: [{ weekday: 5, start: "15:00", end: "16:30" }] })).groupId;
  const campaignGroupId = (await openGroup(h, home, { capacity: 5, slots: [{ weekday: 6, start: "10:00", end: "11:30" }] })).groupId;

  const enrolledChildId = await familyChild();
  const admitted = await confirm(await submit(enrolledChildId, fullGroupId));
  const accepted = h.app.inject({ method: "POST", url: `/offers/${admitted.offers[0]?.id}/acceptance`, headers: guardian, payload: {} });
  const enrollmentId = (await must<{ id: string }>("acceptance", accepted, 201)).id;

  const expelledOffer = await confirm(await submit(await familyChild(), freshGroupId));
  const expelledEnrollmentId = (
    await must<{ id: string }>("acceptance", h.app.inject({ method: "POST", url: `/offers/${expelledOffer.offers[0]?.id}/acceptance`, headers: guardian, payload: {} }), 201)
  ).id;
  await must(
    "expulsion",
    h.app.inject({ method: "POST", url: `/enrollments/${expelledEnrollmentId}/end`, headers: home.provider, payload: { reason: "expelled", comment: "систематические пропуски" } }),
    200,
  );

  const queuedApplicationId = await submit(await familyChild(), fullGroupId);
  await confirm(queuedApplicationId);
  const offered = await confirm(await submit(await familyChild(), openGroupId));
  const offerId = offered.offers[0]?.id ?? "";
  const reviewedApplicationId = await submit(await familyChild(), openGroupId);

  const campaign = await must<{ id: string }>(
    "campaign",
    h.app.inject({
      method: "POST",
      url: "/campaigns",
      headers: office,
      payload: { municipalityId: home.municipalityId, name: "Набор матрицы", groupIds: [campaignGroupId], maxChoices: 2, opensAt: "2026-08-30T00:00:00Z", closesAt: "2026-09-10T00:00:00Z" },
    }),
    201,
  );
  const campaignChildId = await familyChild();
  const newChildId = await familyChild();
  const walkInCertificate = randomUUID();
  const walkIn = { certificateNumber: `41-${walkInCertificate.slice(0, 8)}`, birthDate: "2017-04-12" };
  await h.deliver(CertificateIssued, { municipalityId: home.municipalityId, aggregateId: walkInCertificate }, {
    certificateId: walkInCertificate, number: walkIn.certificateNumber, childId: randomUUID(), birthYear: 2017, birthDate: walkIn.birthDate, ageBand: "7-10",
    categories: [], funding: "accounting", guardianIds: [guardianId],
  });

  return {
    home: home.municipalityId,
    neighbour: neighbour.municipalityId,
    guardianId,
    providerId: home.providerId,
    otherGuardianId: randomUUID(),
    otherProviderId: randomUUID(),
    fullGroupId,
    openGroupId,
    freshGroupId,
    enrolledChildId,
    enrollmentId,
    expelledEnrollmentId,
    queuedApplicationId,
    offerId,
    reviewedApplicationId,
    newChildId,
    walkIn,
    campaignId: campaign.id,
    campaignGroupId,
    campaignChildId,
    secrets: [guardianId, enrolledChildId, enrollmentId, expelledEnrollmentId, queuedApplicationId, offerId, reviewedApplicationId, newChildId, campaignChildId],
  };
}

export const enrollmentMatrix = defineMatrix<EnrollmentWorld, EnrollmentHarness>({
  service: "enrollment",
  refusals: /^ENROLLMENT\.(NOT_YOUR_\w+|\w+_NOT_FOUND)$/,
  harness: (label) => enrollmentHarness(label),
  world: enrollmentWorld,
  routes: {
    "GET /campaigns": { public: "a municipality's campaigns: windows, groups, seed commitments (the protocol is public)" },
    "GET /campaigns/:id": { public: "one campaign's protocol: window, groups, commitment, digest, and after the draw the seed" },

    "POST /applications": { owner: "guardian", call: (w) => ({ url: "/applications", payload: { childId: w.newChildId, groupId: w.openGroupId } }) },
    "GET /applications/:id": { owner: "guardian", call: (w) => ({ url: `/applications/${w.queuedApplicationId}` }) },
    "GET /applications/:id/position": { owner: "guardian", call: (w) => ({ url: `/applications/${w.queuedApplicationId}/position` }) },
    "GET /applications/:id/position/stream": {
      owner: "guardian",
      call: (w) => ({ url: `/applications/${w.queuedApplicationId}/position/stream` }),
      ownerSkipped: "a live stream never ends, so inject would wait for ever; its owner's stream is read in services/enrollment/test/position-stream.int.test.ts",
    },
    "GET /children/:id/applications": { owner: "guardian", call: (w) => ({ url: `/children/${w.enrolledChildId}/applications` }) },
    "GET /children/:id/audit": { owner: "guardian", call: (w) => ({ url: `/children/${w.enrolledChildId}/audit` }) },
    "POST /applications/:id/review": {
      owner: "provider",
      call: (w) => ({ url: `/applications/${w.reviewedApplicationId}/review`, payload: { decision: "confirmed" } }),
    },
    "GET /offers/:id": { owner: "guardian", call: (w) => ({ url: `/offers/${w.offerId}` }) },
    "POST /offers/:id/decline": { owner: "guardian", call: (w) => ({ url: `/offers/${w.offerId}/decline` }) },
    "POST /offers/:id/acceptance": { owner: "guardian", call: (w) => ({ url: `/offers/${w.offerId}/acceptance`, payload: {} }) },
    "GET /enrollments/:id": { owner: "guardian", call: (w) => ({ url: `/enrollments/${w.enrollmentId}` }) },
    "GET /groups/:id/queue": { owner: "provider", call: (w) => ({ url: `/groups/${w.fullGroupId}/queue` }) },
    "GET /groups/:id/roster": { owner: "provider", call: (w) => ({ url: `/groups/${w.fullGroupId}/roster` }) },
    "GET /providers/:id/applications": { owner: "provider", call: (w) => ({ url: `/providers/${w.providerId}/applications` }) },
    "POST /groups/:id/walk-ins": {
      owner: "provider",
      call: (w) => ({ url: `/groups/${w.freshGroupId}/walk-ins`, payload: w.walkIn, headers: { "acting-basis": "written_request; ref=D-17" } }),
    },
    "POST /queues/rebuild": { owner: "operator", call: (w) => ({ url: `/queues/rebuild?municipalityId=${w.home}` }) },
    "GET /queues/check": { owner: "operator", call: (w) => ({ url: `/queues/check?municipalityId=${w.home}` }) },
    "POST /maintenance/sweep": {
      owner: "region",
      call: () => ({ url: "/maintenance/sweep" }),
      notForeign: { "official of another region": "runs the sweep over its own region's municipalities only: it names nothing of another's" },
    },

    "GET /municipalities/:id/notice-settings": { owner: "municipality", call: (w) => ({ url: `/municipalities/${w.home}/notice-settings` }) },
    "GET /municipalities/:id/notice-settings/versions": { owner: "municipality", call: (w) => ({ url: `/municipalities/${w.home}/notice-settings/versions` }) },
    "PUT /municipalities/:id/notice-settings": {
      owner: "municipality",
      call: (w) => ({ url: `/municipalities/${w.home}/notice-settings`, payload: { positionThreshold: 5, offerReminderHours: 24 } }),
    },
    "GET /municipalities/:id/calendars/:year": { owner: "municipality", call: (w) => ({ url: `/municipalities/${w.home}/calendars/2027` }) },
    "GET /municipalities/:id/calendars/:year/versions": { owner: "municipality", call: (w) => ({ url: `/municipalities/${w.home}/calendars/2027/versions` }) },
    "PUT /municipalities/:id/calendars/:year": {
      owner: "municipality",
      call: (w) => ({ url: `/municipalities/${w.home}/calendars/2027`, payload: { daysOff: ["2027-01-01", "2027-01-07"], workingDays: [] } }),
    },

    "POST /campaigns": {
      owner: "municipality",
      call: (w) => ({
        url: "/campaigns",
        payload: { municipalityId: w.home, name: "Второй набор", groupIds: [w.freshGroupId], maxChoices: 2, opensAt: "2026-09-02T00:00:00Z", closesAt: "2026-09-12T00:00:00Z" },
      }),
    },
    "PUT /campaigns/:id/children/:childId/choices": {
      owner: "guardian",
      call: (w) => ({ url: `/campaigns/${w.campaignId}/children/${w.campaignChildId}/choices`, payload: { groupIds: [w.campaignGroupId] } }),
    },
    "GET /campaigns/:id/children/:childId": { owner: "guardian", call: (w) => ({ url: `/campaigns/${w.campaignId}/children/${w.campaignChildId}` }) },
    "DELETE /campaigns/:id/children/:childId/choices": { owner: "guardian", call: (w) => ({ url: `/campaigns/${w.campaignId}/children/${w.campaignChildId}/choices` }) },
    "GET /campaigns/:id/tally": { owner: "municipality", call: (w) => ({ url: `/campaigns/${w.campaignId}/tally` }) },
    "GET /campaigns/:id/input": { owner: "region", call: (w) => ({ url: `/campaigns/${w.campaignId}/input` }) },
    "POST /campaigns/:id/draw": { owner: "municipality", call: (w) => ({ url: `/campaigns/${w.campaignId}/draw` }) },

    // What ends the enrollment last.
    "POST /applications/:id/withdrawal": { owner: "guardian", call: (w) => ({ url: `/applications/${w.queuedApplicationId}/withdrawal` }) },
    "POST /enrollments/:id/transfer": { owner: "guardian", call: (w) => ({ url: `/enrollments/${w.enrollmentId}/transfer`, payload: { groupId: w.openGroupId } }) },
    "POST /enrollments/:id/expulsion-answer": {
      owner: "guardian",
      call: (w) => ({ url: `/enrollments/${w.expelledEnrollmentId}/expulsion-answer`, payload: { text: "пропуски были по болезни, справки у педагога" } }),
    },
    "POST /enrollments/:id/end": { owner: "guardian", call: (w) => ({ url: `/enrollments/${w.enrollmentId}/end`, payload: { reason: "withdrawn" } }) },
  },
});
