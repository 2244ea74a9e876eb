-- How far a noted change reaches (usecases/publish.ts): 'stock' from its instant on, into every
-- later day and month (a stock carries); 'day' its own local day and its month (a flow); 'month'
-- its month's own cells only (a closed month's lessons and bills). A round recomputes a block
-- from the first day its changes reach, not the whole month.
ALTER TABLE pending_changes ADD COLUMN reach text NOT NULL DEFAULT 'stock' CHECK (reach IN ('stock', 'day', 'month'));

-- The hidden cells of a block's earlier days, read by every round that starts later in the month
-- (store/cells.ts hiddenDaysBefore), without the shown ones around them.
CREATE INDEX published_hidden_days ON published_cells (region_code, start) WHERE suppressed AND period = 'day';
