-- Why the municipality reopened a month (issue #18: "a reopening, with a reason"): kept with the
-- reopening and shown with the month's state. Reopenings before this have none.
ALTER TABLE months ADD COLUMN reopen_reason text;
