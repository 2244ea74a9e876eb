-- One age rule with the registry: certificates are held from the 5th birthday to the day before
-- the 18th, so a program's ages end at 17. Programs saved with 18 keep everyone they took.
UPDATE programs SET age_max = 17, age_min = LEAST(age_min, 17) WHERE age_max > 17;
ALTER TABLE programs ADD CONSTRAINT programs_certificate_ages CHECK (age_max <= 17);
