-- A provider enrolls a family that walked in (certificate number and the child's birth date,
-- the paper contract signed at its desk): such an application is the provider's, and says so.
ALTER TABLE applications DROP CONSTRAINT applications_submitted_role_check;
ALTER TABLE applications ADD CONSTRAINT applications_submitted_role_check CHECK (submitted_role IN ('guardian', 'operator', 'provider'));

-- A walk-in names the certificate by its number.
CREATE INDEX certificates_number ON certificates (number);
-- A provider's list of applications to its groups, newest last.
CREATE INDEX applications_of_provider ON applications (provider_id, id);
