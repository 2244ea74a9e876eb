// Writes the JSON Schemas and the AsyncAPI document under packages/contracts/generated/.
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateContractDocuments } from "../src/generate";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "generated");
await rm(root, { recursive: true, force: true });
for (const [name, content] of generateContractDocuments()) {
  await mkdir(dirname(join(root, name)), { recursive: true });
  await writeFile(join(root, name), content);
}
process.stdout.write(`wrote ${root}\n`);
