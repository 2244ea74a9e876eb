// Writes test/system/clients/registry.ts: the registry's typed client types (openapi-typescript).
import { clientPath, generatedClientTypes, writeClientTypes } from "./client";

await writeClientTypes(await generatedClientTypes());
process.stdout.write(`wrote ${clientPath}\n`);
