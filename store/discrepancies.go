package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heleket-payouts/payouts/reconcile"
)

// Discrepancy is something reconciliation found for a human to look at.
// Ours and Theirs are snapshots of both sides, without wallet addresses.
type Discrepancy struct {
	ID         int64          `json:"id"`
	RunID      string         `json:"run_id"`
	OrderID    string         `json:"order_id"`
	PayoutID   string         `json:"payout_id,omitempty"`
	Kind       reconcile.Kind `json:"kind"`
	Ours       map[string]any `json:"ours,omitempty"`
	Theirs     map[string]any `json:"theirs,omitempty"`
	Reason     string         `json:"reason,omitempty"`
	DetectedAt time.Time      `json:"detected_at"`
	AlertedAt  *time.Time     `json:"alerted_at"`
	ResolvedAt *time.Time     `json:"resolved_at"`
	Resolution string         `json:"resolution,omitempty"`
	// ResolvedBy and Note are an operator's resolution's; reconciliation
	// resolving a row by itself leaves them empty.
	ResolvedBy string `json:"resolved_by,omitempty"`
	Note       string `json:"note,omitempty"`
}

const discrepancyColumns = `id, run_id, order_id, coalesce(payout_id, ''), kind, ours, theirs, reason,
	detected_at, alerted_at, resolved_at, coalesce(resolution, ''), coalesce(resolved_by, ''), coalesce(note, '')`

func scanDiscrepancy(row pgx.Row) (Discrepancy, error) {
	var (
		d            Discrepancy
		kind         string
		ours, theirs []byte
	)
	err := row.Scan(&d.ID, &d.RunID, &d.OrderID, &d.PayoutID, &kind, &ours, &theirs, &d.Reason,
		&d.DetectedAt, &d.AlertedAt, &d.ResolvedAt, &d.Resolution, &d.ResolvedBy, &d.Note)
	if errors.Is(err, pgx.ErrNoRows) {
		return Discrepancy{}, ErrNotFound
	}
	if err != nil {
		return Discrepancy{}, err
	}
	d.Kind = reconcile.Kind(kind)
	if d.Ours, err = decodeDetails(ours); err != nil {
		return Discrepancy{}, fmt.Errorf("discrepancy %d ours: %w", d.ID, err)
	}
	if d.Theirs, err = decodeDetails(theirs); err != nil {
		return Discrepancy{}, fmt.Errorf("discrepancy %d theirs: %w", d.ID, err)
	}
	return d, nil
}

// AddDiscrepancy records d unless a discrepancy of the same kind and
// order_id exists; either way it returns the stored row, and created says
// whether this call wrote it.
func (s *Store) AddDiscrepancy(ctx context.Context, d Discrepancy) (Discrepancy, bool, error) {
	ours, err := encodeSnapshot(d.Ours)
	if err != nil {
		return Discrepancy{}, false, fmt.Errorf("store: add %s discrepancy for %s: %w", d.Kind, d.OrderID, err)
	}
	theirs, err := encodeSnapshot(d.Theirs)
	if err != nil {
		return Discrepancy{}, false, fmt.Errorf("store: add %s discrepancy for %s: %w", d.Kind, d.OrderID, err)
	}
	stored, err := scanDiscrepancy(s.pool.QueryRow(ctx, `
		INSERT INTO reconciliation_discrepancies (run_id, order_id, payout_id, kind, ours, theirs, reason)
		VALUES ($1, $2, NULLIF($3, ''), $4, $5::jsonb, $6::jsonb, $7)
		ON CONFLICT (kind, order_id) DO NOTHING
		RETURNING `+discrepancyColumns,
		d.RunID, d.OrderID, d.PayoutID, string(d.Kind), ours, theirs, d.Reason))
	if err == nil {
		return stored, true, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return Discrepancy{}, false, fmt.Errorf("store: add %s discrepancy for %s: %w", d.Kind, d.OrderID, err)
	}
	stored, err = scanDiscrepancy(s.pool.QueryRow(ctx, `
		SELECT `+discrepancyColumns+` FROM reconciliation_discrepancies WHERE kind = $1 AND order_id = $2`,
		string(d.Kind), d.OrderID))
	if err != nil {
		return Discrepancy{}, false, fmt.Errorf("store: load %s discrepancy for %s: %w", d.Kind, d.OrderID, err)
	}
	return stored, false, nil
}

func encodeSnapshot(m map[string]any) ([]byte, error) {
	if len(m) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode snapshot: %w", err)
	}
	return b, nil
}

// MarkAlerted records that the alert for a discrepancy was delivered.
func (s *Store) MarkAlerted(ctx context.Context, id int64) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE reconciliation_discrepancies SET alerted_at = now() WHERE id = $1 AND alerted_at IS NULL`, id)
	if err != nil {
		return fmt.Errorf("store: mark discrepancy %d alerted: %w", id, err)
	}
	return nil
}

// ResolveSettled resolves the discrepancies that the data now answers: an
// orphan whose order_id became a payout here, and a stuck or missing payout
// that has since reached a final status. It returns how many it resolved.
func (s *Store) ResolveSettled(ctx context.Context) (int, error) {
	tag, err := s.pool.Exec(ctx, `
		UPDATE reconciliation_discrepancies d SET resolved_at = now(),
			resolution = CASE d.kind WHEN 'orphan' THEN 'payout now known here'
				ELSE 'payout reached ' || p.status END
		FROM payouts p
		WHERE p.id = d.order_id AND d.resolved_at IS NULL
			AND (d.kind = 'orphan'
				OR (d.kind IN ('stuck', 'missing_at_heleket')
					AND p.status IN ('paid', 'failed', 'cancelled', 'rejected', 'expired')))`)
	if err != nil {
		return 0, fmt.Errorf("store: resolve settled discrepancies: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Discrepancies returns a run's discrepancies, oldest first, after afterID.
func (s *Store) Discrepancies(ctx context.Context, runID string, afterID int64, limit int) ([]Discrepancy, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: discrepancies of run %s: limit must be positive, got %d", runID, limit)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+discrepancyColumns+` FROM reconciliation_discrepancies
		WHERE run_id = $1 AND id > $2 ORDER BY id LIMIT $3`, runID, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: discrepancies of run %s: %w", runID, err)
	}
	out, err := collect(rows, rowTo(scanDiscrepancy))
	if err != nil {
		return nil, fmt.Errorf("store: discrepancies of run %s: %w", runID, err)
	}
	return out, nil
}
