-- +goose Up

-- Lifecycle order of payout statuses, the same numbers as payout.Rank.
-- Final statuses share the top rank so that nothing leaves them.
-- +goose StatementBegin
CREATE FUNCTION payout_status_rank(s text) RETURNS int
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE s
        WHEN 'awaiting_approval' THEN 0
        WHEN 'requested'         THEN 1
        WHEN 'submitted'         THEN 2
        WHEN 'processing'        THEN 3
        WHEN 'verifying'         THEN 4
        WHEN 'paid'              THEN 9
        WHEN 'failed'            THEN 9
        WHEN 'cancelled'         THEN 9
        WHEN 'rejected'          THEN 9
        WHEN 'expired'           THEN 9
    END
$$;
-- +goose StatementEnd

-- The same rule as payout.CanTransition (a test checks every pair): moves
-- go strictly forward; a payout awaiting approval is approved (requested),
-- rejected, cancelled or expires, and never reaches Heleket directly;
-- rejection only happens before Heleket has the payout.
-- +goose StatementBegin
CREATE FUNCTION payout_can_transition(from_s text, to_s text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE
        WHEN payout_status_rank(from_s) IS NULL OR payout_status_rank(to_s) IS NULL THEN false
        WHEN payout_status_rank(from_s) = 9 THEN false
        WHEN from_s = 'awaiting_approval' THEN to_s IN ('requested', 'rejected', 'expired', 'cancelled')
        WHEN to_s = 'rejected' THEN from_s = 'requested'
        WHEN to_s = 'expired' THEN false
        ELSE payout_status_rank(to_s) > payout_status_rank(from_s)
    END
$$;
-- +goose StatementEnd

CREATE TABLE payouts (
    id              text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,32}$'),
    client_id       text NOT NULL CHECK (client_id <> ''),
    asset           text NOT NULL CHECK (asset <> ''),
    network         text NOT NULL CHECK (network <> ''),
    amount          numeric(36,18) NOT NULL CHECK (amount > 0),
    address         text NOT NULL CHECK (address <> ''),
    memo            text NOT NULL DEFAULT '',
    origin          text NOT NULL CHECK (origin IN ('manual', 'scheduled', 'bonus')),
    status          text NOT NULL CHECK (status IN (
                        'requested', 'awaiting_approval', 'submitted', 'processing', 'verifying',
                        'paid', 'failed', 'cancelled', 'rejected', 'expired')),
    is_subtract     boolean NOT NULL,
    heleket_uuid    text UNIQUE,
    txid            text,
    commission      numeric(36,18) CHECK (commission >= 0),
    failure_reason  text,
    requested_by    text NOT NULL DEFAULT '',
    idempotency_key text,
    needs_attention boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    finalized_at    timestamptz,
    UNIQUE (client_id, idempotency_key)
);

-- Listing: newest first, optionally filtered, keyset-paged on (created_at, id).
CREATE INDEX payouts_created_idx ON payouts (created_at DESC, id DESC);
CREATE INDEX payouts_status_created_idx ON payouts (status, created_at DESC, id DESC);
CREATE INDEX payouts_client_created_idx ON payouts (client_id, created_at DESC, id DESC);
CREATE INDEX payouts_origin_created_idx ON payouts (origin, created_at DESC, id DESC);
CREATE INDEX payouts_asset_created_idx ON payouts (asset, created_at DESC, id DESC);

-- Reconciliation walks the (small) set of open payouts in id order.
CREATE INDEX payouts_open_idx ON payouts (id) INCLUDE (status, updated_at)
    WHERE status NOT IN ('paid', 'failed', 'cancelled', 'rejected', 'expired');

-- Statistics aggregate amounts per status and asset without touching the heap.
CREATE INDEX payouts_stats_idx ON payouts (status, asset) INCLUDE (amount);

-- The database refuses what the application must never do, so that a bug or a
-- manual UPDATE cannot move a payout backwards, reopen a final one or change
-- what was requested after the fact.
-- +goose StatementBegin
CREATE FUNCTION payouts_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status NOT IN ('requested', 'awaiting_approval') THEN
            RAISE EXCEPTION 'payout % cannot be created in status %', NEW.id, NEW.status
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;

    IF (NEW.id, NEW.client_id, NEW.asset, NEW.network, NEW.amount, NEW.address, NEW.memo,
        NEW.origin, NEW.is_subtract, NEW.requested_by, NEW.idempotency_key, NEW.created_at)
       IS DISTINCT FROM
       (OLD.id, OLD.client_id, OLD.asset, OLD.network, OLD.amount, OLD.address, OLD.memo,
        OLD.origin, OLD.is_subtract, OLD.requested_by, OLD.idempotency_key, OLD.created_at) THEN
        RAISE EXCEPTION 'payout %: requested terms are immutable', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;

    IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF payout_status_rank(OLD.status) = 9 THEN
            RAISE EXCEPTION 'payout %: status % is final, cannot become %', OLD.id, OLD.status, NEW.status
                USING ERRCODE = 'check_violation';
        END IF;
        IF NOT payout_can_transition(OLD.status, NEW.status) THEN
            RAISE EXCEPTION 'payout %: status cannot change from % to %', OLD.id, OLD.status, NEW.status
                USING ERRCODE = 'check_violation';
        END IF;
        IF payout_status_rank(NEW.status) = 9 THEN
            NEW.finalized_at := now();
        END IF;
    ELSIF NEW.finalized_at IS DISTINCT FROM OLD.finalized_at THEN
        RAISE EXCEPTION 'payout %: finalized_at only changes with the final status', OLD.id
            USING ERRCODE = 'check_violation';
    END IF;

    NEW.updated_at := now();
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER payouts_guard BEFORE INSERT OR UPDATE ON payouts
    FOR EACH ROW EXECUTE FUNCTION payouts_guard();

CREATE TABLE payout_events (
    id          bigserial PRIMARY KEY,
    payout_id   text NOT NULL REFERENCES payouts (id),
    from_status text CHECK (from_status IS NULL OR payout_status_rank(from_status) IS NOT NULL),
    to_status   text NOT NULL CHECK (payout_status_rank(to_status) IS NOT NULL),
    source      text NOT NULL CHECK (source IN ('api', 'workflow', 'webhook', 'poll', 'reconcile', 'admin')),
    actor       text NOT NULL DEFAULT '',
    details     jsonb,
    at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX payout_events_payout_idx ON payout_events (payout_id, id);

-- The audit trail is evidence: once written it is never rewritten.
-- +goose StatementBegin
CREATE FUNCTION payout_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'payout_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER payout_events_no_change BEFORE UPDATE OR DELETE ON payout_events
    FOR EACH ROW EXECUTE FUNCTION payout_events_append_only();
CREATE TRIGGER payout_events_no_truncate BEFORE TRUNCATE ON payout_events
    FOR EACH STATEMENT EXECUTE FUNCTION payout_events_append_only();

-- Webhooks are stored raw before anything else happens to them, so a
-- delivery is never lost and duplicates are recognised by their bytes.
CREATE TABLE webhook_inbox (
    id           bigserial PRIMARY KEY,
    body         bytea NOT NULL,
    body_sha256  bytea NOT NULL UNIQUE CHECK (length(body_sha256) = 32),
    verified     boolean NOT NULL,
    order_id     text,
    heleket_uuid text,
    status       text,
    -- No foreign key: webhooks for unknown order_ids are kept as evidence.
    payout_id    text,
    received_at  timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    error        text
);

CREATE INDEX webhook_inbox_payout_idx ON webhook_inbox (payout_id, id);
CREATE INDEX webhook_inbox_pending_idx ON webhook_inbox (id) WHERE processed_at IS NULL;

CREATE TABLE client_wallets (
    client_id  text NOT NULL CHECK (client_id <> ''),
    asset      text NOT NULL CHECK (asset <> ''),
    network    text NOT NULL CHECK (network <> ''),
    address    text NOT NULL CHECK (address <> ''),
    memo       text NOT NULL DEFAULT '',
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, asset, network, address)
);

CREATE UNIQUE INDEX client_wallets_one_default_idx ON client_wallets (client_id, asset, network)
    WHERE is_default;

-- +goose Down
DROP TABLE client_wallets;
DROP TABLE webhook_inbox;
DROP TABLE payout_events;
DROP FUNCTION payout_events_append_only();
DROP TABLE payouts;
DROP FUNCTION payouts_guard();
DROP FUNCTION payout_can_transition(text, text);
DROP FUNCTION payout_status_rank(text);
