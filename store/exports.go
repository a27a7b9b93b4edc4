package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/heleket-payouts/payouts/payout"
)

// The export queries hand rows to fn as pgx reads them off the connection,
// so an export of every payout holds one row at a time, never the result.
// They hold a pool connection for as long as the caller takes to write the
// rows out.

// ExportPayouts calls fn for every payout matching f, in the list's order
// (created_at desc, id desc). An error from fn stops the export and is
// returned as is.
func (s *Store) ExportPayouts(ctx context.Context, f PayoutFilter, fn func(payout.Payout) error) error {
	w := filterPayouts(f)
	rows, err := s.pool.Query(ctx, `SELECT `+payoutColumns+` FROM payouts`+w.sql()+`
		ORDER BY created_at DESC, id DESC`, w.args...)
	if err != nil {
		return fmt.Errorf("store: export payouts: %w", err)
	}
	return eachRow(rows, rowTo(scanPayout), fn, "store: export payouts")
}

// ExportEvents calls fn for each audit row of a payout, oldest first. It
// does not tell an unknown payout from one without rows: the caller looks
// the payout up first, so that a 404 comes before any output.
func (s *Store) ExportEvents(ctx context.Context, payoutID string, fn func(payout.Event) error) error {
	rows, err := s.pool.Query(ctx, `
		SELECT id, payout_id, coalesce(from_status, ''), to_status, source, actor, details, at
		FROM payout_events WHERE payout_id = $1 ORDER BY id`, payoutID)
	if err != nil {
		return fmt.Errorf("store: export events of payout %s: %w", payoutID, err)
	}
	return eachRow(rows, scanEvent, fn, "store: export events of payout "+payoutID)
}

// ExportDiscrepancies calls fn for each discrepancy of a run, oldest first.
func (s *Store) ExportDiscrepancies(ctx context.Context, runID string, fn func(Discrepancy) error) error {
	rows, err := s.pool.Query(ctx, `
		SELECT `+discrepancyColumns+` FROM reconciliation_discrepancies
		WHERE run_id = $1 ORDER BY id`, runID)
	if err != nil {
		return fmt.Errorf("store: export discrepancies of run %s: %w", runID, err)
	}
	return eachRow(rows, rowTo(scanDiscrepancy), fn, "store: export discrepancies of run "+runID)
}

// eachRow scans and hands over one row at a time. fn's error is returned
// unwrapped, so that the caller recognises its own (a client gone away).
func eachRow[T any](rows pgx.Rows, scan pgx.RowToFunc[T], fn func(T) error, what string) error {
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
