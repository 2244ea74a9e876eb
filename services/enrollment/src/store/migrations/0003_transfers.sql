-- Transfers: an application that moves a child out of an active enrollment into another group.
-- The enrollment continues until the transfer's own enrollment starts; both change in one
-- transaction. At most one open transfer per enrollment: a family that wants another target
-- withdraws the first transfer (otherwise two alternatives could both start, and the second
-- would no longer have an enrollment to leave).
ALTER TABLE applications ADD COLUMN IF NOT EXISTS transfer_of uuid REFERENCES enrollments (id);
CREATE UNIQUE INDEX IF NOT EXISTS applications_open_transfer ON applications (transfer_of)
  WHERE transfer_of IS NOT NULL AND status IN ('awaiting_financing', 'queued', 'offered');
