export * from "./envelope";
export * from "./primitives";
export * from "./problem";
export * from "./topics";
export * from "./catalog";
export { generateContractDocuments } from "./generate";
export * from "./events/registry";
export * from "./events/enrollment";
export * from "./events/catalogue";
