-- A municipality's bulk import of children from a CSV file (the office's page and the command
-- line alike). The file's rows are kept until each is processed, then only its outcome: the
-- registry's own guardian and child records hold the data; a done row keeps no personal field.
CREATE TABLE child_imports (
  id              uuid PRIMARY KEY,
  municipality_id uuid NOT NULL REFERENCES municipalities (id),
  file_name       text NOT NULL,
  -- sha256 of the file's bytes: the same file imported again is told apart from a new one.
  content_hash    text NOT NULL,
  -- Who started it (role, subject, the basis an operator stated): each row is registered as them.
  actor           jsonb NOT NULL,
  total           integer NOT NULL,
  created_at      timestamptz NOT NULL,
  finished_at     timestamptz
);
CREATE INDEX child_imports_municipality ON child_imports (municipality_id, created_at DESC);

CREATE TABLE child_import_rows (
  import_id uuid NOT NULL REFERENCES child_imports (id),
  -- The line of the file the row starts on (the header is line 1), as a person counts them.
  line      integer NOT NULL,
  -- The row's cells by column name while it waits; NULL once done.
  cells     jsonb,
  outcome   text CHECK (outcome IN ('created', 'present', 'bad')),
  -- A bad row: the column, the rule's code, the developer's sentence (the person's comes from the code).
  field     text,
  rule      text,
  message   text,
  child_id  uuid,
  PRIMARY KEY (import_id, line)
);
-- What the worker claims: the rows still waiting, in file order.
CREATE INDEX child_import_rows_waiting ON child_import_rows (import_id, line) WHERE outcome IS NULL;
