-- +goose Up

-- The status rule of the payouts_guard trigger, generated from the transition
-- table in payout/transitions.go, so that the database and the program share
-- one table: a status is final when no row leaves it (rank 9, which the
-- trigger reads), and a change is allowed when it is a row. The region below
-- is rewritten by `go test ./schema/ -run TestStatusRuleMigration -update`;
-- once this migration is released, a changed table needs a new migration
-- holding the region (the test reads the latest one).

-- BEGIN status rule generated from payout.Transitions
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION payout_status_rank(s text) RETURNS int
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

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION payout_can_transition(from_s text, to_s text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT (from_s, to_s) IN (
        ('awaiting_approval', 'requested'), -- a second admin approved it; only now may it reach Heleket
        ('awaiting_approval', 'rejected'),  -- a second admin rejected it
        ('awaiting_approval', 'expired'),   -- nobody decided within the approval window
        ('awaiting_approval', 'cancelled'), -- an admin cancelled it while it waited for approval
        ('requested', 'submitted'),         -- Heleket accepted the create
        ('requested', 'rejected'),          -- Heleket refused the create; only possible before Heleket holds the payout
        ('requested', 'cancelled'),         -- an admin cancelled it before submission, or reconciliation finds it cancelled at Heleket
        ('requested', 'processing'),        -- reconciliation finds Heleket processing a payout no workflow follows (its create answer was never recorded)
        ('requested', 'verifying'),         -- reconciliation finds Heleket checking a payout no workflow follows (its create answer was never recorded)
        ('requested', 'paid'),              -- reconciliation finds Heleket already paid a payout no workflow follows (its create answer was never recorded)
        ('requested', 'failed'),            -- reconciliation finds Heleket already failed a payout no workflow follows (its create answer was never recorded)
        ('submitted', 'processing'),        -- Heleket reports process
        ('submitted', 'verifying'),         -- Heleket reports check, or a fail it does not call final, before we saw process
        ('submitted', 'paid'),              -- Heleket reports paid before we saw process; a repeated create after a lost answer already shows paid
        ('submitted', 'failed'),            -- Heleket reports a final fail before we saw process, or a repeated create already shows one
        ('submitted', 'cancelled'),         -- Heleket reports cancel
        ('processing', 'verifying'),        -- Heleket reports check, or a fail it does not call final
        ('processing', 'paid'),             -- Heleket reports paid, confirmed by payout info
        ('processing', 'failed'),           -- Heleket reports a final fail, confirmed by payout info
        ('processing', 'cancelled'),        -- Heleket reports cancel, confirmed by payout info
        ('verifying', 'paid'),              -- Heleket reports paid after its check, confirmed by payout info
        ('verifying', 'failed'),            -- Heleket reports a final fail after its check, confirmed by payout info
        ('verifying', 'cancelled')          -- Heleket reports cancel after its check, confirmed by payout info
    )
$$;
-- +goose StatementEnd
-- END status rule generated from payout.Transitions

-- +goose Down

-- The rule as 00001_init.sql wrote it by hand (the same answers).
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION payout_status_rank(s text) RETURNS int
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

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION payout_can_transition(from_s text, to_s text) RETURNS boolean
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
