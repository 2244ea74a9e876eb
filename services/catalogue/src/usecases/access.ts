import { requireRole, type Actor } from "@kruzhok/actor";
import { catalogueError } from "../domain/errors";
import { ownedBy } from "../domain/listing";

/**
 * Only the program's own provider changes it or its groups: another role gets
 * AUTH.FORBIDDEN_ROLE, another provider CATALOGUE.NOT_YOUR_PROGRAM.
 */
export function requireOwner(actor: Actor, program: { providerId: string }): void {
  if (!ownedBy(requireRole(actor, "provider"), program)) {
    throw catalogueError("NOT_YOUR_PROGRAM", "only the program's own provider may change it or its groups");
  }
}
