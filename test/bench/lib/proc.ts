import { execFile, spawn, type ChildProcess } from "node:child_process";

export interface RunOptions {
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

/** Run a program to completion; its stdout, or an error carrying its stderr. Killed at the timeout. */
export function runProgram(file: string, args: readonly string[], options: RunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { timeout: options.timeoutMs, killSignal: "SIGKILL", maxBuffer: 64 * 1024 * 1024, env: options.env ?? process.env },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`${file} ${args.join(" ")} failed: ${error.message}\n${stderr}`, { cause: error }));
          return;
        }
        resolve(stdout);
      },
    );
  });
}

/**
 * Start another TypeScript entry of the benchmarks as a child process under the same tsx
 * loader (`process.execArgv`), with an IPC channel. Load generator and system under test then
 * run on separate event loops, as they would on separate machines.
 */
export function spawnScript(file: string, args: readonly string[] = [], env?: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [...process.execArgv, file, ...args], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    ...(env && { env: { ...process.env, ...env } }),
  });
}

/** The first IPC message the child sends that `accept` recognises; rejects if the child exits first. */
export function nextMessage<T>(child: ChildProcess, accept: (message: unknown) => message is T, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no message from child ${child.pid} within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: unknown) => {
      if (accept(message)) finish(undefined, message);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      finish(new Error(`child ${child.pid} exited (code ${code ?? "-"}, signal ${signal ?? "-"}) before answering`));
    function finish(error?: Error, message?: T) {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve(message as T);
    }
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

/** What must finish after a child exits before it counts as stopped (a service's log collector: service.ts). */
export const afterExit = new WeakMap<ChildProcess, Promise<void>>();

/**
 * Ask the child to stop (SIGTERM), and SIGKILL it if it has not exited after `graceMs`; then wait
 * for `afterExit`. With `BENCH_PROFILE` a service writes its --cpu-prof as it exits, which takes
 * longer than the usual grace: killed, it wrote none.
 */
export async function stopChild(child: ChildProcess, graceMs = process.env.BENCH_PROFILE ? 120_000 : 5_000): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }
  await afterExit.get(child);
}
