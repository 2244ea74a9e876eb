-- Outbox: events written in the same transaction as the state change they announce.
-- `seq` orders publication; the relay reads unpublished rows (not "rows past a cursor"), so a
-- transaction that commits after a later sequence number was already published is still sent.
CREATE TABLE IF NOT EXISTS outbox (
  seq          bigserial PRIMARY KEY,
  event_id     uuid NOT NULL UNIQUE,
  topic        text NOT NULL,
  message_key  text NOT NULL,
  type         text NOT NULL,
  payload      text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  published_at timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;

-- Inbox: one row per (consumer, event) handled, written in the transaction of the effect, so a
-- redelivered or replayed event is recognised and skipped.
CREATE TABLE IF NOT EXISTS inbox (
  consumer     text NOT NULL,
  event_id     uuid NOT NULL,
  topic        text NOT NULL,
  kafka_partition integer NOT NULL,
  kafka_offset bigint NOT NULL,
  outcome      text NOT NULL DEFAULT 'applied' CHECK (outcome IN ('applied', 'dead_lettered')),
  processed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (consumer, event_id)
);
