import type { Actor } from "@kruzhok/actor";
import type { Cause } from "@kruzhok/messaging";
import { checkRules, type AttendanceRules } from "../domain/rules";
import { saveRules } from "../store/rules";
import type { AttendanceDeps } from "../deps";
import { requireMunicipalStaff } from "./access";
import { municipalityOf } from "./context";
import { inTransaction } from "./transaction";

/** The municipality sets its attendance rules for a year (holidays, closing day, confirmation, windows, caps). */
export async function setRules(deps: AttendanceDeps, actor: Actor, command: { municipalityId: string; year: number; rules: AttendanceRules }, cause: Cause): Promise<AttendanceRules> {
  return inTransaction(deps, cause, async ({ tx, now }) => {
    await requireMunicipalStaff(tx, actor, command.municipalityId, "municipality");
    await municipalityOf(tx, command.municipalityId);
    checkRules(command.year, command.rules);
    await saveRules(tx, command.municipalityId, command.year, command.rules, now);
    return command.rules;
  });
}
