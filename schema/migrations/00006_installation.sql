-- +goose Up

-- One row: this installation's ID, created once with the schema. Payout
-- IDs (and so workflow IDs and Heleket order_ids) are derived from it, so
-- two installations sharing a Temporal namespace or a Heleket merchant never
-- name the same payout, while a restored backup keeps the row and its IDs.
CREATE TABLE installation (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    id         text NOT NULL CHECK (id ~ '^[A-Za-z0-9_-]{16,64}$'),
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO installation (id) VALUES (replace(gen_random_uuid()::text, '-', ''));

-- The ID must never change under running payouts.
-- +goose StatementBegin
CREATE FUNCTION installation_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the installation ID never changes: payout IDs are derived from it';
END $$;
-- +goose StatementEnd
CREATE TRIGGER installation_immutable BEFORE UPDATE OR DELETE ON installation
    FOR EACH ROW EXECUTE FUNCTION installation_immutable();

-- +goose Down
DROP TABLE installation;
DROP FUNCTION installation_immutable();
