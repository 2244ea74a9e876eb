// Certificate issuance through HTTP next to the pgbench app+outbox ceiling measured in the same
// run: `bash test/bench/run registry`.
//
//   tsx test/bench/registry/main.ts [--ceilings <ceilings-*.json>] [--certificates N] [--concurrency N]
//
// The registry runs as its own process (src/main.ts, with its relay and consumer), on a scratch
// database; 15,000 children are registered beforehand with SQL (their registration is not what
// is measured), then each gets a certificate through POST /certificates as an office clerk would.
// Goals (issue #4): issuance >= 40 % of the ceiling; Almaty's 15,000 opening-day vouchers in < 10 s.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Agent, request as httpRequest } from "node:http";
import { parseArgs } from "node:util";
import { DEV_AUTH_SECRET, signDevToken } from "@kruzhok/http";
import { createPool, dropDatabase, withDatabase, type Pool } from "@kruzhok/postgres";
import { ceilingsTable, figureOf, measurePgbenchAppOutbox, measured, scratchId, type Ceiling } from "../ceilings/measure";
import { withCpu } from "../lib/cpu";
import { benchEnv } from "../lib/env";
import { describeMachine, machineRows } from "../lib/machine";
import { stopChild } from "../lib/proc";
import { deleteServiceTopics, freePort, spawnService, waitReady } from "../lib/service";
import { fmt, pct, percentile, printRun, progress, writeResults, type Table } from "../lib/report";

const { values: args } = parseArgs({
  options: {
    ceilings: { type: "string" },
    certificates: { type: "string", default: "15000" },
    concurrency: { type: "string", default: "32" },
  },
});
const total = Number(args.certificates);
const concurrency = Number(args.concurrency);
const warmup = 500;

const env = benchEnv();
const machine = await describeMachine(env);

let ceilings: Ceiling[];
if (args.ceilings) {
  ceilings = (JSON.parse(await readFile(args.ceilings, "utf8")) as { ceilings: Ceiling[] }).ceilings;
} else {
  progress("measuring the pgbench app+outbox ceiling");
  ceilings = await measured(() => measurePgbenchAppOutbox(env));
}
const ceiling = figureOf(ceilings, "pgbench.app+outbox");

const database = `bench_registry_${scratchId()}`;
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const registry = spawnService("registry", env, database, port);

let pool: Pool | undefined;
try {
  progress(`starting the registry on :${port} (database ${database})`);
  await waitReady(registry, port, "the registry");
  const region = `Bearer ${await signDevToken({ subject: "bench-region", role: "region" }, { secret: DEV_AUTH_SECRET })}`;
  const post = async (path: string, body: unknown, authorization: string, method = "POST") => {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization, "content-type": "application/json" }, body: JSON.stringify(body) });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const municipality = await post("/municipalities", { code: "7001", name: "Бенчмарк", regionCode: "70", timeZone: "Asia/Almaty", currency: "KZT" }, region);
  const municipalityId = municipality.id as string;
  await post(
    `/municipalities/${municipalityId}/years/${new Date().getUTCFullYear()}`,
    {
      nominal: 15_000_000, budget: 1e12, financedCap: 100_000, childrenPopulation: 100_000,
      categories: [{ code: "large_family", coefficient: 1.2 }], maxOpenApplications: 5,
      deadlines: { offerAcceptanceDays: 5, providerReviewWorkingDays: 3, monthCloseDay: 5 },
    },
    region,
    "PUT",
  );

  progress(`registering ${total + warmup} children with SQL`);
  pool = createPool({ connectionString: withDatabase(env.databaseUrl, database), max: 2 });
  const { rows } = await pool.query<{ id: string }>(
    `WITH g AS (
       INSERT INTO guardians (id, municipality_id, first_name, last_name, document_kind, document_number, document_hash)
       SELECT gen_random_uuid(), $1, 'Мать', 'Бенч' || i, 'passport', i::text, md5('g' || i || $3)
         FROM generate_series(1, $2) AS i
       RETURNING id, document_number
     ), c AS (
       INSERT INTO children (id, municipality_id, first_name, last_name, birth_date, document_kind, document_number,
                             normalised_document, document_hash, identity_key)
       SELECT gen_random_uuid(), $1, 'Ребёнок', 'Бенч' || i, date '2016-05-01', 'iin', i::text, 'iin:' || i,
              md5('c' || i || $3), 'БЕНЧ' || i || '|РЕБЁНОК|2016-05-01'
         FROM generate_series(1, $2) AS i
       RETURNING id, document_number
     ), link AS (
       INSERT INTO child_guardians (child_id, guardian_id)
       SELECT c.id, g.id FROM c JOIN g USING (document_number)
     )
     SELECT id FROM c`,
    [municipalityId, total + warmup, database],
  );
  const children = rows.map((row) => row.id);
  const clerk = `Bearer ${await signDevToken({ subject: "bench-clerk", role: "operator", municipalityId }, { secret: DEV_AUTH_SECRET, ttl: "2h" })}`;

  const statuses = new Map<number, number>();
  // node:http on keep-alive sockets, one per request in flight, rather than fetch: on this
  // machine of two cores undici's fetch took ~740 µs of CPU per request in this process, half as
  // much as the registry took to serve it, and node:http ~200-300 µs; the client's cost is not
  // what this benchmark measures.
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const { hostname, port: portText } = new URL(base);
  const issue = (childId: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const body = JSON.stringify({ childId });
      const req = httpRequest(
        {
          agent,
          hostname,
          port: Number(portText),
          method: "POST",
          path: "/certificates",
          headers: {
            authorization: clerk,
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
            "idempotency-key": createHash("sha1").update(childId).digest("hex"),
          },
        },
        (res) => {
          res.resume();
          res.on("error", reject);
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            resolve(performance.now() - started);
          });
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  const run = async (ids: readonly string[]): Promise<number[]> => {
    const latencies: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < ids.length) latencies.push(await issue(ids[next++]!));
      }),
    );
    return latencies;
  };

  progress(`warm-up: ${warmup} certificates`);
  await run(children.slice(0, warmup));
  statuses.clear();
  progress(`issuing ${total} certificates through HTTP, ${concurrency} in flight`);
  const started = performance.now();
  const [unsorted, cpu] = await withCpu(() => run(children.slice(warmup)));
  const latencies = unsorted.sort((a, b) => a - b);
  const seconds = (performance.now() - started) / 1_000;
  agent.destroy();
  const rate = total / seconds;
  const issued = statuses.get(201) ?? 0;
  const events = Number(
    (await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE type = 'registry.certificate.issued'")).rows[0]?.n,
  );
  const certificates = Number((await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM certificates")).rows[0]?.n);

  const results: Table = {
    headers: ["measure", "figure", "goal", "result"],
    rows: [
      ["certificates issued through HTTP", `${fmt(total)} in ${fmt(seconds, 2)} s = ${fmt(rate)} /s; ${[...statuses].map(([s, n]) => `${n} × ${s}`).join(", ")}`, `all 201`, issued === total ? "PASS" : "FAIL"],
      ["latency per issuance", `p50 ${fmt(percentile(latencies, 50), 1)} ms, p95 ${fmt(percentile(latencies, 95), 1)} ms, p99 ${fmt(percentile(latencies, 99), 1)} ms`, "info", ""],
      ["issuance rate / pgbench app+outbox ceiling", `${pct(rate / ceiling)} (${fmt(rate)} / ${fmt(ceiling)} tx/s)`, "≥ 40 %", rate / ceiling >= 0.4 ? "PASS" : "FAIL"],
      ["Almaty's opening day: 15,000 vouchers", `${fmt((15_000 / rate), 2)} s at this rate`, "< 10 s", 15_000 / rate < 10 ? "PASS" : "FAIL"],
      [
        "CPU while issuing (cores busy; µs per issuance)",
        [
          `registry ${fmt(cpu.children, 2)} (${fmt((cpu.children * 1e6) / rate)} µs)`,
          `client ${fmt(cpu.benchProcess, 2)} (${fmt((cpu.benchProcess * 1e6) / rate)} µs)`,
          `Postgres ${fmt(cpu.postgres, 2)} (${fmt((cpu.postgres * 1e6) / rate)} µs)`,
          `Redis ${fmt(cpu.redis, 2)}, Kafka ${fmt(cpu.kafka, 2)}, irq ${fmt(cpu.irq, 2)}, other load ${fmt(cpu.other, 2)}`,
        ].join("; "),
        "info",
        "",
      ],
      ["certificates and issued events in the database", `${fmt(certificates)} certificates, ${fmt(events)} events`, `${fmt(total + warmup)} each`, certificates === total + warmup && events === total + warmup ? "PASS" : "FAIL"],
    ],
  };
  const settings = `${concurrency} requests in flight from one client process (node:http, keep-alive); the registry in its own process with its outbox relay running; operator token (HS256); Idempotency-Key on every request`;
  const machineTable: Table = { headers: ["machine", ""], rows: machineRows(machine) };
  const markdown = printRun(`Registry: certificate issuance, ${new Date().toISOString()}`, [
    "Ceiling, measured in this run:",
    ceilingsTable(ceilings),
    results,
    settings,
    machineTable,
  ]);
  const files = await writeResults("registry", { ceilings, rate, seconds, cpu, statuses: Object.fromEntries(statuses), latencies: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99) }, machine }, markdown);
  progress(`wrote ${files.join(", ")}`);
} finally {
  await pool?.end();
  await stopChild(registry);
  await dropDatabase(env.databaseUrl, database).catch(() => undefined);
  await deleteServiceTopics(env, database).catch(() => undefined);
}
