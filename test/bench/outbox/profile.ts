// Where a relay round spends its time, measured from outside OutboxRelay (which this benchmark
// may not change): the relay gets a pool facade whose clients time each statement, and a Kafka
// facade whose producer times sendBatch. The cost is two performance.now() calls per statement.
import type { Kafka, Producer } from "kafkajs";
import type { Pool, PoolClient } from "@kruzhok/postgres";

export type Step = "checkout" | "begin" | "lock" | "select" | "send" | "update" | "commit" | "rollback" | "other";

export interface Round {
  /** Rows the SELECTs returned (0 = idle round). */
  rows: number;
  /** Checkout to release. Steps may overlap (a pipelined relay), so this can be less than their sum. */
  wallMs: number;
  ms: Partial<Record<Step, number>>;
}

export interface StepSummary {
  step: Step;
  totalMs: number;
  /** Mean per round that published something. */
  meanMs: number;
}

export interface ProfileSummary {
  rounds: number;
  busyRounds: number;
  meanBatch: number;
  /** Mean of the steps over busy rounds, and their sum. */
  steps: StepSummary[];
  /** Sum of the step means. */
  busyRoundMs: number;
  /** Mean wall time of a publishing round. */
  busyRoundWallMs: number;
  /** SELECT time in the first and last ten busy rounds: does reading get slower as the backlog is marked? */
  selectFirstMs: number;
  selectLastMs: number;
}

function stepOf(sql: string): Step {
  const text = sql.trimStart();
  if (text.startsWith("BEGIN")) return "begin";
  if (text.startsWith("COMMIT")) return "commit";
  if (text.startsWith("ROLLBACK")) return "rollback";
  if (text.includes("pg_try_advisory_xact_lock")) return "lock";
  if (text.startsWith("SELECT seq")) return "select";
  if (text.startsWith("UPDATE outbox")) return "update";
  return "other";
}

export class RelayProfile {
  private readonly rounds: Round[] = [];
  private current: Round | undefined;

  /** A Pool for OutboxRelay: checkouts hand out timed clients, each checkout starts a round. */
  pool(pool: Pool): Pool {
    const facade = {
      connect: async () => {
        const started = performance.now();
        const client = await pool.connect();
        const round: Round = { rows: 0, wallMs: 0, ms: { checkout: performance.now() - started } };
        this.rounds.push(round);
        return this.client(client, round, started);
      },
      query: pool.query.bind(pool),
    };
    // REVIEW: a structural stand-in covering what OutboxRelay calls (connect, query); keep it in
    // step if the relay starts using more of the Pool API.
    return facade as unknown as Pool;
  }

  private client(client: PoolClient, round: Round, started: number): PoolClient {
    const facade = {
      query: async (text: string, values?: unknown[]) => {
        const started = performance.now();
        try {
          const result = await client.query(text, values);
          // Only the round holding the relay lock gets this far, so it is the one about to send.
          if (stepOf(text) === "select") {
            round.rows += result.rowCount ?? 0;
            this.current = round;
          }
          return result;
        } finally {
          const step = stepOf(text);
          round.ms[step] = (round.ms[step] ?? 0) + performance.now() - started;
        }
      },
      release: (error?: Error | boolean) => {
        round.wallMs = performance.now() - started;
        client.release(error);
      },
    };
    return facade as unknown as PoolClient;
  }

  /** A Kafka whose producers time sendBatch against the round in progress. */
  kafka(kafka: Kafka): Kafka {
    const facade = Object.create(kafka) as Kafka;
    facade.producer = (config) => {
      const producer: Producer = kafka.producer(config);
      const sendBatch = producer.sendBatch.bind(producer);
      producer.sendBatch = async (batch) => {
        const round = this.current;
        const started = performance.now();
        try {
          return await sendBatch(batch);
        } finally {
          if (round) round.ms.send = (round.ms.send ?? 0) + performance.now() - started;
        }
      };
      return producer;
    };
    return facade;
  }

  summary(): ProfileSummary {
    const busy = this.rounds.filter((round) => round.rows > 0);
    const steps: Step[] = ["checkout", "begin", "lock", "select", "send", "update", "commit"];
    const total = (step: Step, rounds: readonly Round[]) => rounds.reduce((sum, round) => sum + (round.ms[step] ?? 0), 0);
    const mean = (step: Step, rounds: readonly Round[]) => (rounds.length === 0 ? 0 : total(step, rounds) / rounds.length);
    const summaries = steps.map((step) => ({ step, totalMs: total(step, busy), meanMs: mean(step, busy) }));
    return {
      rounds: this.rounds.length,
      busyRounds: busy.length,
      meanBatch: busy.length === 0 ? 0 : busy.reduce((sum, round) => sum + round.rows, 0) / busy.length,
      steps: summaries,
      busyRoundMs: summaries.reduce((sum, step) => sum + step.meanMs, 0),
      busyRoundWallMs: busy.length === 0 ? 0 : busy.reduce((sum, round) => sum + round.wallMs, 0) / busy.length,
      selectFirstMs: mean("select", busy.slice(0, 10)),
      selectLastMs: mean("select", busy.slice(-10)),
    };
  }
}
