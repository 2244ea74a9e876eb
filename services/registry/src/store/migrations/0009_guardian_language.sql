-- The family's language, chosen by the guardian (Russian or Kazakh; more can be added): messages
-- to the family are written in it. Unset, the municipality's currency decides as before.
ALTER TABLE guardians ADD COLUMN language text CHECK (language IN ('ru', 'kk'));
