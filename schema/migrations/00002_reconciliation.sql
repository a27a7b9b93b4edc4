-- +goose Up

-- One row per reconciliation run. The run's id is the first Temporal run ID
-- of its workflow, so the API, the CLI and the Temporal UI name it alike.
CREATE TABLE reconciliation_runs (
    id           text PRIMARY KEY CHECK (id <> ''),
    trigger      text NOT NULL CHECK (trigger <> ''),
    -- The Temporal workflow that does the work (schedule runs get a
    -- timestamped ID, manual ones share payout-reconciliation-manual).
    workflow_id  text NOT NULL CHECK (workflow_id <> ''),
    -- How many manual triggers asked for this run; more than one joined it.
    manual_triggers int NOT NULL DEFAULT 0,
    status       text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped')),
    phase        text NOT NULL DEFAULT '',
    -- Heleket history read, by created_at; window_to of the last succeeded
    -- run is the next run's watermark.
    window_from  timestamptz,
    window_to    timestamptz,
    counts       jsonb NOT NULL DEFAULT '{}',
    error        text,
    -- The run a skipped run found holding the lease.
    held_by      text,
    requested_at timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz,
    heartbeat_at timestamptz,
    finished_at  timestamptz,
    CHECK (window_from IS NULL OR window_from <= window_to),
    CHECK ((status IN ('succeeded', 'failed', 'skipped')) = (finished_at IS NOT NULL))
);

-- The lease: at most one run works at a time, whoever triggered it.
CREATE UNIQUE INDEX reconciliation_runs_one_running_idx ON reconciliation_runs ((true))
    WHERE status = 'running';
CREATE INDEX reconciliation_runs_requested_idx ON reconciliation_runs (requested_at DESC, id DESC);
CREATE INDEX reconciliation_runs_watermark_idx ON reconciliation_runs (window_to DESC)
    WHERE status = 'succeeded';

-- What reconciliation found for a human to look at. One row per kind and
-- order_id, ever: a rerun over the same window finds the row and adds
-- nothing, and a resolved row is not raised again.
CREATE TABLE reconciliation_discrepancies (
    id          bigserial PRIMARY KEY,
    run_id      text NOT NULL REFERENCES reconciliation_runs (id),
    order_id    text NOT NULL CHECK (order_id <> ''),
    -- NULL for orphans: Heleket's order_id matches no payout here.
    payout_id   text REFERENCES payouts (id),
    kind        text NOT NULL CHECK (kind IN ('orphan', 'stuck', 'missing_at_heleket',
                    'status_mismatch', 'terms_mismatch', 'payout_failed')),
    -- Snapshots of both sides; never wallet addresses.
    ours        jsonb,
    theirs      jsonb,
    reason      text NOT NULL DEFAULT '',
    detected_at timestamptz NOT NULL DEFAULT now(),
    -- NULL until the alert webhook accepted the alert; later runs retry.
    alerted_at  timestamptz,
    resolved_at timestamptz,
    resolution  text,
    UNIQUE (kind, order_id),
    CHECK ((resolved_at IS NULL) = (resolution IS NULL))
);

CREATE INDEX reconciliation_discrepancies_run_idx ON reconciliation_discrepancies (run_id, id);
CREATE INDEX reconciliation_discrepancies_open_idx ON reconciliation_discrepancies (kind, id)
    WHERE resolved_at IS NULL;

-- Finding payouts that failed since a watermark, for alerts.
CREATE INDEX payouts_failed_idx ON payouts (finalized_at, id) WHERE status = 'failed';

-- +goose Down
DROP INDEX payouts_failed_idx;
DROP TABLE reconciliation_discrepancies;
DROP TABLE reconciliation_runs;
