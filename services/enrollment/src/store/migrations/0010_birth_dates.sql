-- A program's age limits are checked on the child's real birth date, announced with the
-- certificate; certificates announced before it carry only the birth year (null here), and are
-- checked by it as before.
ALTER TABLE certificates ADD COLUMN birth_date date;
