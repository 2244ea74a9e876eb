-- A guardian who registers a child names other guardians as invited, not linked: a stranger
-- added as a co-guardian would read the child's record and act for it. The invited guardian
-- (or the office, which sees the documents) confirms; only then does the guardianship exist.
CREATE TABLE co_guardian_invitations (
  child_id    uuid NOT NULL REFERENCES children (id),
  guardian_id uuid NOT NULL REFERENCES guardians (id),
  invited_by  uuid NOT NULL REFERENCES guardians (id),
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (child_id, guardian_id)
);
CREATE INDEX co_guardian_invitations_guardian ON co_guardian_invitations (guardian_id);
