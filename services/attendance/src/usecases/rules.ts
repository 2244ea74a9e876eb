import type { Actor } from "@kruzhok/actor";
import type { Cause } from "@kruzhok/messaging";
import { decideRulesVersion, defaultEffectiveFrom, type AttendanceRules } from "../domain/rules";
import { localDate } from "../domain/schedule";
import { addRulesVersion } from "../store/rules";
import type { AttendanceDeps } from "../deps";
import { requireMunicipalStaff } from "./access";
import { municipalityOf } from "./context";
import { inTransaction } from "./transaction";

/**
 * The municipality sets its attendance rules for a year (holidays, closing day, confirmation,
 * windows, caps), in force from a date: today (local) unless it names a later one, or the year's
 * first day for a year ahead. The versions before stay, and govern the days before it.
 */
export async function setRules(
  deps: AttendanceDeps,
  actor: Actor,
  command: { municipalityId: string; year: number; rules: AttendanceRules; effectiveFrom?: string | undefined },
  cause: Cause,
): Promise<{ effectiveFrom: string; rules: AttendanceRules; setAt: string; setBy: string }> {
  return inTransaction(deps, cause, async ({ tx, now }) => {
    await requireMunicipalStaff(tx, actor, command.municipalityId, "municipality");
    const municipality = await municipalityOf(tx, command.municipalityId);
    const today = localDate(now, municipality.timeZone);
    const version = decideRulesVersion(command.year, command.rules, command.effectiveFrom ?? defaultEffectiveFrom(command.year, today), today);
    const saved = await addRulesVersion(tx, command.municipalityId, command.year, version, actor.subject, now);
    return { effectiveFrom: saved.effectiveFrom, rules: saved.rules, setAt: saved.setAt.toISOString(), setBy: saved.setBy };
  });
}
