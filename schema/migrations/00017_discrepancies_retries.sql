-- +goose Up

-- An operator resolves a discrepancy with one of a closed set of
-- resolutions (the API's), a note saying why, and its name. Rows that
-- reconciliation resolved by itself keep resolved_by NULL and their
-- descriptive resolution.
ALTER TABLE reconciliation_discrepancies
    ADD COLUMN resolved_by text,
    ADD COLUMN note text,
    ADD CONSTRAINT reconciliation_discrepancies_resolved_by_check
        CHECK (resolved_by IS NULL OR (resolved_at IS NOT NULL AND resolved_by <> ''));

-- GET /discrepancies: newest first, keyset on id, by status, kind, payout
-- or run (the run's index exists since 00002).
CREATE INDEX reconciliation_discrepancies_open_id_idx ON reconciliation_discrepancies (id)
    WHERE resolved_at IS NULL;
CREATE INDEX reconciliation_discrepancies_resolved_id_idx ON reconciliation_discrepancies (id)
    WHERE resolved_at IS NOT NULL;
CREATE INDEX reconciliation_discrepancies_kind_id_idx ON reconciliation_discrepancies (kind, id);
-- Also what resolving reads: is anything still open for the payout.
CREATE INDEX reconciliation_discrepancies_payout_idx ON reconciliation_discrepancies (payout_id, id)
    WHERE payout_id IS NOT NULL;

-- Who resolved what, and why; evidence, so append-only like payout_events.
CREATE TABLE reconciliation_discrepancy_events (
    id             bigserial PRIMARY KEY,
    discrepancy_id bigint NOT NULL REFERENCES reconciliation_discrepancies (id),
    action         text NOT NULL CHECK (action IN ('resolved')),
    actor          text NOT NULL CHECK (actor <> ''),
    details        jsonb NOT NULL DEFAULT '{}',
    at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reconciliation_discrepancy_events_discrepancy_idx ON reconciliation_discrepancy_events (discrepancy_id, id);

-- +goose StatementBegin
CREATE FUNCTION reconciliation_discrepancy_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'reconciliation_discrepancy_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER reconciliation_discrepancy_events_no_change BEFORE UPDATE OR DELETE ON reconciliation_discrepancy_events
    FOR EACH ROW EXECUTE FUNCTION reconciliation_discrepancy_events_append_only();
CREATE TRIGGER reconciliation_discrepancy_events_no_truncate BEFORE TRUNCATE ON reconciliation_discrepancy_events
    FOR EACH STATEMENT EXECUTE FUNCTION reconciliation_discrepancy_events_append_only();

-- A failed, rejected or expired payout is retried as a new payout:
-- retry_of on the new one, retried_as on the original. The unique index
-- is what makes "retried at most once" hold under concurrent retries.
ALTER TABLE payouts
    ADD COLUMN retry_of text REFERENCES payouts (id),
    ADD COLUMN retried_as text REFERENCES payouts (id),
    ADD CONSTRAINT payouts_retry_not_self CHECK (retry_of IS DISTINCT FROM id AND retried_as IS DISTINCT FROM id);
CREATE UNIQUE INDEX payouts_retry_of_idx ON payouts (retry_of) WHERE retry_of IS NOT NULL;

-- The links are facts once made: retry_of never changes after insert,
-- retried_as is set once, on a payout that can no longer move.
-- +goose StatementBegin
CREATE FUNCTION payouts_retry_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.retry_of IS DISTINCT FROM OLD.retry_of THEN
        RAISE EXCEPTION 'payout %: retry_of is immutable', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.retried_as IS DISTINCT FROM OLD.retried_as THEN
        IF OLD.retried_as IS NOT NULL THEN
            RAISE EXCEPTION 'payout %: already retried as %', OLD.id, OLD.retried_as USING ERRCODE = 'check_violation';
        END IF;
        IF OLD.status NOT IN ('failed', 'rejected', 'expired') THEN
            RAISE EXCEPTION 'payout %: a % payout is not retried', OLD.id, OLD.status USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER payouts_retry_guard BEFORE UPDATE OF retry_of, retried_as ON payouts
    FOR EACH ROW EXECUTE FUNCTION payouts_retry_guard();

-- +goose Down
DROP TRIGGER payouts_retry_guard ON payouts;
DROP FUNCTION payouts_retry_guard();
DROP INDEX payouts_retry_of_idx;
ALTER TABLE payouts DROP CONSTRAINT payouts_retry_not_self, DROP COLUMN retried_as, DROP COLUMN retry_of;
DROP TABLE reconciliation_discrepancy_events;
DROP FUNCTION reconciliation_discrepancy_events_append_only();
DROP INDEX reconciliation_discrepancies_payout_idx;
DROP INDEX reconciliation_discrepancies_kind_id_idx;
DROP INDEX reconciliation_discrepancies_resolved_id_idx;
DROP INDEX reconciliation_discrepancies_open_id_idx;
ALTER TABLE reconciliation_discrepancies DROP CONSTRAINT reconciliation_discrepancies_resolved_by_check,
    DROP COLUMN note, DROP COLUMN resolved_by;
