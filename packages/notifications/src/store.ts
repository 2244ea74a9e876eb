import type { Queryable } from "@kruzhok/postgres";

/** Where a delivery of one notification through one channel stands (see migrations/0100_notifications.sql). */
export type DeliveryStatus = "sending" | "pending" | "delivered" | "skipped" | "failed";

export interface DeliveryKey {
  eventId: string;
  channel: string;
}

export type Claim = { claimed: true; attempt: number } | { claimed: false; status: DeliveryStatus };

/** The delivered-set: claim before sending, record the end after. */
export interface DeliveryStore {
  /**
   * Take the right to send: granted when nothing is recorded yet, after a retryable failure, or
   * when another worker's claim is older than `leaseMs` (it died mid-send). Otherwise says why not.
   */
  claim(key: DeliveryKey, type: string, now: Date, leaseMs: number): Promise<Claim>;
  finish(key: DeliveryKey, status: "delivered" | "skipped" | "failed", now: Date, error?: string): Promise<void>;
  /** Give the claim back after a failure worth retrying. */
  release(key: DeliveryKey, error: string): Promise<void>;
  status(key: DeliveryKey): Promise<DeliveryStatus | null>;
}

/**
 * The delivered-set in Postgres. Give it the pool, not a consumer's transaction: each row must
 * commit as soon as it is written, so that a message sent through one channel is not sent again
 * when another channel's failure rolls the handler back.
 */
export function postgresDeliveryStore(db: Queryable): DeliveryStore {
  const status = async (key: DeliveryKey) => {
    const { rows } = await db.query<{ status: DeliveryStatus }>(
      "SELECT status FROM notification_deliveries WHERE event_id = $1 AND channel = $2",
      [key.eventId, key.channel],
    );
    return rows[0]?.status ?? null;
  };
  return {
    async claim(key, type, now, leaseMs) {
      const { rows } = await db.query<{ attempts: number }>(
        `INSERT INTO notification_deliveries AS d (event_id, channel, type, status, attempts, claimed_at)
         VALUES ($1, $2, $3, 'sending', 1, $4)
         ON CONFLICT (event_id, channel) DO UPDATE
            SET status = 'sending', attempts = d.attempts + 1, claimed_at = EXCLUDED.claimed_at, finished_at = NULL
          WHERE d.status = 'pending'
             OR (d.status = 'sending' AND d.claimed_at <= EXCLUDED.claimed_at - make_interval(secs => $5::double precision / 1000))
         RETURNING attempts`,
        [key.eventId, key.channel, type, now, leaseMs],
      );
      const row = rows[0];
      if (row) return { claimed: true, attempt: row.attempts };
      return { claimed: false, status: (await status(key)) ?? "sending" };
    },
    async finish(key, outcome, now, error) {
      await db.query(
        `UPDATE notification_deliveries SET status = $3, finished_at = $4, last_error = $5
          WHERE event_id = $1 AND channel = $2`,
        [key.eventId, key.channel, outcome, now, error ?? null],
      );
    },
    async release(key, error) {
      await db.query(
        "UPDATE notification_deliveries SET status = 'pending', last_error = $3 WHERE event_id = $1 AND channel = $2 AND status = 'sending'",
        [key.eventId, key.channel, error],
      );
    },
    status,
  };
}
