-- A group's first day: an enrollment reserves the lessons from it on, not from the day of
-- enrollment (a family enrolled in December into a group starting in January reserves nothing of
-- December). Null for groups heard of before this column: they reserve from the enrollment's day.
ALTER TABLE groups ADD COLUMN starts_on date;
