-- +goose Up

-- The dashboard's times to final over all payouts (no period) are read from
-- this index, which holds them in order: a percentile is the entry at its
-- rank, found by skipping from the nearer end, instead of a sort of every
-- final payout (store.allTimeFinalTimes). The two columns are included so
-- that the read is an index-only scan: the planner only sees an expression
-- as available from an index when the columns it uses are there too.
-- Payouts enter it once, when they become final.
CREATE INDEX payouts_time_to_final_idx ON payouts ((finalized_at - created_at))
    INCLUDE (created_at, finalized_at) WHERE finalized_at IS NOT NULL;

-- +goose Down
DROP INDEX payouts_time_to_final_idx;
