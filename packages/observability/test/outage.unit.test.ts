import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { OutageLog, createLogger } from "../src";

function outage() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, log: new OutageLog({ dependency: "redis", logger: createLogger({ service: "test", level: "info" }, stream) }) };
}

describe("a dependency's outage in the log", () => {
  it("is not ended by the late answer to a call begun before it (CI: Redis stopped, a reply read after another call's timeout)", () => {
    const { lines, log } = outage();
    const before = performance.now() - 1;
    log.failed(new Error("Command timed out"));
    log.answered(before);
    expect(log.down).toBe(true);
    log.answered(performance.now());
    expect(log.down).toBe(false);
    expect(lines.filter((line) => line.includes("redis unavailable"))).toHaveLength(1);
    expect(lines.filter((line) => line.includes("redis available again"))).toHaveLength(1);
  });

  it("tells one line when it starts and one when it ends, whatever the failures in between", () => {
    const { lines, log } = outage();
    for (let i = 0; i < 5; i++) log.failed(new Error("ECONNREFUSED"));
    log.answered();
    log.answered();
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1]!)).toMatchObject({ dependency: "redis", failures: 5, msg: "redis available again" });
  });
});
