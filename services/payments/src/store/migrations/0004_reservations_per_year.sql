-- An enrollment's reservation per year: at the new year the old year's reservation keeps holding
-- what December's lessons will cost (attendance closes December in January, and payments bills it
-- from the old year's money), while the enrollment is reserved again against the new year.
ALTER TABLE reservations DROP CONSTRAINT reservations_pkey;
ALTER TABLE reservations ADD PRIMARY KEY (enrollment_id, year);
