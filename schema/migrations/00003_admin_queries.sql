-- +goose Up

-- The dashboard's figures for a period (counts and sums per status and
-- asset, times from request to final) come from an index-only scan of this
-- index instead of the table. Without a period, payouts_stats_idx serves
-- the totals.
CREATE INDEX payouts_period_stats_idx ON payouts (created_at)
    INCLUDE (status, asset, amount, finalized_at);

-- Payouts needing attention are few: a partial index keeps their count and
-- their listing (newest first, keyset-paged) cheap however large the table.
CREATE INDEX payouts_attention_created_idx ON payouts (created_at DESC, id DESC)
    WHERE needs_attention;

-- +goose Down
DROP INDEX payouts_attention_created_idx;
DROP INDEX payouts_period_stats_idx;
