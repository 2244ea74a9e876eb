/**
 * What each counted thing (a certificate, a provider, an application, an enrollment, a child's
 * enrollments) contributes to the aggregates, as a pure function of every event known about it.
 *
 * Determinism rests here: a subject's contributions depend on the *set* of its events, sorted
 * by event time (then event id), never on the order they arrived in. Rebuilding from offset 0,
 * whatever the interleaving of topics and partitions, ends with the same contributions; a late
 * event lands at its own instant and moves only what follows it.
 *
 * A contribution is `+1` or `-1` to a measure at an instant (a stock: certificates held,
 * children enrolled, queue length), or `+1` to a flow (offers made), or a sample (a waiting
 * time). Dimensions that come from other subjects (a group's direction, a municipality's zone,
 * a child's age band on a given day) are resolved when cells are computed, so that an event
 * about a group arriving after the enrollment changes nothing here.
 */

export type SubjectType = "certificate" | "provider" | "application" | "enrollment" | "child" | "mark" | "summary" | "signal" | "bill" | "reservation";

type CertificateEventKind = "certificate.issued" | "certificate.financed" | "certificate.suspended" | "certificate.resumed" | "certificate.closed" | "certificate.moved";
type ApplicationEventKind = "application.submitted" | "application.left" | "offer.made" | "offer.lapsed" | "contract.signed";

export type SubjectEventKind =
  | CertificateEventKind
  | ApplicationEventKind
  | "provider.applied"
  | "provider.approved"
  | "provider.rejected"
  | "provider.suspended"
  | "enrollment.started"
  | "enrollment.ended"
  | "child.enrollment-started"
  | "child.enrollment-ended"
  | "financing.funded"
  | "financing.queued"
  | "mark.recorded"
  | "mark.reviewed"
  | "month.summarised"
  | "signal.raised"
  | "signal.resolved"
  | "month.billed"
  | "reservation.changed";

/** One event about one subject, as stored: no person's id, only pseudonymous keys and codes. */
export interface SubjectEvent {
  eventId: string;
  kind: SubjectEventKind;
  municipalityId: string;
  at: Date;
  attrs: Record<string, string | number | null>;
}

export type StoredMeasure =
  | "certificates"
  | "providers"
  | "queue.length"
  | "queue.wait"
  | "offers"
  | "enrollments"
  | "coverage.enrolled"
  | "attendance.marks"
  | "attendance.lessons"
  | "signals"
  | "signals.resolved"
  | "signals.open"
  | "money.committed"
  | "money.committed.count"
  | "financing.queued"
  | "bills"
  | "money.spent"
  | "money.family"
  | "money.benefits"
  | "money.reserved"
  | "money.reserved.count";

export interface Contribution {
  municipalityId: string;
  measure: StoredMeasure;
  dims: Record<string, string>;
  /** The group an enrollment is in: its direction and funding kind are looked up when cells are computed. */
  groupId: string | null;
  /** The child's birth year: the age band is the one of the day counted. */
  birthYear: number | null;
  at: Date;
  delta: number;
  /** A waiting time in seconds (queue.wait), else null. */
  sample: number | null;
}

/**
 * Subjects whose every event comes from one topic under one message key: a lesson's marks and
 * their reviews (the lesson), an enrollment's month summarised, billed and its reservation (the
 * enrollment), a signal and its resolution (the signal). One partition, read in order by one
 * consumer batch at a time, so two writers of such a subject never overlap and it takes no lock
 * (store/facts.ts lockSubjects): a rebuild's batch of a thousand lessons marks ~15,000 of them,
 * beyond Postgres's lock table (64 locks a connection: "out of shared memory", the batch then
 * applied an event at a time, 20 events/s). The others (a certificate from the registry and
 * payments, a child's enrollments on several partitions) are locked.
 */
export const ONE_PARTITION: ReadonlySet<SubjectType> = new Set(["mark", "summary", "signal", "bill", "reservation"]);

export function subjectTypeOf(subjectKey: string): SubjectType {
  const type = subjectKey.slice(0, subjectKey.indexOf(":"));
  switch (type) {
    case "certificate":
    case "provider":
    case "application":
    case "enrollment":
    case "child":
    case "mark":
    case "summary":
    case "signal":
    case "bill":
    case "reservation":
      return type;
    default:
      throw new Error(`unknown subject type in key ${subjectKey}`);
  }
}

const byTime = (a: SubjectEvent, b: SubjectEvent) => a.at.getTime() - b.at.getTime() || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);

/** The contributions of one subject, from all its events. */
export function contributionsOf(type: SubjectType, events: readonly SubjectEvent[]): Contribution[] {
  const ordered = [...events].sort(byTime);
  switch (type) {
    case "certificate":
      return [...certificateContributions(ordered), ...financingContributions(ordered)];
    case "provider":
      return providerContributions(ordered);
    case "application":
      return applicationContributions(ordered);
    case "enrollment":
      return enrollmentContributions(ordered);
    case "child":
      return childContributions(ordered);
    case "mark":
      return markContributions(ordered);
    case "summary":
      return summaryContributions(ordered);
    case "signal":
      return signalContributions(ordered);
    case "bill":
      return billContributions(ordered);
    case "reservation":
      return reservationContributions(ordered);
    default: {
      const never: never = type;
      throw new Error(`unhandled subject type ${String(never)}`);
    }
  }
}

const change = (
  municipalityId: string,
  measure: StoredMeasure,
  at: Date,
  delta: number,
  extra: Partial<Pick<Contribution, "dims" | "groupId" | "birthYear" | "sample">> = {},
): Contribution => ({ municipalityId, measure, dims: extra.dims ?? {}, groupId: extra.groupId ?? null, birthYear: extra.birthYear ?? null, at, delta, sample: extra.sample ?? null });

/** Emit -1 for what was counted and +1 for what is, when they differ. */
function transition<S>(
  out: Contribution[],
  before: S | null,
  after: S | null,
  same: (a: S, b: S) => boolean,
  counted: (state: S, delta: number) => Contribution,
): void {
  if (before && after && same(before, after)) return;
  if (before) out.push(counted(before, -1));
  if (after) out.push(counted(after, +1));
}

interface CertificateCount {
  municipalityId: string;
  status: "accounting" | "financed" | "suspended";
  birthYear: number | null;
}

function certificateContributions(events: readonly SubjectEvent[]): Contribution[] {
  const out: Contribution[] = [];
  let municipalityId: string | null = null;
  let funding: "accounting" | "financed" | null = null;
  let suspended = false;
  let closed = false;
  let birthYear: number | null = null;
  const counted = (): CertificateCount | null =>
    municipalityId && funding && !closed ? { municipalityId, status: suspended ? "suspended" : funding, birthYear } : null;
  for (const event of events) {
    if (!event.kind.startsWith("certificate.")) continue;
    const before = counted();
    const kind = event.kind as CertificateEventKind;
    switch (kind) {
      case "certificate.issued":
        municipalityId = event.municipalityId;
        funding = "accounting";
        birthYear = typeof event.attrs.birthYear === "number" ? event.attrs.birthYear : null;
        break;
      case "certificate.financed":
        municipalityId ??= event.municipalityId;
        funding = "financed";
        break;
      case "certificate.suspended":
        municipalityId ??= event.municipalityId;
        suspended = true;
        break;
      case "certificate.resumed":
        suspended = false;
        break;
      case "certificate.closed":
        closed = true;
        break;
      case "certificate.moved":
        municipalityId = String(event.attrs.toMunicipalityId);
        funding = event.attrs.funding === "financed" ? "financed" : "accounting";
        break;
      default: {
        const never: never = kind;
        throw new Error(`unhandled certificate event ${String(never)}`);
      }
    }
    transition(
      out,
      before,
      counted(),
      (a, b) => a.municipalityId === b.municipalityId && a.status === b.status && a.birthYear === b.birthYear,
      (state, delta) => change(state.municipalityId, "certificates", event.at, delta, { dims: { status: state.status }, birthYear: state.birthYear }),
    );
  }
  return out;
}

interface ProviderCount {
  municipalityId: string;
  kind: string;
  status: string;
}

function providerContributions(events: readonly SubjectEvent[]): Contribution[] {
  const out: Contribution[] = [];
  let state: ProviderCount | null = null;
  for (const event of events) {
    if (!event.kind.startsWith("provider.")) continue;
    const next: ProviderCount = { municipalityId: event.municipalityId, kind: String(event.attrs.kind), status: event.kind.slice("provider.".length) };
    transition(
      out,
      state,
      next,
      (a, b) => a.municipalityId === b.municipalityId && a.kind === b.kind && a.status === b.status,
      (s, delta) => change(s.municipalityId, "providers", event.at, delta, { dims: { kind: s.kind, status: s.status } }),
    );
    state = next;
  }
  return out;
}

/**
 * An application waits in the queue from its submission until its first offer or until it
 * leaves (withdrawn, refused, rejected). Its wait is the time from the instant the queue ranks
 * it by (`acceptedAt`) to the first offer, counted in the period of the offer. Every offer is
 * counted as made, and once as accepted (a signed contract), declined or expired.
 */
function applicationContributions(events: readonly SubjectEvent[]): Contribution[] {
  const out: Contribution[] = [];
  let queuedIn: string | null = null;
  let acceptedAt: Date | null = null;
  let offered = false;
  let left = false;
  for (const event of events) {
    const kind = event.kind as ApplicationEventKind;
    switch (kind) {
      case "application.submitted":
        if (queuedIn || offered || left) break;
        acceptedAt = typeof event.attrs.acceptedAt === "string" ? new Date(event.attrs.acceptedAt) : event.at;
        queuedIn = event.municipalityId;
        out.push(change(queuedIn, "queue.length", event.at, +1));
        break;
      case "application.left":
        left = true;
        if (queuedIn) out.push(change(queuedIn, "queue.length", event.at, -1));
        queuedIn = null;
        break;
      case "offer.made":
        out.push(change(event.municipalityId, "offers", event.at, +1, { dims: { outcome: "made" } }));
        if (!offered && acceptedAt) {
          const seconds = Math.max(0, Math.round((event.at.getTime() - acceptedAt.getTime()) / 1_000));
          out.push(change(event.municipalityId, "queue.wait", event.at, +1, { sample: seconds }));
        }
        offered = true;
        if (queuedIn) out.push(change(queuedIn, "queue.length", event.at, -1));
        queuedIn = null;
        break;
      case "offer.lapsed":
        out.push(change(event.municipalityId, "offers", event.at, +1, { dims: { outcome: event.attrs.reason === "declined" ? "declined" : "expired" } }));
        break;
      case "contract.signed":
        out.push(change(event.municipalityId, "offers", event.at, +1, { dims: { outcome: "accepted" } }));
        break;
      default: {
        const never: never = kind;
        throw new Error(`unhandled application event ${String(never)}`);
      }
    }
  }
  return out;
}

function enrollmentContributions(events: readonly SubjectEvent[]): Contribution[] {
  const out: Contribution[] = [];
  let active: { municipalityId: string; groupId: string | null } | null = null;
  let ended = false;
  for (const event of events) {
    if (event.kind === "enrollment.started" && !active && !ended) {
      active = { municipalityId: event.municipalityId, groupId: typeof event.attrs.groupId === "string" ? event.attrs.groupId : null };
      out.push(change(active.municipalityId, "enrollments", event.at, +1, { groupId: active.groupId }));
    } else if (event.kind === "enrollment.ended") {
      ended = true;
      if (active) out.push(change(active.municipalityId, "enrollments", event.at, -1, { groupId: active.groupId }));
      active = null;
    }
  }
  return out;
}

/** A child counts as enrolled in a municipality while at least one of its enrollments there is active. */
function childContributions(events: readonly SubjectEvent[]): Contribution[] {
  const out: Contribution[] = [];
  const active = new Map<string, string>(); // enrollment key -> municipality
  const ended = new Set<string>();
  const countIn = (municipalityId: string) => [...active.values()].filter((m) => m === municipalityId).length;
  for (const event of events) {
    const enrollment = String(event.attrs.enrollmentKey);
    if (event.kind === "child.enrollment-started" && !active.has(enrollment) && !ended.has(enrollment)) {
      if (countIn(event.municipalityId) === 0) out.push(change(event.municipalityId, "coverage.enrolled", event.at, +1));
      active.set(enrollment, event.municipalityId);
    } else if (event.kind === "child.enrollment-ended") {
      ended.add(enrollment);
      const municipalityId = active.get(enrollment);
      if (municipalityId === undefined) continue;
      active.delete(enrollment);
      if (countIn(municipalityId) === 0) out.push(change(municipalityId, "coverage.enrolled", event.at, -1));
    }
  }
  return out;
}

/**
 * Payments' side of a certificate: the amount committed to it for a year (a flow on the day of
 * funding, with the count of certificates funded beside it), and the certificate waiting in the
 * financing queue of a year from the day it was queued until that year's funding or its close.
 */
function financingContributions(events: readonly SubjectEvent[]): Contribution[] {
  const out: Contribution[] = [];
  const funded = new Set<string>();
  const waiting = new Map<string, string>(); // year -> municipality
  for (const event of events) {
    const year = String(event.attrs.year);
    if (event.kind === "financing.funded" && !funded.has(year)) {
      funded.add(year);
      out.push(change(event.municipalityId, "money.committed", event.at, Number(event.attrs.amount)), change(event.municipalityId, "money.committed.count", event.at, +1));
      const queuedIn = waiting.get(year);
      if (queuedIn !== undefined) out.push(change(queuedIn, "financing.queued", event.at, -1));
      waiting.delete(year);
    } else if (event.kind === "financing.queued" && !funded.has(year) && !waiting.has(year)) {
      waiting.set(year, event.municipalityId);
      out.push(change(event.municipalityId, "financing.queued", event.at, +1));
    } else if (event.kind === "certificate.closed") {
      for (const municipalityId of waiting.values()) out.push(change(municipalityId, "financing.queued", event.at, -1));
      waiting.clear();
    }
  }
  return out;
}

/**
 * One child's mark at one lesson: counted once, on the lesson's start, with its latest status
 * (a correction or a resolved dispute replaces it). Nothing until the lesson itself is known.
 */
function markContributions(events: readonly SubjectEvent[]): Contribution[] {
  const recorded = events.find((event) => event.kind === "mark.recorded");
  const latest = events[events.length - 1];
  if (!recorded || !latest) return [];
  return [change(recorded.municipalityId, "attendance.marks", new Date(String(recorded.attrs.startsAt)), +1, { dims: { status: String(latest.attrs.status) } })];
}

/**
 * The instant a month's own figures are counted at: 11:00 UTC on its first day is that day in
 * every zone from UTC-11 to UTC+12, so the figures land in their month's block whatever the
 * municipality's zone. Monthly measures have month cells only (domain/cells.ts MONTHLY).
 */
export function monthInstant(month: string): Date {
  return new Date(`${month.slice(0, 7)}-01T11:00:00Z`);
}

/** The latest version of a versioned monthly fact (a reopened month's summary, a corrected bill). */
function latestVersion(events: readonly SubjectEvent[]): SubjectEvent | undefined {
  return events.reduce<SubjectEvent | undefined>((best, event) => (!best || Number(event.attrs.version) >= Number(best.attrs.version) ? event : best), undefined);
}

/** One enrollment's month as attendance closed it (the latest version): lessons by outcome, in the month they were held. */
function summaryContributions(events: readonly SubjectEvent[]): Contribution[] {
  const summary = latestVersion(events);
  if (!summary) return [];
  const at = monthInstant(String(summary.attrs.month));
  return (["present", "excused", "unexcused", "unmarked"] as const)
    .map((outcome) => ({ outcome, lessons: Number(summary.attrs[outcome]) }))
    .filter(({ lessons }) => lessons > 0)
    .map(({ outcome, lessons }) => change(summary.municipalityId, "attendance.lessons", at, lessons, { dims: { outcome } }));
}

/**
 * A fraud signal: raised (by kind) when the mark that caused it was written, open from then
 * until the municipality resolves it, resolved (by outcome) then.
 */
function signalContributions(events: readonly SubjectEvent[]): Contribution[] {
  const raised = events.find((event) => event.kind === "signal.raised");
  if (!raised) return [];
  const at = new Date(String(raised.attrs.causedAt));
  const out = [change(raised.municipalityId, "signals", at, +1, { dims: { kind: String(raised.attrs.kind) } }), change(raised.municipalityId, "signals.open", at, +1)];
  const resolved = events.find((event) => event.kind === "signal.resolved");
  if (resolved) {
    out.push(
      change(raised.municipalityId, "signals.resolved", resolved.at, +1, { dims: { outcome: String(resolved.attrs.outcome) } }),
      change(raised.municipalityId, "signals.open", resolved.at, -1),
    );
  }
  return out;
}

/**
 * One enrollment's month as payments billed it (the latest version): what the certificate paid,
 * what the family was charged and what benefits took off the family's part, in the month of the
 * lessons, with the count of bills beside them.
 */
function billContributions(events: readonly SubjectEvent[]): Contribution[] {
  const bill = latestVersion(events);
  if (!bill) return [];
  const at = monthInstant(String(bill.attrs.month));
  const amounts = [
    ["money.spent", Number(bill.attrs.certificateAmount)],
    ["money.family", Number(bill.attrs.familyAmount)],
    ["money.benefits", Number(bill.attrs.benefitAmount ?? 0)],
  ] as const;
  return [change(bill.municipalityId, "bills", at, +1), ...amounts.filter(([, amount]) => amount > 0).map(([measure, amount]) => change(bill.municipalityId, measure, at, amount))];
}

/**
 * An enrollment's reservation of a year on the certificate: the money it holds, a stock changed
 * at each of its announcements, with the count of reservations holding any beside it. Its
 * changes are taken in their own order (`seq`, a release last), which instants may not tell:
 * a bill and a release can be announced at the same instant.
 */
function reservationContributions(events: readonly SubjectEvent[]): Contribution[] {
  const out: Contribution[] = [];
  const ordered = [...events].sort((a, b) => Number(a.attrs.seq) - Number(b.attrs.seq) || Number(a.attrs.released === "true") - Number(b.attrs.released === "true") || byTime(a, b));
  let held: { municipalityId: string; amount: number } | null = null;
  for (const event of ordered) {
    const amount = Number(event.attrs.held);
    const next = amount > 0 ? { municipalityId: event.municipalityId, amount } : null;
    transition(
      out,
      held,
      next,
      (a, b) => a.municipalityId === b.municipalityId && a.amount === b.amount,
      (state, delta) => change(state.municipalityId, "money.reserved", event.at, delta * state.amount),
    );
    transition(
      out,
      held,
      next,
      (a, b) => a.municipalityId === b.municipalityId,
      (state, delta) => change(state.municipalityId, "money.reserved.count", event.at, delta),
    );
    held = next;
  }
  return out;
}
