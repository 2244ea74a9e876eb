import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Parser } from "@asyncapi/parser";
import { describe, expect, it } from "vitest";
import { serviceTopics, Topics } from "@kruzhok/contracts";

const document = readFileSync(fileURLToPath(new URL("../../packages/contracts/generated/asyncapi.json", import.meta.url)), "utf8");

// The committed AsyncAPI document (packages/contracts/generated/asyncapi.json, drift-tested in
// packages/contracts) as the AsyncAPI parser reads it: no error and no warning.
describe("the AsyncAPI document", () => {
  it("passes the AsyncAPI parser with no error or warning", async () => {
    const diagnostics = await new Parser().validate(document);
    // Spectral's severities: 0 error, 1 warning, 2 information, 3 hint (compared as numbers: the
    // parser's diagnostics and its re-exported enum come from two copies of @stoplight/types).
    const problems = diagnostics
      .filter((d) => Number(d.severity) <= 1)
      .map((d) => `${Number(d.severity) === 0 ? "error" : "warning"} ${String(d.code)}: ${d.message} at ${d.path.join("/")}`);
    expect(problems).toEqual([]);
    // The same parser does find fault: a receive on a channel that does not exist.
    const broken = JSON.parse(document) as { operations: Record<string, unknown> };
    broken.operations.nowhere = { action: "receive", channel: { $ref: "#/channels/nowhere" } };
    expect((await new Parser().validate(JSON.stringify(broken))).filter((d) => Number(d.severity) === 0)).not.toEqual([]);
  });

  it("says who sends and who receives on every topic, the message key and where the correlation id is", async () => {
    const { document: parsed } = await new Parser().parse(document);
    expect(parsed).toBeDefined();
    const operations = parsed!.operations().all();
    expect(operations.find((op) => op.id() === "paymentsConsumesAttendance")?.channels().all()[0]?.address()).toBe(Topics.attendance);
    for (const [service, { consumes }] of Object.entries(serviceTopics)) {
      for (const topic of consumes) expect(operations.filter((op) => op.action() === "receive" && op.id()?.startsWith(`${service}Consumes`) && op.channels().all().some((ch) => ch.address() === topic))).toHaveLength(1);
    }
    for (const message of parsed!.components().messages().all()) {
      expect(message.correlationId()?.location(), message.id()).toBe("$message.payload#/correlationId");
      expect(message.bindings().get("kafka")?.value<{ key?: { type: string } }>().key?.type, message.id()).toBe("string");
    }
  });
});
