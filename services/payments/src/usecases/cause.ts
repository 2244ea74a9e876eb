import type { Actor } from "@kruzhok/actor";
import type { Cause } from "@kruzhok/messaging";
import type { PostingCause } from "../domain/ledger";

/** What a job (no event, no person) names as the cause of what it posts. */
export type JobCause = Cause & { command?: string };

/** What a posting names as its cause: the event a consumer handles, the command a person gave, or the job that ran. */
export function postingCause(cause: JobCause, command?: { name: string; actor?: Actor }): PostingCause {
  if (command) return { eventId: null, command: `${command.name} by ${command.actor ? `${command.actor.role}:${command.actor.subject}` : "system"}` };
  if (cause.causationId) return { eventId: cause.causationId, command: null };
  return { eventId: null, command: cause.command ?? "unknown" };
}
