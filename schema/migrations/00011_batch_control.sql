-- +goose Up

-- A campaign is started by a workflow, page by page, and an admin can pause,
-- resume or cancel it. The state is what the workflow obeys between pages;
-- cancelled and started are final (the store refuses to leave them).
ALTER TABLE payout_batches
    ADD COLUMN state text NOT NULL DEFAULT 'starting'
        CHECK (state IN ('starting', 'paused', 'cancelled', 'started')),
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- A campaign stored before this migration with nothing left to start has
-- started every row. It changes no one's decision, so no event records it;
-- the others stay starting, for a batch workflow to finish.
UPDATE payout_batches b SET state = 'started'
WHERE NOT EXISTS (
    SELECT 1 FROM payout_batch_items i JOIN payouts p ON p.id = i.payout_id
    WHERE i.batch_id = b.id AND i.started_at IS NULL
        AND p.status NOT IN ('paid', 'failed', 'cancelled', 'rejected', 'expired'));

-- GET /payouts/batches: newest first, keyset-paged on (created_at, id).
CREATE INDEX payout_batches_created_idx ON payout_batches (created_at DESC, id DESC);

-- Who paused, resumed or cancelled a campaign and when, as evidence next to
-- payout_events.
CREATE TABLE payout_batch_events (
    id       bigserial PRIMARY KEY,
    batch_id text NOT NULL REFERENCES payout_batches (id),
    action   text NOT NULL CHECK (action IN ('paused', 'resumed', 'cancelled', 'started')),
    actor    text NOT NULL,
    details  jsonb NOT NULL DEFAULT '{}',
    at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX payout_batch_events_batch_idx ON payout_batch_events (batch_id, id);

-- The audit trail is evidence: once written it is never rewritten.
-- +goose StatementBegin
CREATE FUNCTION payout_batch_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'payout_batch_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER payout_batch_events_no_change BEFORE UPDATE OR DELETE ON payout_batch_events
    FOR EACH ROW EXECUTE FUNCTION payout_batch_events_append_only();
CREATE TRIGGER payout_batch_events_no_truncate BEFORE TRUNCATE ON payout_batch_events
    FOR EACH STATEMENT EXECUTE FUNCTION payout_batch_events_append_only();

-- The workflow pages a batch's rows to start, cancelling pages its
-- unstarted rows and GET /payouts/batches/{id}/payouts every row, all by
-- payout id; nothing pages a batch in row order any more, so this replaces
-- the row_index index of the unstarted rows. (A partial twin for the
-- unstarted rows alone cost a fifth index update per stored row for pages
-- that, behind the workflow's cursor, hold unstarted rows anyway.)
CREATE INDEX payout_batch_items_payout_order_idx ON payout_batch_items (batch_id, payout_id);
DROP INDEX payout_batch_items_unstarted_idx;

-- Reconciliation leaves out payouts that are unstarted batch rows (their
-- batch workflow starts them, or a pause or cancel holds them back): an
-- index-only anti-join probe per open payout, on an index that holds only
-- the rows of campaigns still starting.
CREATE INDEX payout_batch_items_unstarted_payout_idx ON payout_batch_items (payout_id)
    WHERE started_at IS NULL;

-- +goose Down
DROP INDEX payout_batch_items_unstarted_payout_idx;
CREATE INDEX payout_batch_items_unstarted_idx ON payout_batch_items (batch_id, row_index)
    WHERE started_at IS NULL;
DROP INDEX payout_batch_items_payout_order_idx;
DROP TABLE payout_batch_events;
DROP FUNCTION payout_batch_events_append_only();
DROP INDEX payout_batches_created_idx;
ALTER TABLE payout_batches DROP COLUMN updated_at, DROP COLUMN state;
