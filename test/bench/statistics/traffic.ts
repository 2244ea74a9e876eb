import { randomUUID } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import { Topics } from "@kruzhok/contracts";

// Mixed traffic as registry, catalogue, enrollment, attendance and payments publish it: a
// region's municipalities and groups first, then certificates issued, financed and funded,
// applications, offers (made, lapsed), contracts and enrollments with their reservations, lessons
// marked for the enrolled, and enrollments' months summarised and billed, in proportions of an
// enrollment season. Envelopes are built as plain objects in the contracts' shape (statistics
// validates every one on the way in).

export interface Outgoing {
  topic: string;
  key: string;
  value: string;
}

interface Municipality {
  id: string;
  groups: { groupId: string; programId: string; providerId: string }[];
}

const envelope = (type: string, municipalityId: string, aggregateId: string, data: object, at: Date, version = 1) => {
  const id = uuidv7({ msecs: at.getTime() });
  return JSON.stringify({ id, type, version, occurredAt: at.toISOString(), municipalityId, aggregateId, correlationId: id, causationId: null, data });
};

export class Traffic {
  readonly municipalities: Municipality[] = [];
  private readonly certificates: { municipalityId: string; certificateId: string; childId: string }[] = [];
  private readonly queued: { municipalityId: string; ref: Record<string, string> }[] = [];
  private readonly offered: { municipalityId: string; ref: Record<string, string>; offerId: string }[] = [];
  /** Enrolled children by group (a lesson marks them), and the enrollments whose month is still to be billed. */
  private readonly enrolled = new Map<string, { municipalityId: string; enrollmentId: string; childId: string; providerId: string }[]>();
  private readonly toBill: { municipalityId: string; enrollmentId: string; childId: string; groupId: string; programId: string; providerId: string }[] = [];
  private serial = 0;

  constructor(private readonly prefix: string, municipalities: number, regions: number) {
    for (let i = 0; i < municipalities; i++) {
      const providerId = randomUUID();
      this.municipalities.push({
        id: randomUUID(),
        groups: Array.from({ length: 6 }, () => ({ groupId: randomUUID(), programId: randomUUID(), providerId })),
      });
    }
    this.regions = regions;
  }
  private readonly regions: number;

  private topic(name: keyof typeof Topics): string {
    return `${this.prefix}${Topics[name]}`;
  }

  /** The municipalities, their years (10,000 children each), providers and groups. */
  setup(at = new Date()): Outgoing[] {
    const out: Outgoing[] = [];
    const directions = ["technical", "natural_science", "physical_culture_and_sports", "arts", "tourism_and_local_history", "social_and_humanitarian"];
    for (const [i, m] of this.municipalities.entries()) {
      const regionCode = String(11 + (i % this.regions));
      out.push({ topic: this.topic("registry"), key: m.id, value: envelope("registry.municipality.created", m.id, m.id, { municipalityId: m.id, code: `${regionCode}${i}`, name: `Город ${i}`, regionCode, timeZone: "Europe/Moscow", currency: "RUB" }, at) });
      out.push({
        topic: this.topic("registry"),
        key: `${m.id}:${at.getUTCFullYear()}`,
        value: envelope("registry.municipality.year-set", m.id, `${m.id}:${at.getUTCFullYear()}`, {
          year: at.getUTCFullYear(), currency: "RUB", nominal: 1_500_000, budget: 3_000_000_000, financedCap: 5_000, childrenPopulation: 10_000, categories: [], maxOpenApplications: 5,
          deadlines: { offerAcceptanceDays: 5, providerReviewWorkingDays: 3, monthCloseDay: 5 },
        }, at),
      });
      const providerId = m.groups[0]!.providerId;
      out.push({ topic: this.topic("registry"), key: providerId, value: envelope("registry.provider.approved", m.id, providerId, { providerId, kind: "private", name: "ООО «Кванториум»" }, at) });
      for (const [g, group] of m.groups.entries()) {
        out.push({
          topic: this.topic("catalogue"),
          key: group.groupId,
          value: envelope("catalogue.group.opened", m.id, group.groupId, {
            ...group, capacity: 30, schedule: { timeZone: "Europe/Moscow", slots: [{ weekday: 2, start: "15:00", end: "16:00" }] }, startsOn: "2026-09-01", endsOn: "2027-05-31",
            exceptions: [], direction: directions[g % directions.length], ageRange: { min: 5, max: 17 }, pricePerHour: 20_000, currency: "RUB",
            fundingKind: g % 2 ? "free" : "financed", certificationExpiresOn: null, acceptingApplications: true,
          }, at),
        });
      }
    }
    return out;
  }

  /** One event of the season's mix (a contract brings its enrollment with it: two). */
  next(at = new Date()): Outgoing[] {
    const roll = this.serial++ % 20;
    const m = this.municipalities[this.serial % this.municipalities.length]!;
    if (roll < 2 && this.offered.length > 0) {
      const o = this.offered.shift()!;
      return [{ topic: this.topic("enrollment"), key: o.ref.applicationId!, value: envelope("enrollment.offer.lapsed", o.municipalityId, o.ref.applicationId!, { ...o.ref, offerId: o.offerId, reason: "declined" }, at) }];
    }
    if (roll < 5 && this.offered.length > 0) {
      const o = this.offered.shift()!;
      const enrollmentId = randomUUID();
      const child = { municipalityId: o.municipalityId, enrollmentId, childId: o.ref.childId!, providerId: o.ref.providerId! };
      this.enrolled.set(o.ref.groupId!, [...(this.enrolled.get(o.ref.groupId!) ?? []).slice(-14), child]);
      this.toBill.push({ ...child, groupId: o.ref.groupId!, programId: o.ref.programId! });
      return [
        {
          topic: this.topic("payments"),
          key: enrollmentId,
          value: envelope("payments.reservation.changed", o.municipalityId, enrollmentId, { enrollmentId, certificateId: randomUUID(), year: at.getUTCFullYear(), held: 1_200_000, missing: 0, seq: 1, released: false }, at),
        },
        { topic: this.topic("enrollment"), key: enrollmentId, value: envelope("enrollment.contract.signed", o.municipalityId, enrollmentId, { ...o.ref, offerId: o.offerId, contractId: randomUUID(), enrollmentId, method: "electronic", signedBy: "guardian", signedAt: at.toISOString() }, at) },
        { topic: this.topic("enrollment"), key: enrollmentId, value: envelope("enrollment.enrollment.started", o.municipalityId, enrollmentId, { enrollmentId, groupId: o.ref.groupId, programId: o.ref.programId, childId: o.ref.childId }, at) },
      ];
    }
    if (roll < 9 && this.queued.length > 0) {
      const q = this.queued.shift()!;
      const offerId = randomUUID();
      this.offered.push({ ...q, offerId });
      return [{ topic: this.topic("enrollment"), key: q.ref.applicationId!, value: envelope("enrollment.offer.made", q.municipalityId, q.ref.applicationId!, { ...q.ref, offerId, deadline: at.toISOString() }, at) }];
    }
    if (roll < 14 && this.certificates.length > 0) {
      const c = this.certificates.shift()!;
      const group = this.municipalities.find((one) => one.id === c.municipalityId)!.groups[this.serial % 6]!;
      const ref = { applicationId: randomUUID(), childId: c.childId, ...group };
      this.queued.push({ municipalityId: c.municipalityId, ref });
      return [{
        topic: this.topic("enrollment"),
        key: ref.applicationId,
        value: envelope("enrollment.application.submitted", c.municipalityId, ref.applicationId, { ...ref, status: "queued", acceptedAt: at.toISOString(), reviewDueAt: at.toISOString(), submittedBy: "guardian" }, at, 2),
      }];
    }
    if (roll < 15 && this.certificates.length > 0) {
      const c = this.certificates[this.certificates.length - 1]!;
      return [
        { topic: this.topic("registry"), key: c.certificateId, value: envelope("registry.certificate.financed", c.municipalityId, c.certificateId, { certificateId: c.certificateId, number: `F-${this.serial}`, childId: c.childId, year: at.getUTCFullYear(), nominal: 1_500_000, currency: "RUB", requestId: null }, at) },
        { topic: this.topic("payments"), key: c.certificateId, value: envelope("payments.certificate.funded", c.municipalityId, c.certificateId, { certificateId: c.certificateId, year: at.getUTCFullYear(), amount: 1_500_000, currency: "RUB", coefficient: 1 }, at) },
      ];
    }
    if (roll === 15) {
      // A lesson of a group with children enrolled: everyone marked, one in five absent.
      const [groupId, children] = [...this.enrolled][this.serial % Math.max(1, this.enrolled.size)] ?? [];
      if (groupId && children) {
        const lessonId = randomUUID();
        const startsAt = new Date(at.getTime() - 3_600_000);
        const marks = children.map((c, i) => ({ childId: c.childId, enrollmentId: c.enrollmentId, status: (this.serial + i) % 5 ? "present" : "absent", previous: null }));
        return [{
          topic: this.topic("attendance"),
          key: lessonId,
          value: envelope("attendance.lesson.marked", children[0]!.municipalityId, lessonId, {
            lessonId, groupId, providerId: children[0]!.providerId, date: startsAt.toISOString().slice(0, 10), startsAt: startsAt.toISOString(), endsAt: at.toISOString(), kind: "class", onSchedule: true, marks,
          }, at),
        }];
      }
    }
    if (roll === 16 && this.toBill.length > 0) {
      // An enrollment's previous month closed and billed.
      const e = this.toBill.shift()!;
      const previous = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
      const ids = { enrollmentId: e.enrollmentId, childId: e.childId, groupId: e.groupId, programId: e.programId, providerId: e.providerId };
      return [
        {
          topic: this.topic("attendance"),
          key: e.enrollmentId,
          value: envelope("attendance.month.summarised", e.municipalityId, e.enrollmentId, {
            ...ids, month: previous, version: 1, supersedes: null, kind: "class", scheduled: 8, present: 6, excused: { illness: 1, vacation: 0, quarantine: 0, repairs: 0, rehabilitation: 0 }, unexcused: 1,
            unmarked: 0, disputed: 0, unconfirmed: 0, billable: 6, confirmationRequired: false,
          }, at),
        },
        {
          topic: this.topic("payments"),
          key: e.enrollmentId,
          value: envelope("payments.month.billed", e.municipalityId, e.enrollmentId, {
            enrollmentId: e.enrollmentId, certificateId: null, providerId: e.providerId, month: previous, version: 1, lessons: 6, certificateAmount: 180_000, familyAmount: 0, uncoveredAmount: 0,
            benefitAmount: 0, compensationAmount: 0, currency: "RUB", registerId: randomUUID(),
          }, at),
        },
      ];
    }
    const certificateId = randomUUID();
    const childId = randomUUID();
    this.certificates.push({ municipalityId: m.id, certificateId, childId });
    return [{
      topic: this.topic("registry"),
      key: certificateId,
      value: envelope("registry.certificate.issued", m.id, certificateId, { certificateId, number: `N-${this.serial}`, childId, birthYear: 2008 + (this.serial % 13), ageBand: "11-14", categories: [], funding: "accounting", guardianIds: [randomUUID()] }, at),
    }];
  }
}
