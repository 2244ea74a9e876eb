-- Delivered-set of notifications: one row per (event, channel). A channel that delivered (or
-- could not reach the guardian, or failed for good) is never tried again for that event, however
-- often the event is redelivered or replayed; a channel that failed for a while is retried.
--   sending    claimed by a worker until claimed_at + lease; a stale claim may be taken over
--   pending    released after a failure worth retrying
--   delivered  sent; finished_at says when
--   skipped    this channel cannot reach this guardian (no address)
--   failed     refused for good (5xx from SMTP, 4xx from the webhook); last_error says why
-- last_error never holds an address: the channels cut them out.
CREATE TABLE IF NOT EXISTS notification_deliveries (
  event_id    uuid NOT NULL,
  channel     text NOT NULL,
  type        text NOT NULL,
  status      text NOT NULL CHECK (status IN ('sending', 'pending', 'delivered', 'skipped', 'failed')),
  attempts    integer NOT NULL DEFAULT 1,
  claimed_at  timestamptz NOT NULL,
  finished_at timestamptz,
  last_error  text,
  PRIMARY KEY (event_id, channel)
);
-- Operators look for what is stuck or refused.
CREATE INDEX IF NOT EXISTS notification_deliveries_open ON notification_deliveries (claimed_at)
  WHERE status IN ('sending', 'pending', 'failed');
