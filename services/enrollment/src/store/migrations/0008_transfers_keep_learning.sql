-- A transfer to a group that starts later keeps the child learning: the enrollment left runs
-- through the day before the new one starts (its last day, `leaves_on`, in the group's zone),
-- then the sweep ends it. `left_for` is the enrollment the child moves to.
ALTER TABLE enrollments ADD COLUMN leaves_on date, ADD COLUMN left_for uuid;
CREATE INDEX enrollments_leaving ON enrollments (leaves_on) WHERE status = 'active' AND leaves_on IS NOT NULL;
