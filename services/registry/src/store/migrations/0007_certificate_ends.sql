-- A certificate closes on the child's 18th birthday in the municipality's zone; the family is
-- told a month before, once.
ALTER TABLE certificates ADD COLUMN ending_noticed boolean NOT NULL DEFAULT false;
CREATE INDEX certificates_open ON certificates (child_id) WHERE status <> 'closed';
