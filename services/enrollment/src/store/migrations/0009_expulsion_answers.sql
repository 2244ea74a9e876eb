-- An expulsion states why, in words the family reads; the family may answer them. Both stay in
-- enrollment (events say "expelled" only): the family, the provider and the office read them.
ALTER TABLE enrollments
  ADD COLUMN end_comment        text,
  ADD COLUMN family_answer      text,
  ADD COLUMN family_answered_at timestamptz,
  ADD COLUMN family_answered_by text;
