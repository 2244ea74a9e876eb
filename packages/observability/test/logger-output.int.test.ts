import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { Writable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger, infoLine } from "../src/logger";

const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;
const fixture = fileURLToPath(new URL("./fixtures/log-then-exit.ts", import.meta.url));

function captured(): { lines: Record<string, unknown>[]; sink: Writable } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, sink };
}

describe("the logger's output", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("stamps each line with the time of its millisecond, in ISO 8601", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-12-06T09:00:00.123Z"));
    const { lines, sink } = captured();
    const log = createLogger({ service: "time-test" }, sink);
    log.info("first");
    log.info("second, same millisecond");
    vi.setSystemTime(new Date("2026-12-06T09:00:00.124Z"));
    log.info("third, the next millisecond");
    vi.setSystemTime(new Date("2026-12-07T00:00:00.000Z"));
    log.info("fourth, the next day");
    expect(lines.map((line) => line.time)).toEqual(["2026-12-06T09:00:00.123Z", "2026-12-06T09:00:00.123Z", "2026-12-06T09:00:00.124Z", "2026-12-07T00:00:00.000Z"]);
  });

  it("written in batches, every line reaches standard output when the process exits right after logging", async () => {
    const child = spawn(process.execPath, ["--import", tsx, fixture], { env: { ...process.env, LINES: "20000" }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(3);
    const lines = out.split("\n").filter(Boolean).map((line) => JSON.parse(line) as { msg: string; i?: number });
    expect(lines).toHaveLength(20_001);
    expect(lines.filter((line) => line.msg === "line").map((line) => line.i)).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
    expect(lines.at(-1)?.msg).toBe("leaving");
  }, 30_000);

  it("a quiet process's line reaches standard output within its batch's 100 ms, not at exit", async () => {
    const child = spawn(process.execPath, ["--import", tsx, fixture], { env: { ...process.env, HOLD: "1" }, stdio: ["ignore", "pipe", "inherit"] });
    try {
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
      await expect.poll(() => out, { timeout: 10_000, interval: 20 }).toContain('"msg":"alone"');
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill("SIGKILL");
    }
  }, 30_000);

  it("a line of fixed fields is the line logger.info writes for them, at the logger's level, never with a redacted field", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-12-06T09:00:00.123Z"));
    const { lines, sink } = captured();
    const log = createLogger({ service: "line-test" }, sink).child({ worker: 2 });
    const line = infoLine(log, ["requestId", "path", "status", "role", "ms"], "request completed");
    const fields = { requestId: "r-1", path: '/a"b\\c/\u0001/я', status: 200, role: undefined, ms: Number.NaN };
    line(fields);
    log.info(fields, "request completed");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual(lines[1]);
    expect(lines[0]).toMatchObject({ level: "info", time: "2026-12-06T09:00:00.123Z", service: "line-test", worker: 2, requestId: "r-1", path: '/a"b\\c/\u0001/я', status: 200, ms: null, msg: "request completed" });
    expect(Object.keys(lines[0]!)).toEqual(Object.keys(lines[1]!));
    expect(lines[0]).not.toHaveProperty("role");

    log.level = "warn";
    line(fields);
    expect(lines).toHaveLength(2);

    expect(() => infoLine(log, ["path", "Email"], "x")).toThrow(/Email is redacted/);
  });
});
