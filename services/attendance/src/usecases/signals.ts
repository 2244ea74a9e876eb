import type { Actor } from "@kruzhok/actor";
import { SignalResolved, type SignalOutcome } from "@kruzhok/contracts";
import { emit, type Cause } from "@kruzhok/messaging";
import { attendanceError } from "../domain/errors";
import { decideResolution } from "../domain/signals";
import { lockSignal, saveResolution, type SignalRow } from "../store/signals";
import type { AttendanceDeps } from "../deps";
import { requireMunicipalStaff } from "./access";
import { inTransaction } from "./transaction";

/**
 * The municipality resolves a fraud signal of its own after looking at the evidence: confirmed
 * or dismissed, with its reason. Announced without the reason (statistics counts resolutions);
 * the same outcome again is a retry and announces nothing.
 */
export async function resolveSignal(
  deps: AttendanceDeps,
  actor: Actor,
  command: { municipalityId: string; signalId: string; outcome: SignalOutcome; reason: string },
  cause: Cause,
): Promise<SignalRow> {
  return inTransaction(deps, cause, async ({ tx, now, cause }) => {
    await requireMunicipalStaff(tx, actor, command.municipalityId, "municipality");
    const signal = await lockSignal(tx, command.signalId);
    if (signal?.municipalityId !== command.municipalityId) throw attendanceError("SIGNAL_NOT_FOUND", `no signal ${command.signalId} in municipality ${command.municipalityId}`, { field: "signalId" });
    const { municipalityId, ...row } = signal;
    if (decideResolution(signal, command.outcome) === "unchanged") return row;
    await saveResolution(tx, signal.id, { outcome: command.outcome, reason: command.reason, by: actor.subject }, now);
    await emit(
      tx,
      SignalResolved,
      { ...cause, municipalityId, aggregateId: signal.id },
      { signalId: signal.id, kind: signal.kind, outcome: command.outcome, raisedAt: signal.raisedAt.toISOString(), resolvedAt: now.toISOString() },
      now,
    );
    return { ...row, resolution: command.outcome, resolutionReason: command.reason, resolvedAt: now };
  });
}
