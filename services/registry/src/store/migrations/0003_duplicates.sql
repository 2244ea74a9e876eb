-- One certificate per child, whatever the document: an application is compared with every
-- certified child born the same day (names matched in the domain), so that read needs an index.
CREATE INDEX children_birth_date ON children (birth_date);

-- A suspected duplicate that an operator found to be the same child is merged into the record
-- that holds the certificate: the duplicate record stays (its document still refuses a third
-- registration) but points at the child it is.
ALTER TABLE children ADD COLUMN merged_into uuid REFERENCES children (id);

ALTER TABLE certificate_applications DROP CONSTRAINT certificate_applications_status_check;
ALTER TABLE certificate_applications ADD CONSTRAINT certificate_applications_status_check
  CHECK (status IN ('held', 'approved', 'rejected', 'merged'));
