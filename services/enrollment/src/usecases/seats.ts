import { v7 as uuidv7 } from "uuid";
import { OfferMade } from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import type { Queryable } from "@kruzhok/postgres";
import { localDateOf } from "@kruzhok/time";
import { applicationRef, certificationInForce } from "../domain/application";
import { offerDeadline } from "../domain/deadlines";
import { lockGroupQueue, markPassedWhileFinancing, markQueueDirty, queueWithoutFinancingWaits, setApplicationStatus } from "../store/applications";
import { insertOffer, seatsTaken } from "../store/offers";
import { findGroup, findRules } from "../store/projections";
import { noticeApproachingPositions, notifyOfferMade, notifySeatPassedWhileFinancing } from "./notifications";

/**
 * Offer every free seat of the group to the head of its queue, in queue order. A seat is free
 * when capacity exceeds active enrollments plus open offers. The queue is strict: when the head
 * cannot take an offer yet (its provider review or its financing is pending) the seats wait for
 * it rather than skipping to the next child; both waits are bounded (the review deadline moves
 * the application on automatically, the registry always answers a financing request).
 * Takes the group's queue lock, so callers may hold it already or not. Every change of a queue
 * ends here, so the families whose place came near the head are told here too.
 */
export async function fillSeats(tx: Queryable, groupId: string, now: Date, cause: Cause): Promise<string[]> {
  await lockGroupQueue(tx, groupId);
  const offered = await offerFreeSeats(tx, groupId, now, cause);
  await noticeApproachingPositions(tx, groupId, now, cause);
  return offered;
}

async function offerFreeSeats(tx: Queryable, groupId: string, now: Date, cause: Cause): Promise<string[]> {
  const group = await findGroup(tx, groupId);
  if (group?.status !== "open") return [];
  // Past the certification's last day no contract can be signed: offering the seat would only mislead.
  if (!certificationInForce(group, group.timeZone, now)) return [];
  const free = group.capacity - (await seatsTaken(tx, groupId));
  if (free <= 0) return [];
  // A child whose certificate waits for financing keeps its place but holds no seat: the seat goes
  // to the next child ready for it, or it would stay empty for as long as the budget does.
  const heads = await queueWithoutFinancingWaits(tx, groupId, free);
  if (heads.length === 0) return [];
  const settings = await findRules(tx, group.municipalityId, localDateOf(now, group.timeZone).year);
  if (!settings?.rules) return [];
  const deadline = offerDeadline(now, settings.timeZone, settings.rules.offerAcceptanceDays);
  const offered: string[] = [];
  for (const head of heads) {
    const ready = head.status === "queued" && (head.review === "confirmed" || head.review === "auto_confirmed");
    if (!ready) break;
    const offerId = uuidv7({ msecs: now.getTime() });
    await insertOffer(tx, { id: offerId, applicationId: head.id, groupId, municipalityId: head.municipalityId, madeAt: now, deadlineAt: deadline });
    await setApplicationStatus(tx, head.id, { status: "offered" }, now);
    await emit(tx, OfferMade, { ...cause, municipalityId: head.municipalityId, aggregateId: head.id }, { ...applicationRef(head), offerId, deadline: deadline.toISOString() }, now);
    await notifyOfferMade(tx, head, { offerId, deadline }, now, cause);
    offered.push(offerId);
  }
  if (offered.length > 0) {
    await markQueueDirty(tx, groupId);
    const lastOffered = heads[offered.length - 1]!;
    for (const passed of await markPassedWhileFinancing(tx, groupId, lastOffered, now)) await notifySeatPassedWhileFinancing(tx, passed, now, cause);
  }
  return offered;
}
