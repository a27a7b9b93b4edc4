package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/reconcile"
)

// DiscrepancyFilter selects discrepancies for GET /discrepancies. Zero
// values mean any.
type DiscrepancyFilter struct {
	Open     *bool // true: not resolved yet; false: resolved
	Kind     reconcile.Kind
	PayoutID string
	RunID    string
}

// ListDiscrepancies returns up to limit discrepancies matching f, newest
// (highest id) first, with ids below before (0 for the first page), and
// the id to pass as before for the next page (0 on the last one). Each
// filter walks an index of migration 00002 or 00017 in id order.
func (s *Store) ListDiscrepancies(ctx context.Context, f DiscrepancyFilter, before int64, limit int) ([]Discrepancy, int64, error) {
	if limit <= 0 {
		return nil, 0, fmt.Errorf("store: list discrepancies: limit must be positive, got %d", limit)
	}
	w := &whereClause{}
	if f.Open != nil {
		// Spelt as the partial indexes' predicates.
		if *f.Open {
			w.add("resolved_at IS NULL")
		} else {
			w.add("resolved_at IS NOT NULL")
		}
	}
	if f.Kind != "" {
		w.add("kind = ?", string(f.Kind))
	}
	if f.PayoutID != "" {
		w.add("payout_id = ?", f.PayoutID)
	}
	if f.RunID != "" {
		w.add("run_id = ?", f.RunID)
	}
	if before > 0 {
		w.add("id < ?", before)
	}
	w.args = append(w.args, limit+1)
	rows, err := s.pool.Query(ctx, `SELECT `+discrepancyColumns+` FROM reconciliation_discrepancies`+w.sql()+`
		ORDER BY id DESC LIMIT $`+strconv.Itoa(len(w.args)), w.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: list discrepancies: %w", err)
	}
	items, err := collect(rows, rowTo(scanDiscrepancy))
	if err != nil {
		return nil, 0, fmt.Errorf("store: list discrepancies: %w", err)
	}
	if len(items) <= limit {
		return items, 0, nil
	}
	items = items[:limit]
	return items, items[limit-1].ID, nil
}

// GetDiscrepancy returns one discrepancy or ErrNotFound.
func (s *Store) GetDiscrepancy(ctx context.Context, id int64) (Discrepancy, error) {
	d, err := scanDiscrepancy(s.pool.QueryRow(ctx, `SELECT `+discrepancyColumns+` FROM reconciliation_discrepancies WHERE id = $1`, id))
	if err != nil {
		return Discrepancy{}, fmt.Errorf("store: get discrepancy %d: %w", id, err)
	}
	return d, nil
}

// Resolve is an operator's resolution of a discrepancy.
type Resolve struct {
	ID         int64
	Resolution reconcile.Resolution
	Note       string
	Actor      string
}

// AlreadyResolvedError refuses resolving a discrepancy resolved before
// otherwise (another resolution or note, or by reconciliation itself).
type AlreadyResolvedError struct{ Discrepancy Discrepancy }

func (e *AlreadyResolvedError) Error() string {
	d := e.Discrepancy
	by := d.ResolvedBy
	if by == "" {
		by = "reconciliation"
	}
	return fmt.Sprintf("discrepancy %d is already resolved (%s, by %s)", d.ID, d.Resolution, by)
}

// ResolvedDiscrepancy is what ResolveDiscrepancy did.
type ResolvedDiscrepancy struct {
	Discrepancy Discrepancy
	// Replayed: the same resolution was recorded before; nothing written.
	Replayed bool
	// AttentionCleared: this was the payout's last open discrepancy and
	// its needs_attention was cleared.
	AttentionCleared bool
}

// ResolveDiscrepancy resolves a discrepancy as r says, in one
// transaction with its audit rows: one in reconciliation_discrepancy_events
// and, when the discrepancy has a payout, one in the payout's trail (the
// status kept, from = to). When nothing else is open for that payout, its
// needs_attention clears in the same row. Resolving again with the same
// resolution and note is a replay; otherwise a resolved discrepancy is an
// *AlreadyResolvedError.
func (s *Store) ResolveDiscrepancy(ctx context.Context, r Resolve) (ResolvedDiscrepancy, error) {
	var out ResolvedDiscrepancy
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		d, err := scanDiscrepancy(tx.QueryRow(ctx, `SELECT `+discrepancyColumns+`
			FROM reconciliation_discrepancies WHERE id = $1 FOR UPDATE`, r.ID))
		if err != nil {
			return err
		}
		if d.ResolvedAt != nil {
			if d.Resolution == string(r.Resolution) && d.Note == r.Note && d.ResolvedBy != "" {
				out = ResolvedDiscrepancy{Discrepancy: d, Replayed: true}
				return nil
			}
			return &AlreadyResolvedError{Discrepancy: d}
		}
		if d, err = scanDiscrepancy(tx.QueryRow(ctx, `
			UPDATE reconciliation_discrepancies SET resolved_at = now(), resolution = $2, resolved_by = $3, note = $4
			WHERE id = $1 RETURNING `+discrepancyColumns, r.ID, string(r.Resolution), r.Actor, r.Note)); err != nil {
			return fmt.Errorf("update: %w", err)
		}
		out.Discrepancy = d
		details := map[string]any{"resolution": string(r.Resolution), "note": r.Note, "kind": string(d.Kind),
			"order_id": d.OrderID, "run_id": d.RunID}
		if d.PayoutID != "" {
			details["payout_id"] = d.PayoutID
		}
		raw, err := encodeDetails(details)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO reconciliation_discrepancy_events (discrepancy_id, action, actor, details)
			VALUES ($1, 'resolved', $2, $3::jsonb)`, d.ID, r.Actor, raw); err != nil {
			return fmt.Errorf("insert discrepancy audit row: %w", err)
		}
		if d.PayoutID == "" {
			return nil
		}
		out.AttentionCleared, err = noteOnPayout(ctx, tx, d, r)
		return err
	})
	if err != nil {
		return ResolvedDiscrepancy{}, fmt.Errorf("store: resolve discrepancy %d: %w", r.ID, err)
	}
	return out, nil
}

// noteOnPayout writes the resolution into the payout's trail and clears
// needs_attention when no discrepancy of the payout is open any more. The
// payout's row lock orders this against reconciliation flagging it again.
func noteOnPayout(ctx context.Context, tx pgx.Tx, d Discrepancy, r Resolve) (cleared bool, err error) {
	var status string
	var flagged, open bool
	err = tx.QueryRow(ctx, `
		SELECT status, needs_attention,
			EXISTS (SELECT 1 FROM reconciliation_discrepancies WHERE payout_id = $1 AND resolved_at IS NULL)
		FROM payouts WHERE id = $1 FOR UPDATE`, d.PayoutID).Scan(&status, &flagged, &open)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("payout %s: %w", d.PayoutID, ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("lock payout %s: %w", d.PayoutID, err)
	}
	details := map[string]any{"action": "discrepancy_resolved", "discrepancy_id": d.ID, "kind": string(d.Kind),
		"resolution": string(r.Resolution), "note": r.Note}
	if flagged && !open {
		if _, err := tx.Exec(ctx, `UPDATE payouts SET needs_attention = false WHERE id = $1`, d.PayoutID); err != nil {
			return false, fmt.Errorf("clear needs_attention of payout %s: %w", d.PayoutID, err)
		}
		details["needs_attention"], details["reason"] = false, "no open discrepancy left"
		cleared = true
	}
	return cleared, insertEvent(ctx, tx, payout.Event{PayoutID: d.PayoutID, From: payout.Status(status),
		To: payout.Status(status), Source: payout.SourceAPI, Actor: r.Actor, Details: details})
}

// DiscrepancyEvent is one audited action on a discrepancy.
type DiscrepancyEvent struct {
	ID            int64          `json:"id"`
	DiscrepancyID int64          `json:"discrepancy_id"`
	Action        string         `json:"action"`
	Actor         string         `json:"actor"`
	Details       map[string]any `json:"details"`
	At            time.Time      `json:"at"`
}

// DiscrepancyEvents returns a discrepancy's audit rows, oldest first.
func (s *Store) DiscrepancyEvents(ctx context.Context, id int64) ([]DiscrepancyEvent, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, discrepancy_id, action, actor, details, at
		FROM reconciliation_discrepancy_events WHERE discrepancy_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("store: audit rows of discrepancy %d: %w", id, err)
	}
	out, err := collect(rows, func(row pgx.CollectableRow) (DiscrepancyEvent, error) {
		var e DiscrepancyEvent
		var raw []byte
		if err := row.Scan(&e.ID, &e.DiscrepancyID, &e.Action, &e.Actor, &raw, &e.At); err != nil {
			return DiscrepancyEvent{}, err
		}
		var err error
		e.Details, err = decodeDetails(raw)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: audit rows of discrepancy %d: %w", id, err)
	}
	return out, nil
}
