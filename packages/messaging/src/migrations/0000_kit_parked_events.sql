-- Parked events: an event whose handling kept failing for a reason of its own (a bug, a
-- constraint, a webhook that is down) after the consumer's bounded retries, and the later events
-- of the same key (aggregate) parked behind it so that they are not handled out of order. The
-- partition goes on; an operator redrives the rows after the fix (operator-cli.ts), and the
-- consumer runner handles them again, in `id` order per key.
--
-- The message is kept as Kafka delivered it: value and key as bytes, header values base64 (bytes
-- too; jsonb cannot hold a NUL), so that a redrive parses exactly what arrived.
CREATE TABLE IF NOT EXISTS parked_events (
  id              bigserial PRIMARY KEY,
  consumer        text NOT NULL,
  event_id        uuid NOT NULL,
  event_type      text NOT NULL,
  correlation_id  uuid NOT NULL,
  topic           text NOT NULL,
  kafka_partition integer NOT NULL,
  kafka_offset    bigint NOT NULL,
  message_key     bytea,
  message_value   bytea NOT NULL,
  headers         jsonb NOT NULL DEFAULT '{}',
  -- failed: its own handling failed; behind: an earlier event of its key was parked.
  reason          text NOT NULL CHECK (reason IN ('failed', 'behind')),
  -- parked and redrive_requested are open (they hold their key); the others are how it ended.
  state           text NOT NULL CHECK (state IN ('parked', 'redrive_requested', 'applied', 'dead_lettered', 'skipped')),
  attempts        integer NOT NULL DEFAULT 0,
  error_name      text,
  error_message   text,
  parked_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  last_failed_at  timestamptz,
  redrive_requested_at timestamptz,
  resolved_at     timestamptz
);
-- "Is this key held for this consumer?" is asked for every event handled: only open rows.
CREATE INDEX IF NOT EXISTS parked_events_open
  ON parked_events (consumer, topic, message_key, id) WHERE state IN ('parked', 'redrive_requested');
-- An event is open at most once per consumer (a redelivery of a parked event is not parked
-- twice). Resolved rows are history: an event the consumer skipped on a redrive (no handler any
-- more) that comes back in a replay is parked anew, behind what is open of its key.
CREATE UNIQUE INDEX IF NOT EXISTS parked_events_open_event
  ON parked_events (consumer, event_id) WHERE state IN ('parked', 'redrive_requested');
