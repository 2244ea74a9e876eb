import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "@kruzhok/observability";
import { logLevel } from "kafkajs";
import { createKafka, createProducer, kafkaLogLevel } from "../src";

/** A pino logger at `level` whose lines land in `lines`. */
function capture(level: "debug" | "info") {
  const lines: { level: string; msg: string }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: string; msg: string });
      done();
    },
  });
  return { lines, logger: createLogger({ service: "test", level }, destination) };
}

describe("kafkajs logs through the service's logger", () => {
  it("keeps the idempotent producer's retry-limit warning out of the warnings (the relay re-sends, inboxes deduplicate)", async () => {
    const { lines, logger } = capture("debug");
    // Creating the producer logs; no broker is contacted.
    createProducer(createKafka({ brokers: ["127.0.0.1:1"], clientId: "logs" }, logger));
    await new Promise((resolve) => setImmediate(resolve));
    const line = lines.find((l) => l.msg.startsWith("Limiting retries for the idempotent producer"));
    expect(line?.level).toBe("debug");
    expect(lines.filter((l) => l.level === "warn")).toEqual([]);
  });

  it("logs a broker's single error answer as a warning (kafkajs retries it; what outlasts the retries is logged by our code), other errors as errors", () => {
    expect(kafkaLogLevel(logLevel.ERROR, "Response Metadata(key: 3, version: 6)")).toBe("warn");
    expect(kafkaLogLevel(logLevel.ERROR, "Crash: KafkaJSNumberOfRetriesExceeded")).toBe("error");
    expect(kafkaLogLevel(logLevel.WARN, "Limiting retries for the idempotent producer may invalidate EoS guarantees")).toBe("debug");
    expect(kafkaLogLevel(logLevel.WARN, "Something else")).toBe("warn");
    expect(kafkaLogLevel(logLevel.INFO, "Starting")).toBe("info");
  });
});
