-- +goose Up

-- The alerts outbox. An alert is written here, often in the transaction of
-- the change that causes it, and the worker's dispatcher posts it to
-- ALERT_WEBHOOK_URL until the channel takes it: a crash, a deploy or a
-- channel outage delays an alert, never loses it. dedupe_key makes an
-- alert once-only whoever raises it and however often (kind + payout id,
-- kind + currency + day, kind + run id, ...).
CREATE TABLE alerts (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL CHECK (kind <> ''),
    dedupe_key      text NOT NULL UNIQUE CHECK (dedupe_key <> ''),
    payout_id       text,
    -- What the channel shows; never a full wallet address nor a secret.
    text            text NOT NULL,
    -- The structured message posted (alert.Message), text included.
    message         jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        int NOT NULL DEFAULT 0,
    last_error      text,
    last_attempt_at timestamptz,
    -- NULL: due now. Set by a failed post to the time of the next try.
    next_attempt_at timestamptz,
    -- A dispatcher posting the alert holds it until then; a dispatcher
    -- that dies lets it go when the lease ends.
    claimed_until   timestamptz,
    delivered_at    timestamptz
);

-- What is left to deliver, oldest first.
CREATE INDEX alerts_pending_idx ON alerts (id) WHERE delivered_at IS NULL;
-- The rate limit counts the posts of the last window.
CREATE INDEX alerts_last_attempt_idx ON alerts (last_attempt_at) WHERE last_attempt_at IS NOT NULL;
CREATE INDEX alerts_payout_idx ON alerts (payout_id, id) WHERE payout_id IS NOT NULL;

-- +goose Down
DROP TABLE alerts;
