// The floor of a rebuild on this machine: each event's rows written by pgbench itself, with no
// Kafka, no Node and no reads, into the statistics database the rebuild just filled (its real
// tables and indexes). Issue 16 asks a rebuild for >= 50 % of the raw Kafka consumer's rate; a
// consumer of statistics must at least write, per event, the inbox row that makes it
// exactly-once, the subject's event and the contribution it makes, and add to the sums, so this
// rate beside the raw consumer's says whether the goal is within the machine's reach at all.
import { runPgbench } from "../ceilings/measure";
import { withCpu, type CpuUse } from "../lib/cpu";

export interface RebuildFloor {
  eventsPerTransaction: number;
  eventsPerSecond: number;
  cpu: CpuUse;
  settings: string;
}

/**
 * One batch of `events` as the consumers' batch mode writes it, writes only: an inbox row each,
 * a subject event each (its primary key), a contribution each (its primary key and both
 * indexes), and 20 sums added to (the batch's sums netted, as record.ts nets them). Subjects,
 * events and offsets are fresh each time, as in a rebuild.
 */
function batchStatement(events: number): string {
  const municipality = "00000000-0000-4000-8000-00000000f100";
  return [
    `INSERT INTO inbox (consumer, event_id, topic, kafka_partition, kafka_offset)
     SELECT 'bench-floor', gen_random_uuid(), 'bench.floor', 0, g FROM generate_series(1, ${events}) g;`,
    `WITH e AS (
       INSERT INTO subject_events (subject_key, event_id, kind, municipality_id, at, attrs)
       SELECT 'certificate:' || md5(random()::text), gen_random_uuid(), 'issued', '${municipality}', now(), '{"birthYear": 2015, "status": "accounting"}'
       FROM generate_series(1, ${events}) RETURNING subject_key)
     INSERT INTO contributions (subject_key, seq, municipality_id, measure, dims, group_id, birth_year, at, delta, sample)
     SELECT subject_key, 1, '${municipality}', 'certificates', '{"status": "accounting"}', NULL, 2015, now(), 1, NULL FROM e;`,
    `INSERT INTO contribution_sums (municipality_id, quarter, sum_key, measure, dims, group_id, birth_year, delta, rows)
     SELECT '${municipality}', date_bin('15 minutes', now(), timestamptz '2000-01-01 00:00:00+00'), 'certificates|{"status": "accounting"}||' || (2000 + g),
            'certificates', '{"status": "accounting"}', NULL, 2000 + g, 50, 50 FROM generate_series(1, 20) g
     ON CONFLICT (municipality_id, quarter, sum_key) DO UPDATE SET delta = contribution_sums.delta + EXCLUDED.delta, rows = contribution_sums.rows + EXCLUDED.rows;`,
  ]
    .map((statement) => statement.replace(/\s+/g, " "))
    .join("\n");
}

/** pgbench writing batches into `databaseUrl`'s statistics tables: `perTransaction` events a commit, as the consumers' batches of up to 1,000. */
export async function measureRebuildFloor(databaseUrl: string, { perTransaction = 1_000, clients = 3, durationS = 10 } = {}): Promise<RebuildFloor> {
  const script = ["BEGIN;", batchStatement(perTransaction), "END;", ""].join("\n");
  const [result, cpu] = await withCpu(() => runPgbench(databaseUrl, script, { clients, durationS }));
  return {
    eventsPerTransaction: perTransaction,
    eventsPerSecond: result.tps * perTransaction,
    cpu,
    settings: `pgbench -n -c ${clients} -j 2 -T ${durationS}; 1 tx = ${perTransaction} events (inbox row, subject event, contribution, 20 sums added to)`,
  };
}
