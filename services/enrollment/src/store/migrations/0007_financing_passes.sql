-- An application waiting for its certificate's financing keeps its place in the queue but holds
-- no seat: a free seat goes to the next child ready for it. The family is told once, when a
-- seat first passes it.
ALTER TABLE applications ADD COLUMN financing_passed_at timestamptz;
