-- +goose Up

-- What a held payout waits for (approval, destination, funds), the reason
-- in words and the role that can release it; cleared by the next change.
ALTER TABLE payouts ADD COLUMN waiting_for jsonb;

-- Rolling 24-hour totals, read inside the transaction that creates a
-- payout: a client's in one asset, and everyone's in one asset. The list's
-- client and asset indexes become covering for them rather than gaining
-- twins: every payout of a 100,000-row campaign enters each index, so a
-- new one costs every insert (about 0.4 s per 100,000 rows each).
DROP INDEX payouts_client_created_idx;
CREATE INDEX payouts_client_created_idx ON payouts (client_id, created_at DESC, id DESC) INCLUDE (asset, amount, status);
DROP INDEX payouts_asset_created_idx;
CREATE INDEX payouts_asset_created_idx ON payouts (asset, created_at DESC, id DESC) INCLUDE (amount, status);
-- Made before the 24 hours yet counted in them: held payouts (they can go
-- out any time) and those paid within them. Partial, so a campaign's
-- requested rows never enter them.
CREATE INDEX payouts_held_outflow_idx ON payouts (asset, client_id) INCLUDE (amount, created_at)
    WHERE status IN ('awaiting_approval', 'awaiting_funds');
CREATE INDEX payouts_paid_outflow_idx ON payouts (asset, finalized_at) INCLUDE (client_id, amount, created_at)
    WHERE status = 'paid';
-- "Paid to before": a destination a client has already received money at.
CREATE INDEX payouts_paid_destination_idx ON payouts (client_id, asset, network, address) WHERE status = 'paid';

-- A campaign over an approval threshold waits for one decision as a whole.
ALTER TABLE payout_batches DROP CONSTRAINT payout_batches_state_check;
ALTER TABLE payout_batches ADD CONSTRAINT payout_batches_state_check
    CHECK (state IN ('awaiting_approval', 'starting', 'paused', 'cancelled', 'started'));
ALTER TABLE payout_batches ADD COLUMN waiting_for jsonb;
ALTER TABLE payout_batch_events DROP CONSTRAINT payout_batch_events_action_check;
ALTER TABLE payout_batch_events ADD CONSTRAINT payout_batch_events_action_check
    CHECK (action IN ('approved', 'rejected', 'paused', 'resumed', 'cancelled', 'started'));

-- A schedule whose runs in 24 hours exceed the threshold waits for a
-- second admin before its first run; its decisions are audited.
ALTER TABLE payout_schedules
    ADD COLUMN approval_state text NOT NULL DEFAULT 'none'
        CHECK (approval_state IN ('none', 'awaiting', 'approved', 'rejected')),
    ADD COLUMN approval_reason text NOT NULL DEFAULT '';
CREATE TABLE payout_schedule_events (
    id          bigserial PRIMARY KEY,
    schedule_id text NOT NULL REFERENCES payout_schedules (id),
    action      text NOT NULL CHECK (action <> ''),
    actor       text NOT NULL CHECK (actor <> ''),
    details     jsonb NOT NULL DEFAULT '{}',
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payout_schedule_events_schedule_idx ON payout_schedule_events (schedule_id, id);

-- Wallets: a new or changed one is usable after the cooldown or a second
-- admin's approval; wallets can be disabled; every change is audited
-- (deleted wallets keep their trail).
ALTER TABLE client_wallets
    ADD COLUMN usable_from timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN approved_by text,
    ADD COLUMN disabled_at timestamptz,
    -- Deleted wallets stay as disabled tombstones (hidden from lists), so
    -- deleting a disabled wallet never makes its address payable again.
    ADD COLUMN deleted_at timestamptz,
    ADD COLUMN changed_by text NOT NULL DEFAULT '';
CREATE TABLE client_wallet_events (
    id         bigserial PRIMARY KEY,
    client_id  text NOT NULL,
    asset      text NOT NULL,
    network    text NOT NULL,
    address    text NOT NULL,
    action     text NOT NULL CHECK (action <> ''),
    actor      text NOT NULL CHECK (actor <> ''),
    details    jsonb NOT NULL DEFAULT '{}',
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX client_wallet_events_client_idx ON client_wallet_events (client_id, id);

-- +goose Down
DROP TABLE client_wallet_events;
ALTER TABLE client_wallets DROP COLUMN usable_from, DROP COLUMN approved_by, DROP COLUMN disabled_at, DROP COLUMN deleted_at, DROP COLUMN changed_by;
DROP TABLE payout_schedule_events;
ALTER TABLE payout_schedules DROP COLUMN approval_state, DROP COLUMN approval_reason;
ALTER TABLE payout_batch_events DROP CONSTRAINT payout_batch_events_action_check;
ALTER TABLE payout_batch_events ADD CONSTRAINT payout_batch_events_action_check
    CHECK (action IN ('paused', 'resumed', 'cancelled', 'started'));
ALTER TABLE payout_batches DROP COLUMN waiting_for;
ALTER TABLE payout_batches DROP CONSTRAINT payout_batches_state_check;
ALTER TABLE payout_batches ADD CONSTRAINT payout_batches_state_check
    CHECK (state IN ('starting', 'paused', 'cancelled', 'started'));
DROP INDEX payouts_paid_destination_idx;
DROP INDEX payouts_paid_outflow_idx;
DROP INDEX payouts_held_outflow_idx;
DROP INDEX payouts_asset_created_idx;
CREATE INDEX payouts_asset_created_idx ON payouts (asset, created_at DESC, id DESC);
DROP INDEX payouts_client_created_idx;
CREATE INDEX payouts_client_created_idx ON payouts (client_id, created_at DESC, id DESC);
ALTER TABLE payouts DROP COLUMN waiting_for;
