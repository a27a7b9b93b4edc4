package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heleket-payouts/payouts/metrics"
	"github.com/heleket-payouts/payouts/payout"
)

// payoutColumns is the select list scanPayout expects. Numerics come as text
// (see parseNumeric) and unknown facts as empty strings.
const payoutColumns = `id, client_id, asset, network, amount::text, address, memo, origin, status,
	is_subtract, coalesce(heleket_uuid, ''), coalesce(txid, ''), commission::text,
	coalesce(failure_reason, ''), requested_by, coalesce(idempotency_key, ''),
	created_at, updated_at, finalized_at, needs_attention, waiting_for, coalesce(retry_of, ''), coalesce(retried_as, '')`

func scanPayout(row pgx.Row) (payout.Payout, error) {
	return scanPayoutWith(row)
}

// scanPayoutWith scans payoutColumns followed by extra columns.
func scanPayoutWith(row pgx.Row, extra ...any) (payout.Payout, error) {
	var (
		p              payout.Payout
		amount         string
		commission     *string
		origin, status string
	)
	dest := []any{&p.ID, &p.ClientID, &p.Asset, &p.Network, &amount, &p.Address, &p.Memo,
		&origin, &status, &p.IsSubtract, &p.HeleketUUID, &p.TxID, &commission,
		&p.FailureReason, &p.RequestedBy, &p.IdempotencyKey,
		&p.CreatedAt, &p.UpdatedAt, &p.FinalizedAt, &p.NeedsAttention, &p.WaitingFor, &p.RetryOf, &p.RetriedAs}
	err := row.Scan(append(dest, extra...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return payout.Payout{}, ErrNotFound
	}
	if err != nil {
		return payout.Payout{}, err
	}
	p.Origin, p.Status = payout.Origin(origin), payout.Status(status)
	if p.Amount, err = parseNumeric("amount", amount); err != nil {
		return payout.Payout{}, err
	}
	if p.Commission, err = parseNullNumeric("commission", commission); err != nil {
		return payout.Payout{}, err
	}
	return p, nil
}

func scanPayouts(rows pgx.Rows) ([]payout.Payout, error) {
	return collect(rows, rowTo(scanPayout))
}

// CreatePayout stores a new payout with its creation audit row. The status
// is requested unless p.Status says otherwise (awaiting_approval); the
// database accepts no other initial status. If a payout with the same ID or
// the same (client, idempotency key) exists, nothing is written and the
// existing payout is returned with created=false: the caller decides whether
// it matches the request.
func (s *Store) CreatePayout(ctx context.Context, p payout.Payout, actor string, details map[string]any) (stored payout.Payout, created bool, err error) {
	stored, err = insertPayout(ctx, s.pool, p, actor, details)
	if err == nil {
		// Counted here, where every payout is created whatever its
		// origin, so that started and finished figures agree.
		metrics.PayoutStarted(stored)
		return stored, true, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return payout.Payout{}, false, fmt.Errorf("store: create payout %s: %w", p.ID, err)
	}
	// Nothing inserted: the payout exists. It may have been committed after
	// the insert's snapshot, so it is read by a statement of its own.
	existing, err := findExisting(ctx, s.pool, p)
	if err != nil {
		return payout.Payout{}, false, fmt.Errorf("store: create payout %s: load conflicting payout: %w", p.ID, err)
	}
	return existing, false, nil
}

// insertPayout writes a new payout and its creation audit row, the audit
// details saying what a held payout waits for; ErrNotFound when a payout
// with its ID or (client, key) exists and nothing was written.
func insertPayout(ctx context.Context, q querier, p payout.Payout, actor string, details map[string]any) (payout.Payout, error) {
	if p.HeleketUUID != "" || p.TxID != "" || p.Commission.Valid || p.FailureReason != "" || p.RetriedAs != "" {
		return payout.Payout{}, errors.New("Heleket facts arrive through Apply, not at creation")
	}
	if p.Status == "" {
		p.Status = payout.StatusRequested
	}
	amount, err := numericParam("amount", p.Amount)
	if err != nil {
		return payout.Payout{}, err
	}
	if p.WaitingFor != nil {
		details = maps.Clone(details)
		if details == nil {
			details = map[string]any{}
		}
		details["waiting_for"] = p.WaitingFor
	}
	detailsJSON, err := encodeDetails(details)
	if err != nil {
		return payout.Payout{}, err
	}
	return scanPayoutWith(q.QueryRow(ctx, insertPayoutSQL,
		p.ID, p.ClientID, p.Asset, p.Network, amount, p.Address, p.Memo, string(p.Origin),
		string(p.Status), p.IsSubtract, p.RequestedBy, p.IdempotencyKey, actor, detailsJSON, p.WaitingFor, p.RetryOf))
}

// insertPayoutSQL writes the payout and its creation audit row in one
// statement (one round trip, one implicit transaction). ON CONFLICT DO
// NOTHING makes a concurrent identical insert wait for the first to commit
// and then write nothing, so only one caller ever writes the audit row.
const insertPayoutSQL = `
	WITH ins AS (
		INSERT INTO payouts (id, client_id, asset, network, amount, address, memo, origin,
			status, is_subtract, requested_by, idempotency_key, waiting_for, retry_of)
		VALUES ($1, $2, $3, $4, $5::numeric, $6, $7, $8, $9, $10, $11, NULLIF($12, ''), $15::jsonb, NULLIF($16, ''))
		ON CONFLICT DO NOTHING
		RETURNING ` + payoutColumns + `
	), ev AS (
		INSERT INTO payout_events (payout_id, from_status, to_status, source, actor, details)
		SELECT id, NULL, status, 'api', $13, $14::jsonb FROM ins
	)
	SELECT * FROM ins`

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// findExisting prefers the (client, key) match over the ID match because
// the idempotency key is what the client promised to reuse.
func findExisting(ctx context.Context, q querier, p payout.Payout) (payout.Payout, error) {
	return scanPayout(q.QueryRow(ctx, `
		SELECT `+payoutColumns+` FROM payouts
		WHERE id = $1 OR (client_id = $2 AND idempotency_key = NULLIF($3, ''))
		ORDER BY (client_id = $2 AND idempotency_key = NULLIF($3, '')) IS TRUE DESC
		LIMIT 1`,
		p.ID, p.ClientID, p.IdempotencyKey))
}

// GetPayout returns the payout or ErrNotFound.
func (s *Store) GetPayout(ctx context.Context, id string) (payout.Payout, error) {
	p, err := scanPayout(s.pool.QueryRow(ctx, `SELECT `+payoutColumns+` FROM payouts WHERE id = $1`, id))
	if err != nil {
		return payout.Payout{}, fmt.Errorf("store: get payout %s: %w", id, err)
	}
	return p, nil
}

// Apply moves a payout to c.To with the facts that came with the change, and
// records the audit row, if payout.CanTransition allows it. Otherwise it
// changes nothing and returns the current payout with applied=false:
// duplicate and out-of-order updates are normal, not errors. Facts arriving
// without a status change are ignored because every change needs an audit
// row of its own.
func (s *Store) Apply(ctx context.Context, c payout.Change) (p payout.Payout, applied bool, err error) {
	if !c.To.Valid() {
		return payout.Payout{}, false, fmt.Errorf("store: apply to payout %s: unknown status %q", c.PayoutID, c.To)
	}
	commission, err := nullNumericParam("commission", c.Commission)
	if err != nil {
		return payout.Payout{}, false, fmt.Errorf("store: apply to payout %s: %w", c.PayoutID, err)
	}
	details, err := encodeDetails(withFacts(c))
	if err != nil {
		return payout.Payout{}, false, fmt.Errorf("store: apply to payout %s: %w", c.PayoutID, err)
	}
	var from string
	p, err = scanPayoutWith(s.pool.QueryRow(ctx, applySQL, c.PayoutID, string(c.To), c.HeleketUUID, c.TxID,
		commission, c.FailureReason, string(c.Source), c.Actor, details, c.WaitingFor), &from, &applied)
	if err != nil {
		return payout.Payout{}, false, fmt.Errorf("store: apply %s to payout %s: %w", c.To, c.PayoutID, err)
	}
	return p, applied, nil
}

// applySQL locks the row, moves it when payout_can_transition (the same
// rule as payout.CanTransition) allows, and writes the audit row, all in
// one statement. When the move is refused it returns the row unchanged
// with applied = false. A fact the change does not carry is left alone;
// finalized_at and updated_at are set by the payouts_guard trigger.
const applySQL = `
	WITH old AS (
		SELECT id AS old_id, status AS old_status FROM payouts WHERE id = $1 FOR UPDATE
	), upd AS (
		UPDATE payouts SET status = $2,
			heleket_uuid   = coalesce(NULLIF($3, ''), heleket_uuid),
			txid           = coalesce(NULLIF($4, ''), txid),
			commission     = coalesce($5::numeric, commission),
			failure_reason = coalesce(NULLIF($6, ''), failure_reason),
			waiting_for    = $10::jsonb
		FROM old
		WHERE id = old.old_id AND payout_can_transition(old.old_status, $2)
		RETURNING ` + payoutColumns + `, old.old_status
	), ev AS (
		INSERT INTO payout_events (payout_id, from_status, to_status, source, actor, details)
		SELECT id, old_status, status, $7, $8, $9::jsonb FROM upd
	)
	SELECT *, true FROM upd
	UNION ALL
	SELECT ` + payoutColumns + `, old.old_status, false
	FROM payouts JOIN old ON id = old.old_id
	WHERE NOT EXISTS (SELECT 1 FROM upd)`

// withFacts copies the facts of a change into its audit details, so the
// trail shows when each fact was learnt and from whom. Explicit details win.
func withFacts(c payout.Change) map[string]any {
	facts := map[string]string{
		"heleket_uuid": c.HeleketUUID, "txid": c.TxID, "failure_reason": c.FailureReason,
	}
	if c.Commission.Valid {
		facts["commission"] = c.Commission.Decimal.String()
	}
	out := make(map[string]any, len(c.Details)+len(facts))
	for k, v := range facts {
		if v != "" {
			out[k] = v
		}
	}
	for k, v := range c.Details {
		out[k] = v
	}
	return out
}

// SetNeedsAttention flags or clears a payout for human attention. The flag
// is not a status, yet it is recorded in the audit trail as an event that
// keeps the status (from = to). Setting the current value again is a no-op.
func (s *Store) SetNeedsAttention(ctx context.Context, id string, v bool, source payout.Source, reason string) error {
	_, err := s.MarkAttention(ctx, Attention{PayoutID: id, Flag: v, Source: source, Reason: reason})
	return err
}

// ListNonFinal returns open payouts not updated since olderThan, in ID
// order after afterID (empty for the first page). The final statuses are
// spelt out to match the payouts_open_idx predicate.
func (s *Store) ListNonFinal(ctx context.Context, olderThan time.Time, afterID string, limit int) ([]payout.Payout, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: list open payouts: limit must be positive, got %d", limit)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+payoutColumns+` FROM payouts
		WHERE status NOT IN ('paid', 'failed', 'cancelled', 'rejected', 'expired')
			AND updated_at < $1 AND id > $2
		ORDER BY id
		LIMIT $3`, olderThan, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: list open payouts: %w", err)
	}
	out, err := scanPayouts(rows)
	if err != nil {
		return nil, fmt.Errorf("store: list open payouts: %w", err)
	}
	return out, nil
}
