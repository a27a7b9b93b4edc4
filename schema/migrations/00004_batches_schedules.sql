-- +goose Up

-- A bonus campaign: one request, one idempotency key, many payouts. The
-- fingerprint (sha256 of the normalised rows) tells a repeat of the same
-- request from a different request that reuses the key.
CREATE TABLE payout_batches (
    id              text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,32}$'),
    idempotency_key text NOT NULL UNIQUE CHECK (idempotency_key <> ''),
    fingerprint     bytea NOT NULL CHECK (length(fingerprint) = 32),
    row_count       int NOT NULL CHECK (row_count > 0),
    requested_by    text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- One row per batch row. started_at is set once the payout's workflow start
-- was acknowledged, so a repeat of the request (or reconciliation) starts
-- only the ones a crash left behind; a payout is in at most one batch.
CREATE TABLE payout_batch_items (
    batch_id   text NOT NULL REFERENCES payout_batches (id),
    row_index  int NOT NULL CHECK (row_index >= 0),
    payout_id  text NOT NULL UNIQUE REFERENCES payouts (id),
    started_at timestamptz,
    PRIMARY KEY (batch_id, row_index)
);

CREATE INDEX payout_batch_items_unstarted_idx ON payout_batch_items (batch_id, row_index)
    WHERE started_at IS NULL;

-- Recurring payouts. The Temporal schedule (same id) owns the timing and the
-- paused state; this row owns what is paid, so the schedule's action carries
-- no address and a repeated create can be compared with the original.
-- A NULL address means "the client's default wallet at the time of each run".
CREATE TABLE payout_schedules (
    id          text PRIMARY KEY CHECK (id ~ '^payout-schedule-[A-Za-z0-9_.-]+$'),
    client_id   text NOT NULL CHECK (client_id <> ''),
    name        text NOT NULL CHECK (name ~ '^[A-Za-z0-9_]{1,40}$'),
    asset       text NOT NULL CHECK (asset <> ''),
    network     text NOT NULL CHECK (network <> ''),
    amount      numeric(36,18) NOT NULL CHECK (amount > 0),
    address     text CHECK (address <> ''),
    memo        text NOT NULL DEFAULT '',
    is_subtract boolean NOT NULL,
    -- Above the approval threshold when created: each run waits for a
    -- second admin, like a single payout of that amount would.
    needs_approval boolean NOT NULL DEFAULT false,
    spec        jsonb NOT NULL,
    created_by  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz,
    UNIQUE (client_id, name)
);

CREATE INDEX payout_schedules_client_idx ON payout_schedules (client_id, name) WHERE deleted_at IS NULL;

-- +goose Down
DROP TABLE payout_schedules;
DROP TABLE payout_batch_items;
DROP TABLE payout_batches;
