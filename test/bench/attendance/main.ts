// Attendance: a region's month, measured beside the pgbench app+outbox ceiling of the same run:
// `bash test/bench/run attendance`.
//
//   tsx test/bench/attendance/main.ts [--ceilings <ceilings-*.json>] [--marks N] [--concurrency N] [--close-enrollments N]
//
// Attendance runs as its own process (src/main.ts, relay and consumers running, production
// settings). What it would have heard from the registry, the catalogue and enrollment
// (a municipality, groups with daily schedules, 15 children enrolled in each) is written with SQL
// beforehand; that is not what is measured. Then:
// 1. `--marks` marks (1,000,000) sent as whole lessons of 15 children through
//    PUT /groups/{id}/lessons/{date}T{start}, `--concurrency` lessons in flight. Goal: lessons per
//    second >= 40 % of pgbench's transactions per second.
// 2. Meanwhile, one child in each of 50 pairs of groups is enrolled in both, and the pair's
//    lessons overlap: each day, the second of the two marks raises an overlapping-lessons signal.
//    Mark-to-signal latency: from the mark's request being sent to the signal read from Kafka by
//    this process. Goal: p99 < 1 s under that load.
// 3. The month close of `--close-enrollments` enrollments (100,000; their month's marks written
//    with SQL), through POST /municipalities/{id}/months/{month}/close. Goal: < 30 s.
// 4. The floor (floor.ts): the rows of a lesson written by pgbench alone, beside the ceiling.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { createKafka } from "@kruzhok/messaging";
import { createPool, dropDatabase, withDatabase, type Pool } from "@kruzhok/postgres";
import { ceilingsTable, figureOf, measurePgbenchAppOutbox, measured, scratchId, type Ceiling } from "../ceilings/measure";
import { withCpu, type CpuUse } from "../lib/cpu";
import { benchEnv } from "../lib/env";
import { describeMachine, machineRows } from "../lib/machine";
import { stopChild } from "../lib/proc";
import { measureLessonFloor } from "./floor";
import { RawHttpConnection, rawRequest } from "../lib/raw-http";
import { bearerFor, deleteServiceTopics, freePort, spawnService, topicPrefixOf, waitReady } from "../lib/service";
import { fmt, pct, percentile, printRun, progress, writeResults, type Table } from "../lib/report";

const { values: args } = parseArgs({
  options: {
    ceilings: { type: "string" },
    marks: { type: "string", default: "1000000" },
    concurrency: { type: "string", default: "32" },
    "close-enrollments": { type: "string", default: "100000" },
  },
});
const CHILDREN = 15;
const PAIRS = 50;
const lessonsWanted = Math.ceil(Number(args.marks) / CHILDREN);
const concurrency = Number(args.concurrency);
const closeEnrollments = Number(args["close-enrollments"]);
const zone = "Europe/Moscow";

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

// Lessons every day at 10:00 (10:30 for the second group of a pair), on the days from 100 days
// ago: all in the past, none in a month the close job would lock.
const days = 67;
const groupCount = Math.max(2 * PAIRS, Math.ceil(lessonsWanted / days));
const lessonDays = Math.ceil(lessonsWanted / groupCount);
const today = new Date().toLocaleDateString("en-CA", { timeZone: zone });
const dayOf = (offset: number) => new Date(Date.parse(`${today}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(0, 10);
const firstDay = dayOf(-100);
if (lessonDays > 95) throw new Error("--marks too large for the dates the benchmark uses");

const database = `bench_attendance_${scratchId()}`;
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const attendance = await spawnService("attendance", env, database, port, { MONTH_CLOSE_INTERVAL_MS: "86400000" });
let pool: Pool | undefined;
const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: `${database}-signals` });
const consumer = kafka.consumer({ groupId: `${database}-signals`, maxWaitTimeInMs: 20 });

try {
  progress(`starting attendance on :${port} (database ${database})`);
  await waitReady(attendance, port, "attendance");
  pool = createPool({ connectionString: withDatabase(env.databaseUrl, database), max: 4 });

  // --- the region's data, as attendance would have heard it ---------------------------------
  const municipalityId = randomUUID();
  const providerId = randomUUID();
  const noHolidays = { holidays: [], closingWorkingDay: 3, confirmationRequired: false, noticeDeadline: "09:00", proofWindowDays: 10, vacationDaysCap: 75, maxGroupsPerWeek: 4, lateEntryDays: 7, bulkLateMarks: 30 };
  await pool.query(`INSERT INTO municipalities (id, region_code, time_zone, currency) VALUES ($1, '70', $2, 'RUB')`, [municipalityId, zone]);
  for (const year of new Set([firstDay.slice(0, 4), today.slice(0, 4)])) {
    // A version of the whole year (rules are kept as versions from a date since issue #18).
    await pool.query(`INSERT INTO attendance_rules (municipality_id, year, effective_from, rules, set_at, set_by) VALUES ($1, $2, make_date($2, 1, 1), $3, now(), 'bench')`, [
      municipalityId,
      Number(year),
      JSON.stringify(noHolidays),
    ]);
  }
  const groups = Array.from({ length: groupCount }, (_, index) => ({ id: randomUUID(), start: index < 2 * PAIRS && index % 2 === 1 ? "10:30" : "10:00" }));
  const slotsOf = (start: string) => JSON.stringify(Array.from({ length: 7 }, (_, i) => ({ weekday: i + 1, start, end: start === "10:00" ? "11:00" : "11:30" })));
  progress(`writing ${fmt(groupCount)} groups and ${fmt(groupCount * CHILDREN)} enrollments with SQL`);
  await pool.query(
    `INSERT INTO groups (id, municipality_id, provider_id, program_id, time_zone, slots, starts_on, ends_on, exceptions, as_of)
     SELECT g, $1, $2, gen_random_uuid(), $3, s::jsonb, $4::date - 200, $4::date + 200, '[]', now() FROM unnest($5::uuid[], $6::text[]) AS x(g, s)`,
    [municipalityId, providerId, zone, today, groups.map((g) => g.id), groups.map((g) => slotsOf(g.start))],
  );
  const rosters = groups.map(() => Array.from({ length: CHILDREN }, () => randomUUID()));
  // The pair's second group shares its first child with the first group.
  for (let k = 0; k < PAIRS; k++) rosters[2 * k + 1]![0] = rosters[2 * k]![0]!;
  const flat = groups.flatMap((g, i) => rosters[i]!.map((childId) => ({ groupId: g.id, childId })));
  await pool.query(
    `INSERT INTO enrollments (id, municipality_id, group_id, program_id, child_id, started_at)
     SELECT gen_random_uuid(), $1, g, NULL, c, now() - interval '200 days' FROM unnest($2::uuid[], $3::uuid[]) AS x(g, c)`,
    [municipalityId, flat.map((e) => e.groupId), flat.map((e) => e.childId)],
  );

  // --- the signals' reader ---------------------------------------------------------------------
  const signals: { lessonIds: string[]; receivedAt: number }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: `${topicPrefixOf(database)}kruzhok.attendance.v1`, fromBeginning: false });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachMessage: async ({ message }) => {
      const receivedAt = performance.now();
      const event = JSON.parse(message.value?.toString() ?? "{}") as { type: string; data: { kind: string; lessonIds: string[] } };
      if (event.type === "attendance.signal.raised" && event.data.kind === "overlapping_lessons") signals.push({ lessonIds: event.data.lessonIds, receivedAt });
    },
  });
  await joined;

  // --- 1 and 2: the marks -----------------------------------------------------------------------
  const provider = await bearerFor({ subject: "bench-provider", role: "provider", municipalityId, providerId });
  const requests: { buffer: Buffer; groupIndex: number }[] = [];
  for (let d = 0; d < lessonDays && requests.length < lessonsWanted; d++) {
    const date = dayOf(-100 + d);
    for (const [index, group] of groups.entries()) {
      if (requests.length >= lessonsWanted) break;
      const marks = rosters[index]!.map((childId, c) => ({ childId, status: c === 0 || (d * 31 + c * 7 + index) % 20 !== 0 ? "present" : "absent" }));
      requests.push({
        groupIndex: index,
        buffer: rawRequest("PUT", `/groups/${group.id}/lessons/${date}T${group.start}`, port, { authorization: provider, "content-type": "application/json" }, JSON.stringify({ marks })),
      });
    }
  }
  const sentAt = new Map<string, number>();
  const statuses = new Map<number, number>();
  const latencies: number[] = [];
  let failure: string | undefined;
  const run = async (list: readonly { buffer: Buffer }[]) => {
    const connections = Array.from({ length: concurrency }, () => new RawHttpConnection(port));
    let next = 0;
    try {
      await Promise.all(
        connections.map(async (connection) => {
          while (next < list.length) {
            const request = list[next++]!;
            const started = performance.now();
            const answer = await connection.get(request.buffer);
            latencies.push(performance.now() - started);
            statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
            if (answer.status === 200) sentAt.set((JSON.parse(answer.body) as { lessonId: string }).lessonId, started);
            else failure ??= answer.body.slice(0, 300);
          }
        }),
      );
    } finally {
      for (const connection of connections) connection.close();
    }
  };
  // The first day's lessons warm the service up (and are counted: they are marks like any other).
  progress(`marking ${fmt(requests.length)} lessons of ${CHILDREN} (${fmt(requests.length * CHILDREN)} marks), ${concurrency} in flight`);
  const started = performance.now();
  const [, cpu] = await withCpu(() => run(requests));
  const seconds = (performance.now() - started) / 1_000;
  const lessonRate = requests.length / seconds;
  // The last signals: the relay publishes within milliseconds; give the reader two seconds.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const signalLatencies = signals
    .map((s) => {
      const causes = s.lessonIds.map((id) => sentAt.get(id)).filter((t): t is number => t !== undefined);
      return causes.length === 0 ? undefined : s.receivedAt - Math.max(...causes);
    })
    .filter((t): t is number => t !== undefined)
    .sort((a, b) => a - b);
  // One a day for each pair: the pair's second group's lesson follows its first group's in the same day's round.
  const expectedSignals = requests.filter((r) => r.groupIndex < 2 * PAIRS && r.groupIndex % 2 === 1).length;
  const stored = (await pool.query<{ marks: number; signals: number }>(`SELECT (SELECT count(*)::int FROM marks) AS marks, (SELECT count(*)::int FROM signals WHERE kind = 'overlapping_lessons') AS signals`)).rows[0]!;
  latencies.sort((a, b) => a - b);
  await consumer.disconnect();

  // --- 3: the month close --------------------------------------------------------------------------
  const closeMunicipality = randomUUID();
  const closeMonth = dayOf(-40).slice(0, 7);
  const closeGroups = Math.ceil(closeEnrollments / CHILDREN);
  progress(`writing ${fmt(closeEnrollments)} enrollments in ${fmt(closeGroups)} groups and their ${closeMonth} marks with SQL`);
  await pool.query(`INSERT INTO municipalities (id, region_code, time_zone, currency) VALUES ($1, '70', $2, 'RUB')`, [closeMunicipality, zone]);
  await pool.query(
    `INSERT INTO groups (id, municipality_id, provider_id, program_id, time_zone, slots, starts_on, ends_on, exceptions, as_of)
     SELECT gen_random_uuid(), $1, $2, gen_random_uuid(), $3, '[{"weekday":2,"start":"15:00","end":"16:30"},{"weekday":4,"start":"15:00","end":"16:30"}]',
            $4::date - 200, $4::date + 200, '[]', now() FROM generate_series(1, $5)`,
    [closeMunicipality, providerId, zone, today, closeGroups],
  );
  await pool.query(
    `INSERT INTO enrollments (id, municipality_id, group_id, program_id, child_id, started_at)
     SELECT gen_random_uuid(), $1, g.id, g.program_id, gen_random_uuid(), now() - interval '200 days'
     FROM (SELECT id, program_id, row_number() OVER () AS n FROM groups WHERE municipality_id = $1) g, generate_series(1, $2) AS i
     WHERE (g.n - 1) * $2 + i <= $3`,
    [closeMunicipality, CHILDREN, closeEnrollments],
  );
  const first = `${closeMonth}-01`;
  await pool.query(
    `INSERT INTO lessons (id, group_id, municipality_id, provider_id, date, start_time, starts_at, ends_at, kind, on_schedule)
     SELECT gen_random_uuid(), g.id, $1, $2, d::date, '15:00', (d::date + time '15:00') AT TIME ZONE $4, (d::date + time '16:30') AT TIME ZONE $4, 'class', true
     FROM groups g, generate_series($3::date, ($3::date + interval '1 month' - interval '1 day'), interval '1 day') AS d
     WHERE g.municipality_id = $1 AND extract(isodow FROM d) IN (2, 4) AND to_char(d, 'MM-DD') NOT IN ('01-01','01-02','01-03','01-04','01-05','01-06','01-07','01-08','02-23','03-08','05-01','05-09','06-12','11-04')`,
    [closeMunicipality, providerId, first, zone],
  );
  await pool.query(
    `INSERT INTO marks (lesson_id, child_id, enrollment_id, group_id, municipality_id, date, starts_at, ends_at, status, review, marked_by, marked_at)
     SELECT l.id, e.child_id, e.id, l.group_id, $1, l.date, l.starts_at, l.ends_at, CASE WHEN random() < 0.05 THEN 'absent' ELSE 'present' END, 'none', 'bench', now()
     FROM lessons l JOIN enrollments e ON e.group_id = l.group_id WHERE l.municipality_id = $1`,
    [closeMunicipality],
  );
  await pool.query("ANALYZE");
  const closeMarks = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM marks WHERE municipality_id = $1`, [closeMunicipality])).rows[0]!.n;
  const operator = await bearerFor({ subject: "bench-operator", role: "operator", municipalityId: closeMunicipality });
  progress(`closing ${closeMonth} for ${fmt(closeEnrollments)} enrollments (${fmt(closeMarks)} marks)`);
  const closeStarted = performance.now();
  const [closeAnswer, closeCpu] = await withCpu(async () => {
    const res = await fetch(`${base}/municipalities/${closeMunicipality}/months/${closeMonth}/close`, { method: "POST", headers: { authorization: operator } });
    return { status: res.status, body: (await res.json()) as { enrollments?: number } };
  });
  const closeSeconds = (performance.now() - closeStarted) / 1_000;
  const summaries = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE type = 'attendance.month.summarised'`)).rows[0]!.n;

  // 4. The floor: the lesson's rows written by pgbench alone in this database, with the service
  // stopped (its relay would publish the floor's outbox rows).
  await stopChild(attendance);
  progress("measuring the floor: a lesson's rows written by pgbench alone, 16 lessons a transaction");
  const floor = await measureLessonFloor(withDatabase(env.databaseUrl, database));

  // --- the report ------------------------------------------------------------------------------------
  const cpuLine = (use: CpuUse, per: number, unit: string) =>
    `attendance ${fmt(use.children, 2)} (${fmt((use.children * 1e6) / per)} µs/${unit}); client ${fmt(use.benchProcess, 2)}; Postgres ${fmt(use.postgres, 2)} (${fmt((use.postgres * 1e6) / per)} µs/${unit}); Kafka ${fmt(use.kafka, 2)}; other load ${fmt(use.other, 2)}`;
  const allOk = (statuses.get(200) ?? 0) === requests.length;
  const results: Table = {
    headers: ["measure", "figure", "goal", "result"],
    rows: [
      [
        "lessons marked through HTTP",
        `${fmt(requests.length)} lessons (${fmt(requests.length * CHILDREN)} marks) in ${fmt(seconds, 1)} s = ${fmt(lessonRate)} lessons/s; ${[...statuses].map(([s, n]) => `${fmt(n)} × ${s}`).join(", ")}${failure ? ` (first refusal: ${failure})` : ""}; latency p50 ${fmt(percentile(latencies, 50), 1)} ms, p99 ${fmt(percentile(latencies, 99), 1)} ms`,
        "all 200",
        allOk ? "PASS" : "FAIL",
      ],
      ["lessons/s / pgbench app+outbox ceiling", `${pct(lessonRate / ceiling)} (${fmt(lessonRate)} / ${fmt(ceiling)} tx/s)`, "≥ 40 %", lessonRate / ceiling >= 0.4 ? "PASS" : "FAIL"],
      ["CPU while marking (cores busy)", cpuLine(cpu, lessonRate, "lesson"), "info", ""],
      [
        "mark-to-signal latency (overlapping lessons, read from Kafka)",
        `${fmt(signalLatencies.length)} signals of ${fmt(expectedSignals)} expected (${fmt(stored.signals)} stored); p50 ${fmt(percentile(signalLatencies, 50), 1)} ms, p99 ${fmt(percentile(signalLatencies, 99), 1)} ms, max ${fmt(signalLatencies.at(-1) ?? NaN, 1)} ms`,
        "p99 < 1 s, every one",
        signalLatencies.length === expectedSignals && percentile(signalLatencies, 99) < 1_000 ? "PASS" : "FAIL",
      ],
      ["marks stored", fmt(stored.marks), fmt(requests.length * CHILDREN), stored.marks === requests.length * CHILDREN ? "PASS" : "FAIL"],
      [
        `month close of ${fmt(closeEnrollments)} enrollments (${fmt(closeMarks)} marks)`,
        `${fmt(closeSeconds, 2)} s; answer ${closeAnswer.status}, ${fmt(closeAnswer.body.enrollments ?? 0)} summaries, ${fmt(summaries)} summary events in the outbox`,
        "< 30 s, one summary each",
        closeSeconds < 30 && closeAnswer.status === 200 && summaries === closeEnrollments ? "PASS" : "FAIL",
      ],
      ["CPU while closing", cpuLine(closeCpu, closeEnrollments, "enrollment"), "info", ""],
      [
        "floor: a lesson's rows alone, written by pgbench (no HTTP, Node or Kafka)",
        `${fmt(floor.lessonsPerSecond)} lessons/s = ${pct(floor.lessonsPerSecond / ceiling)} of the ceiling; machine ${pct(floor.cpu.machineBusy)} busy, Postgres ${fmt(floor.cpu.postgres, 2)} cores (${fmt((floor.cpu.postgres * 1e6) / floor.lessonsPerSecond)} µs/lesson); ${floor.settings}`,
        "info",
        "",
      ],
    ],
  };
  const settings = `${concurrency} lessons in flight from one client process (hand-parsed keep-alive HTTP/1.1); attendance in its own process (NODE_ENV=production, ES256 tokens) with its relay; ${fmt(groupCount)} groups of ${CHILDREN}, daily lessons; ${PAIRS} pairs of groups sharing a child at overlapping times`;
  const markdown = printRun(`Attendance: a region's month, ${new Date().toISOString()}`, [
    "Ceiling, measured in this run:",
    ceilingsTable(ceilings),
    results,
    settings,
    { headers: ["machine", ""], rows: machineRows(machine) },
  ]);
  const files = await writeResults(
    "attendance",
    { ceilings, lessonRate, seconds, statuses: Object.fromEntries(statuses), signalLatencies: { count: signalLatencies.length, p50: percentile(signalLatencies, 50), p99: percentile(signalLatencies, 99) }, closeSeconds, closeEnrollments, floor: { lessonsPerSecond: floor.lessonsPerSecond, cpu: floor.cpu, settings: floor.settings }, machine },
    markdown,
  );
  progress(`wrote ${files.join(", ")}`);
} finally {
  await consumer.disconnect().catch(() => undefined);
  await pool?.end();
  await stopChild(attendance);
  await dropDatabase(env.databaseUrl, database).catch(() => undefined);
  await deleteServiceTopics(env, database).catch(() => undefined);
}
