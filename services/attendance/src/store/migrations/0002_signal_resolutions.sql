-- A fraud signal's resolution by the municipality: the outcome, its reason (staff free text, kept
-- here and never published), who and when. All four or none.
ALTER TABLE signals
  ADD COLUMN resolution text CHECK (resolution IN ('confirmed', 'dismissed')),
  ADD COLUMN resolution_reason text,
  ADD COLUMN resolved_by text,
  ADD COLUMN resolved_at timestamptz,
  ADD CONSTRAINT signals_resolution_whole CHECK (
    (resolution IS NULL) = (resolution_reason IS NULL)
    AND (resolution IS NULL) = (resolved_by IS NULL)
    AND (resolution IS NULL) = (resolved_at IS NULL)
  );
