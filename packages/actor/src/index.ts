// The package's face: who acts (actor.ts) and the basis an operator states for a family (basis.ts).
export * from "./actor";
export * from "./basis";
