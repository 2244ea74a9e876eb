import type { FastifyRequest } from "fastify";
import { ACTING_BASIS_HEADER, withBasis, type Actor } from "@kruzhok/actor";
import { requireActor } from "@kruzhok/http";

/** Where a route's refusal of the basis points: the Acting-Basis header. */
export const actingFieldsIn = { [ACTING_BASIS_HEADER]: "headers" } as const;

/**
 * The caller, with the basis an operator acting for a family stated in the Acting-Basis header
 * (malformed: 422 AUTH.BASIS_INVALID on headers.acting-basis). The use case decides whether the
 * act needs one.
 */
export function actingActor(request: FastifyRequest): Actor {
  const header = request.headers[ACTING_BASIS_HEADER];
  return withBasis(requireActor(request), Array.isArray(header) ? header.join(", ") : header);
}
