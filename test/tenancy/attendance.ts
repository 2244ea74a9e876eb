import { randomUUID } from "node:crypto";
import { attendanceHarness, enrolled, group, world, type AttendanceHarness } from "../../services/attendance/test/fixtures/attendance";
import { defineMatrix, type World } from "./matrix";

// Attendance's routes (port 3004): marks, absence notices, confirmations, signals, rules, months.
// Its rules: another provider's group is 403 NOT_YOUR_GROUP, another family's child (or a child in
// none of a provider's groups) 403 NOT_YOUR_CHILD; the municipality's lists and months are for
// its operators and officials and the region's (AUTH.OTHER_MUNICIPALITY, AUTH.OTHER_REGION);
// ministries see aggregates only, from statistics (AUTH.FORBIDDEN_ROLE).

interface AttendanceWorld extends World {
  groupId: string;
  childId: string;
  /** A lesson the provider marked (the guardian reviews it) and the illness notice the guardian sent (its proof is due). */
  lessonId: string;
  noticeId: string;
  /** A fraud signal of the home municipality (a lesson marked outside the schedule): the municipality resolves it. */
  signalId: string;
}

async function attendanceWorld(h: AttendanceHarness): Promise<AttendanceWorld> {
  // Kamchatka: the child is enrolled in August; on 20 September (noon, local) September's lessons so far have started and August has ended.
  h.clock.set("2026-08-01T00:00:00Z");
  const home = await world(h);
  const neighbour = await world(h);
  const groupId = await group(h, home);
  const child = await enrolled(h, home, groupId);
  h.clock.set("2026-09-20T00:00:00Z");
  const marked = await h.app.inject({ method: "PUT", url: `/groups/${groupId}/lessons/2026-09-08T15:00`, headers: home.provider, payload: { marks: [{ childId: child.childId, status: "present" }] } });
  if (marked.statusCode !== 200) throw new Error(`lesson not marked: ${marked.body}`);
  // Wednesday 9 September: not in the schedule, so a signal is raised.
  const outside = await h.app.inject({ method: "PUT", url: `/groups/${groupId}/lessons/2026-09-09T15:00`, headers: home.provider, payload: { marks: [{ childId: child.childId, status: "present" }] } });
  if (outside.statusCode !== 200) throw new Error(`lesson not marked: ${outside.body}`);
  const { rows: signals } = await h.pool.query<{ id: string }>("SELECT id FROM signals WHERE municipality_id = $1 AND kind = 'outside_schedule'", [home.municipalityId]);
  if (signals.length !== 1) throw new Error(`expected one signal, found ${signals.length}`);
  const notice = await h.app.inject({ method: "POST", url: "/absence-notices", headers: child.guardian, payload: { childId: child.childId, reason: "illness", from: "2026-09-21", to: "2026-09-22" } });
  if (notice.statusCode !== 201) throw new Error(`notice not sent: ${notice.body}`);
  return {
    home: home.municipalityId,
    neighbour: neighbour.municipalityId,
    guardianId: child.guardianId,
    providerId: home.providerId,
    otherGuardianId: randomUUID(),
    otherProviderId: randomUUID(),
    groupId,
    childId: child.childId,
    lessonId: marked.json<{ lessonId: string }>().lessonId,
    noticeId: notice.json<{ id: string }>().id,
    signalId: signals[0]!.id,
    secrets: [child.enrollmentId],
  };
}

export const attendanceMatrix = defineMatrix<AttendanceWorld, AttendanceHarness>({
  service: "attendance",
  refusals: /^ATTENDANCE\.(NOT_YOUR_\w+|\w+_NOT_FOUND)$/,
  harness: (label) => attendanceHarness(label),
  world: attendanceWorld,
  routes: {
    "GET /groups/:id/lessons": { owner: "provider", call: (w) => ({ url: `/groups/${w.groupId}/lessons?month=2026-09` }) },
    "GET /groups/:id/lessons/:lesson/changes": { owner: "provider", call: (w) => ({ url: `/groups/${w.groupId}/lessons/2026-09-08T15:00/changes` }) },
    "PUT /groups/:id/lessons/:lesson": {
      owner: "provider",
      call: (w) => ({ url: `/groups/${w.groupId}/lessons/2026-09-15T15:00`, payload: { marks: [{ childId: w.childId, status: "present" }] } }),
    },
    "PUT /groups/:id/sheets/:month": {
      owner: "provider",
      call: (w) => ({ url: `/groups/${w.groupId}/sheets/2026-09`, payload: { lessons: [{ date: "2026-09-17", start: "15:00", marks: [{ childId: w.childId, status: "absent" }] }] } }),
    },
    "POST /groups/:id/days-off": { owner: "provider", call: (w) => ({ url: `/groups/${w.groupId}/days-off`, payload: { date: "2026-09-29", kind: "cancelled" } }) },
    "PUT /groups/:id/kind": { owner: "provider", call: (w) => ({ url: `/groups/${w.groupId}/kind`, payload: { kind: "class" } }) },
    "POST /absence-notices": {
      owner: "guardian",
      call: (w) => ({ url: "/absence-notices", payload: { childId: w.childId, reason: "vacation", from: "2026-10-01", to: "2026-10-05" } }),
    },
    "POST /absence-notices/:id/proof": { owner: "guardian", call: (w) => ({ url: `/absence-notices/${w.noticeId}/proof`, payload: { reference: "справка 095/у № 4411" } }) },
    "GET /children/:id/marks": { owner: "guardian", call: (w) => ({ url: `/children/${w.childId}/marks?month=2026-09` }) },
    "POST /children/:id/mark-reviews": { owner: "guardian", call: (w) => ({ url: `/children/${w.childId}/mark-reviews`, payload: { marks: [{ lessonId: w.lessonId, decision: "confirm" }] } }) },
    "GET /municipalities/:id/years/:year/rules": { owner: "municipality", call: (w) => ({ url: `/municipalities/${w.home}/years/2026/rules` }) },
    "GET /municipalities/:id/years/:year/rules/versions": { owner: "municipality", call: (w) => ({ url: `/municipalities/${w.home}/years/2026/rules/versions` }) },
    "PUT /municipalities/:id/years/:year/rules": {
      owner: "municipality",
      call: (w) => ({
        url: `/municipalities/${w.home}/years/2027/rules`,
        payload: { holidays: ["2027-01-01"], closingWorkingDay: 3, confirmationRequired: false, noticeDeadline: "09:00", proofWindowDays: 10, vacationDaysCap: 75, maxGroupsPerWeek: 4, lateEntryDays: 7, bulkLateMarks: 30 },
      }),
    },
    "GET /municipalities/:id/signals": { owner: "operator", call: (w) => ({ url: `/municipalities/${w.home}/signals` }) },
    "GET /municipalities/:id/disputes": { owner: "municipality", call: (w) => ({ url: `/municipalities/${w.home}/disputes?month=2026-09` }) },
    "GET /providers/:id/signals": { owner: "provider", call: (w) => ({ url: `/providers/${w.providerId}/signals` }) },
    "POST /municipalities/:id/signals/:signalId/resolution": {
      owner: "municipality",
      call: (w) => ({ url: `/municipalities/${w.home}/signals/${w.signalId}/resolution`, payload: { outcome: "dismissed", reason: "Занятие перенесено приказом" } }),
    },
    "GET /municipalities/:id/months/:month/summaries": { owner: "operator", call: (w) => ({ url: `/municipalities/${w.home}/months/2026-08/summaries` }) },
    // What ends things last: August closed, then reopened.
    "POST /municipalities/:id/months/:month/close": { owner: "operator", call: (w) => ({ url: `/municipalities/${w.home}/months/2026-08/close` }) },
    "POST /municipalities/:id/months/:month/reopen": { owner: "municipality", call: (w) => ({ url: `/municipalities/${w.home}/months/2026-08/reopen` }) },
  },
});
