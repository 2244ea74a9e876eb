-- Groups close at the end of their last day and certifications run out, each in the
-- municipality's zone, found by a sweep. A program remembers the certification expiry it has
-- warned its provider of (30 days before), so that each certification is warned of once and a
-- renewed one again. (Search needs nothing: its answers are keyed by the quarter hour, and every
-- zone's midnight falls on one.)
ALTER TABLE programs ADD COLUMN certification_warned_for date;
CREATE INDEX groups_open_ends_on ON groups (ends_on) WHERE status = 'open';
CREATE INDEX programs_certification_expiry ON programs (certification_expiry) WHERE funding_kind = 'financed';
