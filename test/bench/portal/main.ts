// The navigator's page under load, side by side with the catalogue's own /search in the same
// run (issue #17): `bash test/bench/run portal`.
//
//   tsx test/bench/portal/main.ts [--programs N] [--groups N] [--rate N] [--duration S] [--warmup S]
//
// The catalogue runs as its own process on a scratch database filled with bulk SQL (the catalogue
// benchmark's loader), the portal as another, calling it. One client sends the same mix of
// navigator queries (the catalogue benchmark's kinds, 40 parameter sets each) at a fixed rate,
// open loop, first to the catalogue's GET /search, then to the portal's page GET /?… that calls
// it. Both are answered from the catalogue's answer cache (warmed first), so the difference is
// what the page adds: the portal's parsing, its call, and the HTML. Goals: the page's CPU per
// request (portal + catalogue) at most 1.3 × the search's (catalogue alone); p95 ≤ 50 ms at
// 200 pages per second. Fastify hello-world is measured in the same run for the machine's ceiling.
import { randomUUID } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { Agent, request } from "node:http";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { createPool, dropDatabase, ensureDatabase, withDatabase, type Pool } from "@kruzhok/postgres";
import { migrateCatalogue } from "../../../services/catalogue/src/migrations";
import { measureFastifyHello, scratchId, type Ceiling } from "../ceilings/measure";
import { idleCheck } from "../lib/cpu";
import { benchEnv } from "../lib/env";
import { describeMachine, machineRows } from "../lib/machine";
import { stopChild } from "../lib/proc";
import { deleteServiceTopics, freePort, spawnService, waitReady } from "../lib/service";
import { fmt, markdownTable, out, pct, percentile, progress, textTable, writeResults, type Table } from "../lib/report";
import { loadCatalogue } from "../catalogue/data";
import { kinds, queryOf, type Kind } from "../catalogue/queries";

const { values: args } = parseArgs({
  options: {
    programs: { type: "string", default: "20000" },
    groups: { type: "string", default: "60000" },
    rate: { type: "string", default: "200" },
    duration: { type: "string", default: "20" },
    warmup: { type: "string", default: "3" },
  },
});
const rate = Number(args.rate);
const durationS = Number(args.duration);
const warmupS = Number(args.warmup);
const GOALS = { costRatio: 1.3, p95Ms: 50 } as const;
const VARIANTS = 40;

const env = benchEnv();
const machine = await describeMachine(env);
const busy = await idleCheck();
progress(`machine busy before the run: ${pct(busy)}`);

/** CPU seconds a process has used so far (utime + stime of /proc/<pid>/stat). */
async function cpuSeconds(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/stat`, "utf8");
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) / 100;
}

interface Run {
  sent: number;
  ok: number;
  statuses: Record<string, number>;
  latencies: number[];
  seconds: number;
  /** CPU seconds of each measured process over the run. */
  cpu: Record<string, number>;
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });
function get(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, agent, headers: { "accept-language": "ru" } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", () => resolve(0));
    req.end();
  });
}

/** The body of one answer (the floor processes serve real bytes). */
function body(port: number, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent, headers: { "accept-language": "ru" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve(Buffer.concat(chunks)));
    });
    req.on("error", reject);
    req.end();
  });
}

const floorMain = fileURLToPath(new URL("./floor.ts", import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;
function spawnFloor(args: string[]): ChildProcess {
  return spawn(process.execPath, ["--import", tsx, floorMain, ...args], { stdio: ["ignore", 2, "inherit"], env: { ...process.env, NODE_ENV: "production" } });
}

/** `rate` requests a second for `seconds`, open loop (each sent on its time whatever the answers), cycling `paths`. */
async function openLoop(port: number, paths: readonly string[], seconds: number, processes: Record<string, number>): Promise<Run> {
  const before = Object.fromEntries(await Promise.all(Object.entries(processes).map(async ([name, pid]) => [name, await cpuSeconds(pid)] as const)));
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  const total = Math.round(rate * seconds);
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1_000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const sentAt = performance.now();
    inFlight.push(
      get(port, paths[i % paths.length]!).then((status) => {
        latencies.push(performance.now() - sentAt);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }),
    );
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - start) / 1_000;
  const after = Object.fromEntries(await Promise.all(Object.entries(processes).map(async ([name, pid]) => [name, await cpuSeconds(pid)] as const)));
  return {
    sent: total,
    ok: statuses["200"] ?? 0,
    statuses,
    latencies: latencies.sort((a, b) => a - b),
    seconds: elapsed,
    cpu: Object.fromEntries(Object.keys(processes).map((name) => [name, after[name]! - before[name]!])),
  };
}

const id = scratchId();
const catalogueDb = `bench_portal_catalogue_${id}`;
const portalDb = `bench_portal_${id}`;
let pool: Pool | undefined;
let catalogue: ChildProcess | undefined;
let portal: ChildProcess | undefined;
let floorAnswer: ChildProcess | undefined;
let floorPage: ChildProcess | undefined;
try {
  const hello: Ceiling = await measureFastifyHello({ durationS: 8 });
  await ensureDatabase(env.databaseUrl, catalogueDb);
  pool = createPool({ connectionString: withDatabase(env.databaseUrl, catalogueDb), max: 2, applicationName: "bench-portal" });
  await migrateCatalogue(pool);
  progress(`loading ${args.programs} programs and ~${args.groups} groups into ${catalogueDb}`);
  await loadCatalogue(pool, { programs: Number(args.programs), groups: Number(args.groups) }, progress);
  const cataloguePort = await freePort();
  const portalPort = await freePort();
  catalogue = await spawnService("catalogue", env, catalogueDb, cataloguePort);
  await waitReady(catalogue, cataloguePort, "catalogue");
  portal = await spawnService("portal", env, portalDb, portalPort, {
    CATALOGUE_URL: `http://127.0.0.1:${cataloguePort}`,
    // No registry here: the page's list of municipalities is left empty (the portal asks again every few seconds).
    REGISTRY_URL: "http://127.0.0.1:9",
    // Production's mode makes the portal a client of the identity provider; nobody signs in here.
    PORTAL_OIDC_CLIENT_ID: "kruzhok-portal-bench",
    PORTAL_OIDC_CLIENT_SECRET: randomUUID(),
  });
  await waitReady(portal, portalPort, "portal");

  const firstPages = kinds.filter((k): k is Exclude<Kind, "page-2"> => k !== "page-2");
  const queries = firstPages.flatMap((kind) => Array.from({ length: VARIANTS }, () => new URLSearchParams({ ...queryOf(kind), limit: "20" }).toString()));
  const searchPaths = queries.map((q) => `/search?${q}`);
  const pagePaths = queries.map((q) => `/?${q}`);
  progress(`warming the catalogue's answer cache with ${queries.length} parameter sets`);
  for (const path of searchPaths) await get(cataloguePort, path);
  for (const path of pagePaths.slice(0, 50)) await get(portalPort, path);

  const pids = { catalogue: catalogue.pid!, portal: portal.pid! };
  progress(`GET /search of the catalogue: ${rate}/s for ${warmupS} + ${durationS} s`);
  await openLoop(cataloguePort, searchPaths, warmupS, pids);
  const search = await openLoop(cataloguePort, searchPaths, durationS, pids);
  progress(`GET /?… of the portal: ${rate}/s for ${warmupS} + ${durationS} s`);
  await openLoop(portalPort, pagePaths, warmupS, pids);
  const page = await openLoop(portalPort, pagePaths, durationS, pids);

  // The floor: the same bytes served by processes that do nothing else (floor.ts).
  const answerFile = `${tmpdir()}/bench-portal-answer-${id}.json`;
  const pageFile = `${tmpdir()}/bench-portal-page-${id}.html`;
  await writeFile(answerFile, await body(cataloguePort, searchPaths[0]!));
  await writeFile(pageFile, await body(portalPort, pagePaths[0]!));
  const [answerPort, floorPagePort] = [await freePort(), await freePort()];
  floorAnswer = spawnFloor(["answer", String(answerPort), answerFile]);
  await waitReady(floorAnswer, answerPort, "floor answer");
  floorPage = spawnFloor(["page", String(floorPagePort), String(answerPort), pageFile]);
  await waitReady(floorPage, floorPagePort, "floor page");
  const floorPids = { answer: floorAnswer.pid!, hop: floorPage.pid! };
  progress(`the floor: a fixed answer, then a page hop without rendering: ${rate}/s for ${warmupS} + ${durationS} s each`);
  await openLoop(answerPort, searchPaths, warmupS, floorPids);
  const answered = await openLoop(answerPort, searchPaths, durationS, floorPids);
  await openLoop(floorPagePort, pagePaths, warmupS, floorPids);
  const hopped = await openLoop(floorPagePort, pagePaths, durationS, floorPids);

  const perRequestMs = (run: Run, names: string[]) => (names.reduce((sum, n) => sum + (run.cpu[n] ?? 0), 0) * 1_000) / run.ok;
  const searchCost = perRequestMs(search, ["catalogue"]);
  const pageCost = perRequestMs(page, ["catalogue", "portal"]);
  const ratio = pageCost / searchCost;
  const portalCost = perRequestMs(page, ["portal"]);
  const hopCost = perRequestMs(hopped, ["hop"]);
  const answerCost = perRequestMs(answered, ["answer"]);
  // The least a page that calls the search can add here: the bare hop's own CPU, over the search's.
  const floorRatio = (searchCost + hopCost) / searchCost;
  const p95 = percentile(page.latencies, 95);
  const row = (name: string, run: Run, cost: number): string[] => [
    name,
    `${fmt(run.ok)} / ${fmt(run.sent)}`,
    fmt(run.ok / run.seconds, 1),
    fmt(percentile(run.latencies, 50), 1),
    fmt(percentile(run.latencies, 95), 1),
    fmt(percentile(run.latencies, 99), 1),
    fmt(cost, 2),
    Object.entries(run.cpu).map(([n, s]) => `${n} ${fmt(s / run.seconds, 2)}`).join(", "),
  ];
  const table: Table = {
    headers: ["path", "200 / sent", "per s", "p50 ms", "p95 ms", "p99 ms", "CPU ms / request", "cores busy"],
    rows: [
      row("catalogue GET /search", search, searchCost),
      row("portal GET /?… (page)", page, pageCost),
      row("floor: the answer's bytes, nothing else", answered, answerCost),
      row("floor: a hop to it, parse, the page's bytes", hopped, hopCost),
    ],
  };
  const verdict: Table = {
    headers: ["goal", "measured", ""],
    rows: [
      [`page CPU per request ≤ ${GOALS.costRatio} × the search's`, `${fmt(ratio, 2)} ×`, ratio <= GOALS.costRatio ? "PASS" : "FAIL"],
      [`page p95 ≤ ${GOALS.p95Ms} ms at ${rate}/s`, `${fmt(p95, 1)} ms`, p95 <= GOALS.p95Ms ? "PASS" : "FAIL"],
      [`the portal's own CPU per page (the floor hop's: ${fmt(hopCost, 2)} ms)`, `${fmt(portalCost, 2)} ms`, ""],
      [`least ratio a page calling the search can have here ((search + floor hop) / search)`, `${fmt(floorRatio, 2)} ×`, floorRatio <= GOALS.costRatio ? "goal reachable" : "goal below the floor"],
      ["Fastify hello-world (machine ceiling, same run)", `${fmt(hello.figure)} ${hello.unit}`, ""],
    ],
  };
  out(textTable({ headers: ["machine", ""], rows: machineRows(machine) }));
  out(textTable(table));
  out(textTable(verdict));
  await writeResults("portal", { machine, rate, durationS, search, page, answered, hopped, searchCost, pageCost, portalCost, hopCost, answerCost, ratio, floorRatio, p95, hello }, `${markdownTable(table)}\n\n${markdownTable(verdict)}\n`);
} finally {
  agent.destroy();
  if (floorPage) await stopChild(floorPage);
  if (floorAnswer) await stopChild(floorAnswer);
  if (portal) await stopChild(portal);
  if (catalogue) await stopChild(catalogue);
  await pool?.end();
  await dropDatabase(env.databaseUrl, catalogueDb).catch(() => undefined);
  await dropDatabase(env.databaseUrl, portalDb).catch(() => undefined);
  await deleteServiceTopics(env, catalogueDb).catch(() => undefined);
}
