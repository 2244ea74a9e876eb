import { randomUUID } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import { Topics } from "@kruzhok/contracts";

// Mixed traffic as registry, catalogue and enrollment publish it: a region's municipalities and
// groups first, then certificates issued and financed, applications, offers (made, lapsed),
// contracts and enrollments, in proportions of an enrollment season. Envelopes are built as
// plain objects in the contracts' shape (statistics validates every one on the way in).

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
      return [
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
    if (roll < 16 && this.certificates.length > 0) {
      const c = this.certificates[this.certificates.length - 1]!;
      return [{ topic: this.topic("registry"), key: c.certificateId, value: envelope("registry.certificate.financed", c.municipalityId, c.certificateId, { certificateId: c.certificateId, number: `F-${this.serial}`, childId: c.childId, year: at.getUTCFullYear(), nominal: 1_500_000, currency: "RUB", requestId: null }, at) }];
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
