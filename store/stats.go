package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/payout"
)

// StatusAssetTotal is the count and summed amount of payouts in one status
// and asset. Amounts of different assets are never added together.
type StatusAssetTotal struct {
	Status payout.Status
	Asset  string
	Count  int64
	Amount decimal.Decimal
}

// ReconciliationRun is the latest run of the reconciler (see migration
// 00002).
type ReconciliationRun struct {
	ID          string
	Status      string
	RequestedAt time.Time
	StartedAt   *time.Time // nil while pending
	FinishedAt  *time.Time
}

// Stats are the admin dashboard's figures.
type Stats struct {
	Totals []StatusAssetTotal // in the period, ordered by status and asset
	// Seconds from request to final status, over payouts of the period that
	// reached one; invalid when none did.
	P50Seconds, P95Seconds decimal.NullDecimal
	// NeedsAttention ignores the period: it is a to-do list, and an old
	// stuck payout matters as much as a new one.
	NeedsAttention int64
	// LastReconciliation is nil when no run is recorded, or when the
	// reconciliation_runs table does not exist in this schema.
	LastReconciliation *ReconciliationRun
}

// Stats computes the dashboard figures for payouts created in [from, to)
// (zero times leave the period open) from one consistent snapshot.
func (s *Store) Stats(ctx context.Context, from, to time.Time) (Stats, error) {
	var st Stats
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	err := pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error {
		var err error
		if st.Totals, err = statusAssetTotals(ctx, tx, from, to); err != nil {
			return err
		}
		if err = finalTimes(ctx, tx, from, to, &st); err != nil {
			return err
		}
		st.LastReconciliation, err = lastReconciliation(ctx, tx)
		return err
	})
	if err != nil {
		return Stats{}, fmt.Errorf("store: stats: %w", err)
	}
	return st, nil
}

func statusAssetTotals(ctx context.Context, tx pgx.Tx, from, to time.Time) ([]StatusAssetTotal, error) {
	w := &whereClause{}
	w.period(from, to)
	rows, err := tx.Query(ctx, `
		SELECT status, asset, count(*), sum(amount)::text FROM payouts`+w.sql()+`
		GROUP BY status, asset ORDER BY status, asset`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("totals: %w", err)
	}
	defer rows.Close()
	var out []StatusAssetTotal
	for rows.Next() {
		var (
			t              StatusAssetTotal
			status, amount string
		)
		if err := rows.Scan(&status, &t.Asset, &t.Count, &amount); err != nil {
			return nil, fmt.Errorf("totals: %w", err)
		}
		t.Status = payout.Status(status)
		if t.Amount, err = parseNumeric("amount sum", amount); err != nil {
			return nil, fmt.Errorf("totals: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("totals: %w", err)
	}
	return out, nil
}

// finalTimes takes the percentiles over intervals and converts only the
// result to seconds, as numeric: no float on the way.
func finalTimes(ctx context.Context, tx pgx.Tx, from, to time.Time, st *Stats) error {
	w := &whereClause{conds: []string{"finalized_at IS NOT NULL"}}
	w.period(from, to)
	var p50, p95 *string
	err := tx.QueryRow(ctx, `
		SELECT (extract(epoch FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY finalized_at - created_at)))::numeric(20,3)::text,
			(extract(epoch FROM percentile_cont(0.95) WITHIN GROUP (ORDER BY finalized_at - created_at)))::numeric(20,3)::text,
			(SELECT count(*) FROM payouts WHERE needs_attention)
		FROM payouts`+w.sql(), w.args...).Scan(&p50, &p95, &st.NeedsAttention)
	if err != nil {
		return fmt.Errorf("times to final: %w", err)
	}
	if st.P50Seconds, err = parseNullNumeric("p50", p50); err != nil {
		return fmt.Errorf("times to final: %w", err)
	}
	if st.P95Seconds, err = parseNullNumeric("p95", p95); err != nil {
		return fmt.Errorf("times to final: %w", err)
	}
	return nil
}

// lastReconciliation looks the table up first: reconciliation ships in its
// own migration (00002), and the dashboard must keep working on a schema
// without it. Skipped runs are left out: they only found another run
// holding the lease, and would hide that run's status.
func lastReconciliation(ctx context.Context, tx pgx.Tx) (*ReconciliationRun, error) {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass('reconciliation_runs') IS NOT NULL`).Scan(&exists); err != nil {
		return nil, fmt.Errorf("look up reconciliation_runs: %w", err)
	}
	if !exists {
		return nil, nil
	}
	var run ReconciliationRun
	err := tx.QueryRow(ctx, `
		SELECT id, status, requested_at, started_at, finished_at FROM reconciliation_runs
		WHERE status <> 'skipped'
		ORDER BY requested_at DESC, id DESC LIMIT 1`).
		Scan(&run.ID, &run.Status, &run.RequestedAt, &run.StartedAt, &run.FinishedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("last reconciliation run: %w", err)
	}
	return &run, nil
}
