// Month billing end to end next to the pgbench app+outbox ceiling measured in the same run:
// `bash test/bench/run payments` (or `tsx test/bench/payments/main.ts --enrollments N`).
//
// Payments runs as its own process (src/main.ts, its consumers and relay) on a scratch database.
// N financed certificates, their groups and enrollments are written beforehand with SQL (not what
// is measured); then N attendance.month.summarised events go onto the attendance topic at once,
// and the clock runs until the last month is billed: events in, through the consumer and the
// ledger's postings, to register lines. Goal (issue 15): 1,000,000 enrollments in < 120 s; with
// fewer, the time for a million is projected at the measured rate. Postings/s is reported as a
// ratio to pgbench's app+outbox transactions/s. Ends with `verify` over the scratch books, then
// the floor (floor.ts): a first bill's rows written by pgbench alone in the same database.
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { MonthSummarised, Topics } from "@kruzhok/contracts";
import { createKafka, newEvent, sendToTopic } from "@kruzhok/messaging";
import { createPool, dropDatabase, withDatabase, type Pool } from "@kruzhok/postgres";
import { verifyBooks } from "../../../services/payments/src/usecases/verify";
import { figureOf, measurePgbenchAppOutbox, measured, scratchId } from "../ceilings/measure";
import { withCpu } from "../lib/cpu";
import { benchEnv } from "../lib/env";
import { describeMachine, machineRows } from "../lib/machine";
import { stopChild } from "../lib/proc";
import { measureBillingFloor } from "./floor";
import { fmt, pct, printRun, progress, writeResults } from "../lib/report";
import { deleteServiceTopics, freePort, spawnService, topicPrefixOf, waitReady } from "../lib/service";

const { values: args } = parseArgs({
  options: { enrollments: { type: "string", default: "20000" }, timeout: { type: "string", default: "900" }, workers: { type: "string", default: "1" } },
});
const total = Number(args.enrollments);
const env = benchEnv();
const machine = await describeMachine(env);
progress("measuring the pgbench app+outbox ceiling");
const ceilings = await measured(() => measurePgbenchAppOutbox(env));
const ceiling = figureOf(ceilings, "pgbench.app+outbox");

const database = `bench_payments_${scratchId()}`;
const port = await freePort();
const payments = await spawnService("payments", env, database, port, { WORKERS: args.workers });
let pool: Pool | undefined;
try {
  await waitReady(payments, port, "payments");
  pool = createPool({ connectionString: withDatabase(env.databaseUrl, database), max: 4, applicationName: "bench-payments", statementTimeoutMs: 600_000 });
  const municipalityId = randomUUID();
  progress(`seeding ${fmt(total)} financed certificates, groups of 15 and enrollments`);
  await seed(pool, municipalityId, total);

  const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: `${database}-bench` });
  const topic = `${topicPrefixOf(database)}${Topics.attendance}`;
  const { rows: enrollments } = await pool.query<{ id: string; group_id: string; child_id: string; provider_id: string }>(
    `SELECT e.id, e.group_id, e.child_id, g.provider_id FROM enrollments e JOIN groups g ON g.id = e.group_id ORDER BY e.id`,
  );
  const now = new Date("2026-12-05T00:00:00Z");
  const events = enrollments.map((e) =>
    newEvent(MonthSummarised, { municipalityId, aggregateId: e.id }, {
      enrollmentId: e.id, childId: e.child_id, groupId: e.group_id, programId: null, providerId: e.provider_id, month: "2026-11", version: 1, supersedes: null, kind: "class",
      scheduled: 9, present: 8, excused: { illness: 1, vacation: 0, quarantine: 0, repairs: 0, rehabilitation: 0 }, unexcused: 0, unmarked: 0, disputed: 0, unconfirmed: 0, billable: 8, confirmationRequired: false,
    }, now),
  );

  progress(`publishing ${fmt(total)} month summaries and waiting for every one to be billed`);
  const started = performance.now();
  const [, cpu] = await withCpu(async () => {
    for (let i = 0; i < events.length; i += 5_000) {
      await sendToTopic(kafka, topic, events.slice(i, i + 5_000).map((e) => ({ key: e.aggregateId, value: JSON.stringify(e) })));
    }
    const deadline = Date.now() + Number(args.timeout) * 1_000;
    // Counting a million billed months takes Postgres ~0.1 s: polled every 200 ms that was a
    // quarter of a core taken from billing; every second costs at most a second in ~500.
    const pollMs = total > 200_000 ? 1_000 : 200;
    for (;;) {
      const { rows } = await pool!.query<{ n: number }>(`SELECT count(*)::int AS n FROM billed_months`);
      if (rows[0]!.n >= total) break;
      if (Date.now() > deadline) throw new Error(`only ${rows[0]!.n} of ${total} billed after ${args.timeout} s`);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  });
  const seconds = (performance.now() - started) / 1_000;
  // Every transfer billing made: the seed wrote one appropriation and one financing per certificate.
  const { rows: postings } = await pool.query<{ n: number }>(`SELECT (count(*) - $1 - 1)::int AS n FROM ledger_transfers`, [total]);
  const { rows: lines } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM register_lines`);
  const violation = await verifyBooks(pool, municipalityId, 2026);
  const rate = total / seconds;
  const postingRate = postings[0]!.n / seconds;
  const projected = 1_000_000 / rate;
  const table = {
    headers: ["enrollments", "workers", "seconds", "summaries/s", "postings", "postings/s", "vs pgbench tx/s", "register lines", "1M projected", "goal < 120 s", "verify"],
    rows: [[fmt(total), args.workers, fmt(seconds, 1), fmt(rate), fmt(postings[0]!.n), fmt(postingRate), pct(postingRate / ceiling), fmt(lines[0]!.n), `${fmt(projected)} s`, projected < 120 ? "met" : "NOT met", violation ?? "the books hold"]],
  };
  // The floor, in the database just billed, with the service stopped (its relay would publish the floor's outbox rows).
  await stopChild(payments);
  progress("measuring the floor: a first bill's rows written by pgbench alone, 1,000 a transaction");
  const floor = await measureBillingFloor(pool, withDatabase(env.databaseUrl, database));
  const floorLine = `Floor (test/bench/payments/floor.ts): ${fmt(floor.summariesPerSecond)} first bills/s = 1M in ${fmt(1_000_000 / floor.summariesPerSecond)} s (goal < 120 s); machine ${pct(floor.cpu.machineBusy)} busy, Postgres ${fmt(floor.cpu.postgres, 2)} cores (${fmt((floor.cpu.postgres * 1e6) / floor.summariesPerSecond)} µs a bill); ${floor.settings}`;
  const perSummary = (cores: number) => `${fmt(cores, 2)} cores (${fmt((cores * 1e6) / rate)} µs a summary)`;
  const cpuLine = `CPU during billing (of ${machine.cpus} cores, machine ${pct(cpu.machineBusy)} busy): payments ${perSummary(cpu.children)}; Postgres ${perSummary(cpu.postgres)}; Kafka ${perSummary(cpu.kafka)}; this process ${fmt(cpu.benchProcess, 2)}; other load ${fmt(cpu.other, 2)} cores`;
  const markdown = printRun("payments: month billing end to end", [{ headers: ["machine", ""], rows: machineRows(machine) }, `pgbench app+outbox: ${fmt(ceiling)} tx/s`, table, cpuLine, floorLine]);
  await writeResults("payments", { machine, ceilings, total, seconds, rate, postings: postings[0]!.n, postingRate, ceiling, projected, violation, cpu, floor }, markdown);
} finally {
  await pool?.end();
  await stopChild(payments);
  await deleteServiceTopics(env, database).catch(() => undefined);
  await dropDatabase(env.databaseUrl, database).catch(() => undefined);
}

/**
 * The books before the month: a municipality in Kamchatka with a budget, a provider per 150
 * children, a financed group per 15 (250.00 an hour, 90-minute lessons), each child's certificate
 * funded with 1,000,000 from the budget (ledger rows and balances consistent, as financing leaves
 * them), and each child enrolled. No reservations: the month's billing alone is measured.
 */
async function seed(db: Pool, municipalityId: string, n: number): Promise<void> {
  const nominal = 1_000_000;
  await db.query(`INSERT INTO municipalities (id, region_code, time_zone, currency) VALUES ($1, '41', 'Asia/Kamchatka', 'RUB')`, [municipalityId]);
  await db.query(`INSERT INTO municipality_years (municipality_id, year, nominal, budget, financed_cap, categories) VALUES ($1, 2026, $2, $3, $4, '[]')`, [municipalityId, nominal, nominal * n, n]);
  await db.query(`INSERT INTO billing_rules (municipality_id, year, normative_per_hour, co_payment, unexcused, effective_from, set_by) VALUES ($1, 2026, 20000, true, 'not_charged', '2026-01-01', 'bench')`, [municipalityId]);
  await db.query(
    `WITH kids AS (SELECT i, gen_random_uuid() AS child, gen_random_uuid() AS certificate, gen_random_uuid() AS enrollment FROM generate_series(0, $2 - 1) AS i),
          providers AS (SELECT p, gen_random_uuid() AS provider FROM generate_series(0, ($2 - 1) / 150) AS p),
          grps AS (SELECT g, gen_random_uuid() AS grp, (SELECT provider FROM providers WHERE p = g / 10) AS provider FROM generate_series(0, ($2 - 1) / 15) AS g),
          ins_groups AS (INSERT INTO groups (id, municipality_id, program_id, provider_id, price_per_hour, lesson_minutes, lessons_per_week, funding_kind, currency, ends_on)
                         SELECT grp, $1, gen_random_uuid(), provider, 25000, 90, 2, 'financed', 'RUB', '2027-05-31' FROM grps),
          ins_certs AS (INSERT INTO certificates (id, municipality_id, child_id, number, categories, guardian_ids, status)
                        SELECT certificate, $1, child, '41-' || i, '{}', ARRAY[gen_random_uuid()], 'financed' FROM kids)
     INSERT INTO enrollments (id, municipality_id, group_id, child_id, ended)
     SELECT k.enrollment, $1, g.grp, k.child, false FROM kids k JOIN grps g ON g.g = k.i / 15`,
    [municipalityId, n],
  );
  // Ledger: the budget appropriated, each certificate funded (ids as payments derives them would
  // not matter here: nothing repeats them).
  const source = randomUUID();
  const budget = randomUUID();
  await db.query(
    `INSERT INTO ledger_accounts (id, municipality_id, currency, kind, owner_id, year, debits_posted, credits_posted, debits_must_not_exceed_credits, credits_must_not_exceed_debits, created_at)
     VALUES ($1, $3, 'RUB', 'budget_source', $3, 2026, $4, 0, false, false, now()), ($2, $3, 'RUB', 'budget', $3, 2026, $4, $4, true, false, now())`,
    [source, budget, municipalityId, nominal * n],
  );
  await db.query(`INSERT INTO ledger_transfers (id, municipality_id, debit_account_id, credit_account_id, amount, currency, kind, code, cause_command, created_at) VALUES (gen_random_uuid(), $1, $2, $3, $4, 'RUB', 'single', 'appropriation', 'bench seed', now())`, [municipalityId, source, budget, nominal * n]);
  const { accountId } = await import("../../../services/payments/src/domain/ledger");
  const { rows } = await db.query<{ id: string }>(`SELECT id FROM certificates WHERE municipality_id = $1`, [municipalityId]);
  for (let i = 0; i < rows.length; i += 10_000) {
    const slice = rows.slice(i, i + 10_000).map((r) => r.id);
    const accounts = slice.map((id) => accountId("certificate", id, 2026));
    await db.query(
      `WITH a AS (INSERT INTO ledger_accounts (id, municipality_id, currency, kind, owner_id, year, credits_posted, debits_must_not_exceed_credits, credits_must_not_exceed_debits, created_at)
                  SELECT account, $1, 'RUB', 'certificate', certificate, 2026, $2, true, false, now() FROM unnest($3::uuid[], $4::uuid[]) AS u(account, certificate) RETURNING id, owner_id),
            t AS (INSERT INTO ledger_transfers (id, municipality_id, debit_account_id, credit_account_id, amount, currency, kind, code, cause_command, created_at)
                  SELECT gen_random_uuid(), $1, $5, id, $2, 'RUB', 'single', 'financing', 'bench seed', now() FROM a RETURNING id, credit_account_id)
       INSERT INTO financing_requests (certificate_id, year, municipality_id, amount, category_rank, requested_at, status, transfer_id, committed_at)
       SELECT a.owner_id, 2026, $1, $2, 0, now(), 'committed', t.id, now() FROM t JOIN a ON a.id = t.credit_account_id`,
      [municipalityId, nominal, accounts, slice, budget],
    );
  }
  await db.query(`ANALYZE`);
}
