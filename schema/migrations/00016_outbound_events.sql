-- +goose Up

-- Outbound events: what the merchant's own systems are told. An event is
-- written by a trigger on the row that records the change (a payout's
-- audit row, a discrepancy), so it commits or rolls back with the change
-- whatever code path made it: this table is the outbox. Deliveries fan it
-- out to the endpoints subscribed at that moment; the worker hands them to
-- Temporal, which delivers them in order per ordering_key and retries.

CREATE TABLE event_endpoints (
    id          text PRIMARY KEY DEFAULT ('ep_' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 20)),
    url         text NOT NULL CHECK (url ~ '^https?://'),
    -- '*' for every type.
    event_types text[] NOT NULL CHECK (cardinality(event_types) > 0),
    -- HMAC key of the signatures; shown once, when the endpoint is created.
    secret      text NOT NULL CHECK (length(secret) >= 32),
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_by  text,
    deleted_at  timestamptz,
    CHECK ((deleted_at IS NULL) = (deleted_by IS NULL))
);

-- Who created and deleted endpoints: the audit of the endpoints and the
-- source of admin-clicks' event_endpoint_changed.
CREATE TABLE event_endpoint_events (
    id          bigserial PRIMARY KEY,
    endpoint_id text NOT NULL REFERENCES event_endpoints (id),
    action      text NOT NULL CHECK (action IN ('created', 'deleted', 'redelivered')),
    actor       text NOT NULL,
    details     jsonb,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_endpoint_events_at_idx ON event_endpoint_events (at) INCLUDE (actor, action);

CREATE TABLE outbound_events (
    seq            bigserial PRIMARY KEY,
    id             text NOT NULL UNIQUE DEFAULT ('evt_' || replace(gen_random_uuid()::text, '-', '')),
    type           text NOT NULL CHECK (type IN ('payout.created', 'payout.awaiting_approval', 'payout.approved',
                       'payout.awaiting_funds', 'payout.submitted', 'payout.paid', 'payout.failed',
                       'payout.rejected', 'payout.cancelled', 'payout.expired', 'batch.completed',
                       'reconciliation.discrepancy')),
    payout_id      text REFERENCES payouts (id),
    batch_id       text REFERENCES payout_batches (id),
    discrepancy_id bigint REFERENCES reconciliation_discrepancies (id),
    -- Deliveries of one key go out in seq order: the payout's id for its
    -- events and its discrepancies, the batch's for batch.completed.
    ordering_key   text NOT NULL CHECK (ordering_key <> ''),
    -- The payout's audit row that caused it.
    audit_id       bigint,
    -- A snapshot of the subject when the event happened, never a full
    -- wallet address: the payout's row without address and idempotency
    -- key plus address_masked; the discrepancy's row; NULL for a batch,
    -- which is final when its event is written and rendered when read.
    data           jsonb,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbound_events_payout_idx ON outbound_events (payout_id, seq) WHERE payout_id IS NOT NULL;
CREATE INDEX outbound_events_type_idx ON outbound_events (type, seq);
CREATE INDEX outbound_events_created_idx ON outbound_events (created_at, seq);
CREATE UNIQUE INDEX outbound_events_batch_once_idx ON outbound_events (batch_id) WHERE type = 'batch.completed';

CREATE TABLE event_deliveries (
    id              bigserial PRIMARY KEY,
    event_seq       bigint NOT NULL REFERENCES outbound_events (seq),
    endpoint_id     text NOT NULL REFERENCES event_endpoints (id),
    ordering_key    text NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts        int NOT NULL DEFAULT 0,
    -- Set once its stream workflow was signalled; NULL is the outbox.
    handed_at       timestamptz,
    last_attempt_at timestamptz,
    last_status     int,
    last_error      text,
    delivered_at    timestamptz,
    finished_at     timestamptz,
    UNIQUE (event_seq, endpoint_id),
    CHECK ((state = 'pending') = (finished_at IS NULL))
);
CREATE INDEX event_deliveries_unhanded_idx ON event_deliveries (id) WHERE handed_at IS NULL;
CREATE INDEX event_deliveries_next_idx ON event_deliveries (endpoint_id, ordering_key, event_seq) WHERE state = 'pending';

CREATE TABLE event_delivery_attempts (
    id          bigserial PRIMARY KEY,
    delivery_id bigint NOT NULL REFERENCES event_deliveries (id),
    at          timestamptz NOT NULL DEFAULT now(),
    duration_ms int NOT NULL,
    status_code int,
    error       text,
    outcome     text NOT NULL CHECK (outcome IN ('delivered', 'refused', 'unreachable', 'gave_up', 'cancelled'))
);
CREATE INDEX event_delivery_attempts_delivery_idx ON event_delivery_attempts (delivery_id, id);

-- Counts the final rows of a batch, so its completion is noticed in O(1)
-- by the change that finalizes the last row.
ALTER TABLE payout_batches ADD COLUMN final_rows int NOT NULL DEFAULT 0;
UPDATE payout_batches b SET final_rows = (
    SELECT count(*) FROM payout_batch_items i JOIN payouts p ON p.id = i.payout_id
    WHERE i.batch_id = b.id AND payout_status_rank(p.status) = 9);

-- +goose StatementBegin
CREATE FUNCTION payout_event_type(to_s text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE to_s
        WHEN 'awaiting_approval' THEN 'payout.awaiting_approval'
        WHEN 'awaiting_funds'    THEN 'payout.awaiting_funds'
        WHEN 'submitted'         THEN 'payout.submitted'
        WHEN 'paid'              THEN 'payout.paid'
        WHEN 'failed'            THEN 'payout.failed'
        WHEN 'rejected'          THEN 'payout.rejected'
        WHEN 'cancelled'         THEN 'payout.cancelled'
        WHEN 'expired'           THEN 'payout.expired'
    END
$$;
-- +goose StatementEnd

-- The same masking as payout.MaskAddress (a store test holds them equal).
-- +goose StatementBegin
CREATE FUNCTION mask_address(a text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN octet_length(a) <= 10 THEN '…' ELSE left(a, 4) || '…' || right(a, 4) END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION emit_outbound_event(typ text, payout text, batch text, discrepancy bigint, okey text,
    audit bigint, snapshot jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    s bigint;
BEGIN
    INSERT INTO outbound_events (type, payout_id, batch_id, discrepancy_id, ordering_key, audit_id, data)
    VALUES (typ, payout, batch, discrepancy, okey, audit, snapshot)
    ON CONFLICT DO NOTHING
    RETURNING seq INTO s;
    IF s IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO event_deliveries (event_seq, endpoint_id, ordering_key)
    SELECT s, id, okey FROM event_endpoints
    WHERE deleted_at IS NULL AND (event_types @> ARRAY[typ] OR event_types @> ARRAY['*'])
    ORDER BY id;
END
$$;
-- +goose StatementEnd

-- An AFTER trigger runs at the end of the statement, so it sees the
-- payout as the statement (its UPDATE and audit row CTEs) left it.
-- +goose StatementBegin
CREATE FUNCTION payout_events_outbox() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    snap  jsonb;
    typ   text;
    batch text;
    done  int;
    total int;
BEGIN
    IF NEW.from_status IS NOT DISTINCT FROM NEW.to_status THEN
        RETURN NULL; -- a flag change, not a move
    END IF;
    SELECT (to_jsonb(p) - 'address' - 'idempotency_key') || jsonb_build_object('address_masked', mask_address(p.address))
    INTO snap FROM payouts p WHERE p.id = NEW.payout_id;
    IF NEW.from_status IS NULL THEN
        PERFORM emit_outbound_event('payout.created', NEW.payout_id, NULL, NULL, NEW.payout_id, NEW.id, snap);
    END IF;
    typ := payout_event_type(NEW.to_status);
    IF typ IS NOT NULL THEN
        PERFORM emit_outbound_event(typ, NEW.payout_id, NULL, NULL, NEW.payout_id, NEW.id, snap);
    ELSIF NEW.to_status = 'requested' AND NEW.from_status = 'awaiting_approval' THEN
        PERFORM emit_outbound_event('payout.approved', NEW.payout_id, NULL, NULL, NEW.payout_id, NEW.id, snap);
    END IF;
    IF payout_status_rank(NEW.to_status) = 9 AND payout_status_rank(coalesce(NEW.from_status, 'requested')) <> 9 THEN
        SELECT batch_id INTO batch FROM payout_batch_items WHERE payout_id = NEW.payout_id;
        IF batch IS NOT NULL THEN
            -- The row lock serialises the batch's last rows: exactly one
            -- of them sees the count reach row_count.
            UPDATE payout_batches SET final_rows = final_rows + 1 WHERE id = batch
            RETURNING final_rows, row_count INTO done, total;
            IF done = total THEN
                PERFORM emit_outbound_event('batch.completed', NULL, batch, NULL, batch, NULL, NULL);
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER payout_events_outbox AFTER INSERT ON payout_events
    FOR EACH ROW EXECUTE FUNCTION payout_events_outbox();

-- +goose StatementBegin
CREATE FUNCTION discrepancies_outbox() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM emit_outbound_event('reconciliation.discrepancy', NEW.payout_id, NULL, NEW.id,
        coalesce(NEW.payout_id, 'order:' || NEW.order_id), NULL, to_jsonb(NEW));
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER discrepancies_outbox AFTER INSERT ON reconciliation_discrepancies
    FOR EACH ROW EXECUTE FUNCTION discrepancies_outbox();

-- +goose Down
DROP TRIGGER discrepancies_outbox ON reconciliation_discrepancies;
DROP FUNCTION discrepancies_outbox();
DROP TRIGGER payout_events_outbox ON payout_events;
DROP FUNCTION payout_events_outbox();
DROP FUNCTION emit_outbound_event(text, text, text, bigint, text, bigint, jsonb);
DROP FUNCTION mask_address(text);
DROP FUNCTION payout_event_type(text);
ALTER TABLE payout_batches DROP COLUMN final_rows;
DROP TABLE event_delivery_attempts;
DROP TABLE event_deliveries;
DROP TABLE outbound_events;
DROP TABLE event_endpoint_events;
DROP TABLE event_endpoints;
