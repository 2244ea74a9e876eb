-- The municipality's list of marks families dispute (issue #18): found by municipality and date
-- among the few disputed marks only, so the index costs nothing on the marks written every lesson.
CREATE INDEX marks_disputed ON marks (municipality_id, date) WHERE review = 'disputed';
