import type { EventHandler } from "@kruzhok/messaging";
import type { PaymentsDeps } from "../../deps";

/** Every event payments consumes, one handler per type and version: each calls one use case. */
export function eventHandlers(deps: PaymentsDeps): EventHandler[] {
  void deps;
  return [] as EventHandler[];
}
