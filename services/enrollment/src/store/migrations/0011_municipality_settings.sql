-- What each municipality sets for itself rather than a constant in code: how close to the head
-- of a queue a family is told its turn is near, how long before an offer expires the reminder
-- goes, and each year's calendar of days off (the decreed transfers, Kurban Ait) with the
-- Saturdays decreed working days. Unset, today's defaults (5, 24 h, the country's fixed holidays).
CREATE TABLE municipality_settings (
  municipality_id           uuid PRIMARY KEY,
  position_notice_threshold int NOT NULL CHECK (position_notice_threshold BETWEEN 1 AND 50),
  offer_reminder_hours      int NOT NULL CHECK (offer_reminder_hours BETWEEN 1 AND 168),
  updated_at                timestamptz NOT NULL,
  updated_by                text NOT NULL
);

CREATE TABLE municipality_calendars (
  municipality_id uuid NOT NULL,
  year            int NOT NULL CHECK (year BETWEEN 2000 AND 2200),
  days_off        date[] NOT NULL,
  working_days    date[] NOT NULL,
  updated_at      timestamptz NOT NULL,
  updated_by      text NOT NULL,
  PRIMARY KEY (municipality_id, year)
);
