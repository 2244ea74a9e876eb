import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { generateContractDocuments } from "../src/generate";

const root = fileURLToPath(new URL("../generated", import.meta.url));
const onDisk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? onDisk(join(dir, entry.name)) : [relative(root, join(dir, entry.name))],
  );

describe("generated contract documents", () => {
  const expected = generateContractDocuments();

  it("are up to date (run `pnpm generate` after changing a contract)", () => {
    expect(onDisk(root).sort()).toEqual([...expected.keys()].sort());
    for (const [name, content] of expected) {
      expect(readFileSync(join(root, name), "utf8"), name).toBe(content);
    }
  });

  it("describe every topic and its dead-letter twin in one AsyncAPI 3 document", () => {
    const doc = JSON.parse(expected.get("asyncapi.json")!) as { asyncapi: string; channels: Record<string, { address: string }> };
    expect(doc.asyncapi).toBe("3.0.0");
    const addresses = Object.values(doc.channels).map((channel) => channel.address);
    expect(addresses).toContain("kruzhok.registry.v1");
    expect(addresses).toContain("kruzhok.registry.v1.dlq");
  });
});
