-- What notifications to families need that enrollment did not keep yet, and what was sent once.

-- The municipality's currency picks the message language when the family chose none (tenge:
-- Kazakh). Null for municipalities announced before this column: Russian is assumed.
ALTER TABLE municipalities ADD COLUMN IF NOT EXISTS currency text CHECK (currency IN ('RUB', 'KZT'));

-- Program titles as the catalogue announces them: a message says what it is about.
CREATE TABLE IF NOT EXISTS programs (
  id         uuid PRIMARY KEY,
  title      text NOT NULL,
  updated_at timestamptz NOT NULL
);

-- The "about to expire" notice goes once per offer.
ALTER TABLE offers ADD COLUMN IF NOT EXISTS expiry_noticed_at timestamptz;

-- Applications told that their place came within the threshold of the head of the queue. A row
-- is removed when the application falls back beyond it, so that a new approach is told again.
CREATE TABLE IF NOT EXISTS position_notices (
  application_id uuid PRIMARY KEY REFERENCES applications (id),
  group_id       uuid NOT NULL,
  position       integer NOT NULL,
  noticed_at     timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS position_notices_group ON position_notices (group_id);
