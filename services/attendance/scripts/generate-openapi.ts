// Writes services/attendance/openapi.json: the document the app serves at /docs/json, built from the code alone.
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { openApiDocument } from "../src/http/openapi";

const path = fileURLToPath(new URL("../openapi.json", import.meta.url));
await writeFile(path, await openApiDocument());
process.stdout.write(`wrote ${path}\n`);
