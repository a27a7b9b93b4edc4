-- +goose Up

-- awaiting_funds: a payout Heleket refused for lack of balance is held, and
-- sent again under the same order_id once funds may have arrived. The
-- status joins the payouts check and the status rule; the region below is
-- generated from payout/transitions.go (`go test ./schema/ -run
-- TestStatusRuleMigration -update`) and, once this migration is released,
-- a changed table needs a new migration holding the region.

ALTER TABLE payouts DROP CONSTRAINT payouts_status_check;
ALTER TABLE payouts ADD CONSTRAINT payouts_status_check CHECK (status IN (
        'requested', 'awaiting_approval', 'awaiting_funds', 'submitted', 'processing', 'verifying',
        'paid', 'failed', 'cancelled', 'rejected', 'expired'));

-- BEGIN status rule generated from payout.Transitions
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION payout_status_rank(s text) RETURNS int
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE s
        WHEN 'awaiting_approval' THEN 0
        WHEN 'requested'         THEN 1
        WHEN 'awaiting_funds'    THEN 2
        WHEN 'submitted'         THEN 3
        WHEN 'processing'        THEN 4
        WHEN 'verifying'         THEN 5
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
        ('requested', 'awaiting_funds'),    -- Heleket refused the create and the merchant balance is below amount + fee: held until funds arrive
        ('awaiting_funds', 'submitted'),    -- funds arrived and Heleket accepted the create sent again under the same order_id
        ('awaiting_funds', 'rejected'),     -- the create sent again was refused for a reason other than funds (the balance covers it, or a field is invalid)
        ('awaiting_funds', 'failed'),       -- funds did not arrive within PAYOUT_FUNDS_WAIT, or reconciliation finds Heleket failed a create sent again whose answer was never recorded
        ('awaiting_funds', 'cancelled'),    -- an operator cancelled it while it waited for funds, or reconciliation finds it cancelled at Heleket
        ('awaiting_funds', 'processing'),   -- reconciliation finds Heleket processing a create sent again whose answer was never recorded
        ('awaiting_funds', 'verifying'),    -- reconciliation finds Heleket checking a create sent again whose answer was never recorded
        ('awaiting_funds', 'paid'),         -- reconciliation finds Heleket paid a create sent again whose answer was never recorded
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

-- A payout still awaiting funds has nothing at Heleket: it goes back to
-- requested, which the old rule sends again. The trigger's rule would
-- refuse the move, so it runs first; 00010's rule is restored after.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION payout_can_transition(from_s text, to_s text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT (from_s, to_s) = ('awaiting_funds', 'requested')
$$;
-- +goose StatementEnd
UPDATE payouts SET status = 'requested' WHERE status = 'awaiting_funds';

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

ALTER TABLE payouts DROP CONSTRAINT payouts_status_check;
ALTER TABLE payouts ADD CONSTRAINT payouts_status_check CHECK (status IN (
        'requested', 'awaiting_approval', 'submitted', 'processing', 'verifying',
        'paid', 'failed', 'cancelled', 'rejected', 'expired'));
