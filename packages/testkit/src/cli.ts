import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The operator's installed command (packages/cli), as a test runs it: a process of its own. */
export const KRUZHOK_BIN = fileURLToPath(new URL("../../cli/bin/kruzhok.mjs", import.meta.url));

export interface CommandRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `kruzhok …` to its end and resolve with its exit code and output, whatever the code: the
 * tests assert on failures as on successes. Only PATH (and what `env` adds) is passed on, so the
 * command sees no stray service address or token of the test process.
 */
export function runKruzhok(args: readonly string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<CommandRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [KRUZHOK_BIN, ...args],
      { env: { PATH: process.env.PATH ?? "", ...options.env }, maxBuffer: 16 * 1024 * 1024, ...(options.cwd !== undefined && { cwd: options.cwd }) },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
