// The floor of month billing on this machine: the rows a first bill of a month writes, written by
// pgbench itself, with no Kafka, no Node and no reads, into the payments database the run just
// billed (its real tables, indexes, foreign keys and CHECKs). Issue 15 asks for 1,000,000 months
// billed in under 120 s (8,334 a second); this rate says whether Postgres alone can write that.
import { runPgbench } from "../ceilings/measure";
import { withCpu, type CpuUse } from "../lib/cpu";
import type { Pool } from "@kruzhok/postgres";

export interface BillingFloor {
  summariesPerTransaction: number;
  summariesPerSecond: number;
  cpu: CpuUse;
  settings: string;
}

/**
 * The bills the run made, each with the accounts and the register a first bill of the same
 * enrollment writes to (so every foreign key is checked against real rows), repeated into
 * `blocks` blocks of `size`, each row with a pending transfer of its own made here, before the
 * timing, for the floor to void (a pending is resolved once). The tables are analyzed so the
 * floor's statements are planned as well as they can be (the service's are index probes).
 */
async function prepare(pool: Pool, size: number, blocks: number): Promise<void> {
  await pool.query("DROP TABLE IF EXISTS floor_rows");
  await pool.query("DROP SEQUENCE IF EXISTS floor_block");
  await pool.query(
    `CREATE TABLE floor_rows AS
     WITH bills AS (
       SELECT row_number() OVER (ORDER BY b.enrollment_id)::int - 1 AS k, b.enrollment_id, b.municipality_id, b.provider_id, b.certificate_id,
              c.id AS certificate, p.id AS payable, c.currency, r.id AS register_id
       FROM billed_months b
       JOIN ledger_accounts c ON c.kind = 'certificate' AND c.owner_id = b.certificate_id AND c.year = 2026
       JOIN ledger_accounts p ON p.kind = 'provider_payable' AND p.owner_id = b.provider_id AND p.year = 2026
       JOIN registers r ON r.provider_id = b.provider_id AND r.month = b.month),
     total AS (SELECT count(*) AS n FROM bills)
     SELECT g AS block, i, gen_random_uuid() AS pending_id, b.*
     FROM generate_series(1, $1::int) g, generate_series(0, $2::int - 1) i, total, bills b
     WHERE b.k = ((g - 1) * $2::int + i) % total.n`,
    [blocks, size],
  );
  await pool.query("CREATE INDEX ON floor_rows (block)");
  await pool.query(
    `INSERT INTO ledger_transfers (id, municipality_id, debit_account_id, credit_account_id, amount, currency, kind, balancing_debit, code, cause_command, created_at)
     SELECT pending_id, municipality_id, certificate, payable, 0, currency, 'pending', true, 'reservation', 'bench-floor', now() FROM floor_rows`,
  );
  await pool.query("CREATE SEQUENCE floor_block");
  await pool.query("ANALYZE floor_rows, ledger_accounts, reservations, ledger_transfers, billed_months, register_lines");
}

/**
 * One batch of `size` first bills as billMonths writes them in the benchmark's case (a financed
 * certificate whose reservation gives way): per bill three transfers (the reservation voided, a
 * smaller one pending, the certificate's charge; every foreign key and CHECK), the pending's
 * resolution, the reservation, the certificate account's balances, the bill, its version, the
 * register line, the outbox event (~700 B, the size of MonthBilled's JSON) and the inbox row;
 * per batch one provider's payable.
 * Each transaction takes a block of its own; ids are fresh, so every insert is new.
 */
function batchScript(payloadBytes: number): string {
  const where = "block = :block";
  const id = (leg: string) => `md5(pending_id::text || '-${leg}')::uuid`;
  const transfer = (leg: string, kind: string, pending: string, code: string, balancing: boolean) =>
    `INSERT INTO ledger_transfers (id, municipality_id, debit_account_id, credit_account_id, amount, currency, kind, balancing_debit, pending_id, code, cause_event_id, created_at)
     SELECT ${id(leg)}, municipality_id, certificate, payable, 0, currency, '${kind}', ${balancing}, ${pending}, '${code}', ${id("event")}, now() FROM floor_rows WHERE ${where};`;
  const payload = "x".repeat(payloadBytes);
  return [
    "SELECT nextval('floor_block') AS block \\gset",
    "BEGIN;",
    transfer("void", "void_pending", "pending_id", "reservation_billed", false),
    transfer("new", "pending", "NULL", "reservation", true),
    transfer("charge", "single", "NULL", "lesson_charge", true),
    `INSERT INTO ledger_pending_resolutions (pending_id, transfer_id, kind) SELECT pending_id, ${id("void")}, 'void_pending' FROM floor_rows WHERE ${where};`,
    `UPDATE reservations r SET seq = r.seq + 1 FROM floor_rows f WHERE f.block = :block AND r.enrollment_id = f.enrollment_id;`,
    `UPDATE ledger_accounts a SET debits_posted = a.debits_posted + 0, debits_pending = a.debits_pending + 0 FROM floor_rows f WHERE f.block = :block AND a.id = f.certificate;`,
    `UPDATE ledger_accounts SET credits_posted = credits_posted + 0 WHERE id = (SELECT payable FROM floor_rows WHERE ${where} AND i = 0);`,
    `INSERT INTO billed_months (enrollment_id, month, version, municipality_id, provider_id, certificate_id, lessons, certificate_amount, family_amount, uncovered_amount, billed_at)
     SELECT ${id("bill")}, '2026-11', 1, municipality_id, provider_id, certificate_id, 8, 0, 0, 0, now() FROM floor_rows WHERE ${where};`,
    `INSERT INTO billed_versions (enrollment_id, month, version, cause_event_id) SELECT ${id("bill")}, '2026-11', 1, ${id("event")} FROM floor_rows WHERE ${where};`,
    `INSERT INTO register_lines (register_id, enrollment_id, certificate_id, lessons, certificate_amount, family_amount) SELECT register_id, ${id("bill")}, certificate_id, 8, 0, 0 FROM floor_rows WHERE ${where};`,
    `INSERT INTO outbox (event_id, topic, message_key, type, payload) SELECT ${id("out")}, 'bench.floor', enrollment_id::text, 'payments.month.billed', '${payload}' FROM floor_rows WHERE ${where};`,
    `INSERT INTO inbox (consumer, event_id, topic, kafka_partition, kafka_offset) SELECT 'bench-floor', ${id("event")}, 'bench.floor', 0, i FROM floor_rows WHERE ${where};`,
    "END;",
    "",
  ]
    .map((line) => line.replace(/\s+/g, " "))
    .join("\n");
}

/**
 * pgbench writing batches of first bills into the run's payments database, the service stopped
 * (its relay would publish the floor's outbox rows). Batches of the consumers' size (1,000).
 */
export async function measureBillingFloor(pool: Pool, databaseUrl: string, { size = 1_000, blocks = 300, clients = 4, durationS = 10, payloadBytes = 700 } = {}): Promise<BillingFloor> {
  await prepare(pool, size, blocks);
  const [result, cpu] = await withCpu(() => runPgbench(databaseUrl, batchScript(payloadBytes), { clients, durationS }));
  // A transaction past the last block would write nothing and count: the figure would be false.
  const { rows } = await pool.query<{ taken: string }>("SELECT last_value AS taken FROM floor_block");
  if (Number(rows[0]!.taken) > blocks) throw new Error(`the floor ran out of prepared blocks (${rows[0]!.taken} taken of ${blocks}): prepare more`);
  return {
    summariesPerTransaction: size,
    summariesPerSecond: result.tps * size,
    cpu,
    settings: `pgbench -n -c ${clients} -j 2 -T ${durationS}; 1 tx = ${size} first bills (3 transfers, resolution, reservation, certificate balances, bill, version, register line, ${payloadBytes} B outbox row, inbox row; 1 payable)`,
  };
}
