package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/heleket-payouts/payouts/payout"
)

// Attention flags or clears a payout for human attention, with what the
// audit row should say.
type Attention struct {
	PayoutID string
	Flag     bool
	Source   payout.Source
	Actor    string
	Reason   string
	// Details add to the audit row (e.g. what Heleket answered).
	Details map[string]any
}

// MarkAttention sets needs_attention as a says, with its audit row, in one
// transaction. The flag is not a status, so the row keeps the status
// (from = to). Setting the current value again writes nothing; changed
// says whether this call set it.
func (s *Store) MarkAttention(ctx context.Context, a Attention) (changed bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var status string
		var current bool
		err := tx.QueryRow(ctx, `SELECT status, needs_attention FROM payouts WHERE id = $1 FOR UPDATE`, a.PayoutID).
			Scan(&status, &current)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil || current == a.Flag {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE payouts SET needs_attention = $2 WHERE id = $1`, a.PayoutID, a.Flag); err != nil {
			return fmt.Errorf("update: %w", err)
		}
		details := map[string]any{}
		for k, v := range a.Details {
			details[k] = v
		}
		details["needs_attention"], details["reason"] = a.Flag, a.Reason
		changed = true
		return insertEvent(ctx, tx, payout.Event{
			PayoutID: a.PayoutID, From: payout.Status(status), To: payout.Status(status), Source: a.Source,
			Actor: a.Actor, Details: details,
		})
	})
	if err != nil {
		return false, fmt.Errorf("store: set needs_attention=%t on payout %s: %w", a.Flag, a.PayoutID, err)
	}
	return changed, nil
}
