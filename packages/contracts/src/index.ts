export * from "./envelope";
export * from "./primitives";
export * from "./problem";
export * from "./topics";
