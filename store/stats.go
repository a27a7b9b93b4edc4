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
		if from.IsZero() && to.IsZero() {
			err = allTimeFinalTimes(ctx, tx, finalCount(st.Totals), &st)
		} else {
			err = finalTimes(ctx, tx, from, to, &st)
		}
		if err != nil {
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
	out, err := collect(rows, func(row pgx.CollectableRow) (StatusAssetTotal, error) {
		var (
			t              StatusAssetTotal
			status, amount string
		)
		if err := row.Scan(&status, &t.Asset, &t.Count, &amount); err != nil {
			return StatusAssetTotal{}, err
		}
		t.Status = payout.Status(status)
		var err error
		t.Amount, err = parseNumeric("amount sum", amount)
		return t, err
	})
	if err != nil {
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

// finalPercentiles are the percentiles of time to final the dashboard shows.
var finalPercentiles = [2]decimal.Decimal{decimal.RequireFromString("0.5"), decimal.RequireFromString("0.95")}

// finalCount is the number of final payouts among the totals. The guard
// trigger sets finalized_at exactly when a payout becomes final, so it is
// also the number of rows with finalized_at, read from the same snapshot.
func finalCount(totals []StatusAssetTotal) int64 {
	var n int64
	for _, t := range totals {
		if t.Status.Final() {
			n += t.Count
		}
	}
	return n
}

// allTimeFinalTimes computes what finalTimes does over every payout without
// sorting them: payouts_time_to_final_idx (migration 00005) keeps the times
// to final in order, so a percentile is the entry or two at its rank,
// reached by skipping from the nearer end of the index. At 1,000,000
// payouts the sort took a second; see docs/PERFORMANCE.md. The rank and the
// interpolation are percentile_cont's, in decimals: with h = p × (n − 1),
// the time at floor(h), plus h's fraction of the step to the next time.
func allTimeFinalTimes(ctx context.Context, tx pgx.Tx, n int64, st *Stats) error {
	if n == 0 {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM payouts WHERE needs_attention`).Scan(&st.NeedsAttention); err != nil {
			return fmt.Errorf("times to final: %w", err)
		}
		return nil
	}
	var (
		reads [len(finalPercentiles)]string
		args  [len(finalPercentiles)]any
		ranks [len(finalPercentiles)]decimal.Decimal
		first [len(finalPercentiles)]int64
	)
	for i, p := range finalPercentiles {
		ranks[i] = p.Mul(decimal.NewFromInt(n - 1))
		// The two times read: floor(h) and the next, or the last two.
		first[i] = max(0, min(ranks[i].Floor().IntPart(), n-2))
		order, offset := "ASC", first[i]
		if first[i] > (n-1)/2 {
			order, offset = "DESC", n-2-first[i]
		}
		args[i] = offset
		reads[i] = fmt.Sprintf(`(SELECT array_agg(extract(epoch FROM d)::text ORDER BY d) FROM (
			SELECT finalized_at - created_at AS d FROM payouts WHERE finalized_at IS NOT NULL
			ORDER BY finalized_at - created_at %s OFFSET $%d LIMIT 2) AS r)`, order, i+1)
	}
	var times [len(finalPercentiles)][]string
	err := tx.QueryRow(ctx, `SELECT `+reads[0]+`, `+reads[1]+`, (SELECT count(*) FROM payouts WHERE needs_attention)`,
		args[:]...).Scan(&times[0], &times[1], &st.NeedsAttention)
	if err != nil {
		return fmt.Errorf("times to final: %w", err)
	}
	out := [len(finalPercentiles)]*decimal.NullDecimal{&st.P50Seconds, &st.P95Seconds}
	for i := range finalPercentiles {
		v, err := interpolate(times[i], ranks[i], first[i])
		if err != nil {
			return fmt.Errorf("times to final: p%s: %w", finalPercentiles[i].Shift(2), err)
		}
		// As numeric(20,3) rounds in finalTimes: half away from zero.
		*out[i] = decimal.NewNullDecimal(v.Round(3))
	}
	return nil
}

// interpolate returns the time at rank h from the sorted times read from
// rank first on.
func interpolate(times []string, h decimal.Decimal, first int64) (decimal.Decimal, error) {
	at := h.Floor().IntPart() - first
	if at < 0 || at >= int64(len(times)) {
		return decimal.Decimal{}, fmt.Errorf("rank %s not among the %d times read from %d", h, len(times), first)
	}
	lo, err := parseNumeric("time to final", times[at])
	if err != nil {
		return decimal.Decimal{}, err
	}
	frac := h.Sub(h.Floor())
	if frac.IsZero() {
		return lo, nil
	}
	if at+1 >= int64(len(times)) {
		return decimal.Decimal{}, fmt.Errorf("rank %s: no time after %d", h, at+first)
	}
	hi, err := parseNumeric("time to final", times[at+1])
	if err != nil {
		return decimal.Decimal{}, err
	}
	return lo.Add(frac.Mul(hi.Sub(lo))), nil
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
