// The machine's ceilings in one run: `bash test/bench/run ceilings`.
import { benchEnv } from "../lib/env";
import { describeMachine, machineRows } from "../lib/machine";
import { idleCheck, settle } from "../lib/cpu";
import { markdownTable, out, pct, progress, textTable, writeResults } from "../lib/report";
import {
  ceilingsTable,
  measureFastifyHello,
  measureKafkaRaw,
  measurePgbenchAppOutbox,
  measureRedisSortedSet,
  measured,
  type Ceiling,
} from "./measure";

const env = benchEnv();
const started = new Date();
const machine = await describeMachine(env);
// Figures are only as good as the machine is quiet: say how busy it was before we started.
const busyBefore = await idleCheck();
const quiet = busyBefore < 0.1 ? "quiet" : "NOT quiet: other load will lower the figures";
progress(`machine busy before the run: ${pct(busyBefore)} (${quiet})`);
progress(`machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB`);

const waiting = (busy: number) => progress(`machine ${pct(busy)} busy; waiting for it to quieten (BENCH_QUIET_WAIT_S)`);
const ceilings: Ceiling[] = [];
for (const measure of [
  () => measurePgbenchAppOutbox(env),
  () => measureRedisSortedSet(env),
  () => measureKafkaRaw(env),
  () => measureFastifyHello(),
]) {
  await settle(waiting);
  ceilings.push(...(await measured(measure)));
}
const seconds = (Date.now() - started.getTime()) / 1_000;

const table = ceilingsTable(ceilings);
const machineTable = { headers: ["machine", ""], rows: machineRows(machine) };
out(`\nCeilings (${started.toISOString()}, ${seconds.toFixed(0)} s)`);
out(`Machine busy before the run: ${pct(busyBefore)} (${quiet}).\n`);
out(textTable(table));
const files = await writeResults(
  "ceilings",
  { kind: "ceilings", startedAt: started.toISOString(), seconds, machine, busyBefore, ceilings },
  [
    `# Ceilings, ${started.toISOString()}`,
    "",
    `Machine busy before the run: ${pct(busyBefore)} (${quiet}).`,
    "",
    markdownTable(table),
    "",
    markdownTable(machineTable),
  ].join("\n"),
  started,
);
out(`\nwritten: ${files.join(", ")}`);
