package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/heleket-payouts/payouts/payout"
)

// RetriedError refuses a retry of a payout that another payout already
// retries: a payout is retried at most once.
type RetriedError struct {
	PayoutID  string
	RetriedAs string
}

func (e *RetriedError) Error() string {
	return "payout " + e.PayoutID + " is already retried as " + e.RetriedAs
}

// NotRetryableError refuses a retry of a payout whose status is not
// failed, rejected or expired: its money went out, or still may.
type NotRetryableError struct {
	PayoutID string
	Status   payout.Status
}

func (e *NotRetryableError) Error() string {
	return "payout " + e.PayoutID + " is " + string(e.Status) + "; only failed, rejected or expired payouts are retried"
}

// retried is the original of a retry, read under its row lock.
type retried struct {
	id        string
	status    payout.Status
	retriedAs string
}

// lockRetried locks the payout a retry retries (none when id is empty),
// so two retries of one payout decide one after the other.
func lockRetried(ctx context.Context, tx pgx.Tx, id string) (*retried, error) {
	if id == "" {
		return nil, nil
	}
	r := retried{id: id}
	var status string
	err := tx.QueryRow(ctx, `SELECT status, coalesce(retried_as, '') FROM payouts WHERE id = $1 FOR UPDATE`, id).
		Scan(&status, &r.retriedAs)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("payout %s to retry: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("lock payout %s to retry: %w", id, err)
	}
	r.status = payout.Status(status)
	return &r, nil
}

// retryable refuses a new retry of an original that cannot take one.
func retryable(o *retried) error {
	switch {
	case o == nil:
		return nil
	case o.retriedAs != "":
		return &RetriedError{PayoutID: o.id, RetriedAs: o.retriedAs}
	case !o.status.Retryable():
		return &NotRetryableError{PayoutID: o.id, Status: o.status}
	}
	return nil
}

// linkRetry points the original at the payout that retries it, with an
// audit row on the original, in the transaction that created the retry
// (whose own creation row names the original).
func linkRetry(ctx context.Context, tx pgx.Tx, o *retried, p payout.Payout, actor string) error {
	if o == nil {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE payouts SET retried_as = $2 WHERE id = $1`, o.id, p.ID); err != nil {
		return fmt.Errorf("link payout %s to its retry %s: %w", o.id, p.ID, err)
	}
	return insertEvent(ctx, tx, payout.Event{PayoutID: o.id, From: o.status, To: o.status, Source: payout.SourceAPI,
		Actor: actor, Details: map[string]any{"action": "retried", "retried_as": p.ID}})
}

// BatchRowsToRetry returns up to limit of a campaign's failed, rejected or
// expired payouts, retried or not, in payout ID order after afterPayoutID.
func (s *Store) BatchRowsToRetry(ctx context.Context, batchID, afterPayoutID string, limit int) ([]payout.Payout, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: batch %s rows to retry: limit must be positive, got %d", batchID, limit)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+payoutColumns+`
		FROM payout_batch_items i JOIN payouts p ON p.id = i.payout_id
		WHERE i.batch_id = $1 AND i.payout_id > $2 AND p.status IN ('failed', 'rejected', 'expired')
		ORDER BY i.payout_id
		LIMIT $3`, batchID, afterPayoutID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: batch %s rows to retry: %w", batchID, err)
	}
	out, err := scanPayouts(rows)
	if err != nil {
		return nil, fmt.Errorf("store: batch %s rows to retry: %w", batchID, err)
	}
	return out, nil
}
