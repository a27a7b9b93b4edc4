package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Pending is what waits for a second admin besides payouts (which
// ListPayouts finds by status): campaigns awaiting approval, schedules
// whose first run awaits it, and wallets inside their cooldown that an
// approver may release early. Each list is capped at limit, oldest first.
type Pending struct {
	Batches   []Batch
	Schedules []Schedule
	Wallets   []Wallet
}

// PendingApprovals reads every kind of Pending in one snapshot.
func (s *Store) PendingApprovals(ctx context.Context, limit int) (Pending, error) {
	var p Pending
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return Pending{}, fmt.Errorf("store: pending approvals: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }() // read-only: nothing to keep
	if p.Batches, err = queryAll(ctx, tx, scanBatch, `SELECT `+batchColumns+` FROM payout_batches
		WHERE state = $1 ORDER BY created_at, id LIMIT $2`, BatchAwaitingApproval, limit); err != nil {
		return Pending{}, fmt.Errorf("store: campaigns awaiting approval: %w", err)
	}
	if p.Schedules, err = queryAll(ctx, tx, scanSchedule, `SELECT `+scheduleColumns+` FROM payout_schedules
		WHERE approval_state = $1 AND deleted_at IS NULL ORDER BY created_at, id LIMIT $2`, ScheduleApprovalAwaiting, limit); err != nil {
		return Pending{}, fmt.Errorf("store: schedules awaiting approval: %w", err)
	}
	if p.Wallets, err = queryAll(ctx, tx, scanWallet, `SELECT `+walletColumns+` FROM client_wallets
		WHERE deleted_at IS NULL AND disabled_at IS NULL AND approved_by IS NULL AND usable_from > now()
		ORDER BY updated_at, client_id, asset, network, address LIMIT $1`, limit); err != nil {
		return Pending{}, fmt.Errorf("store: wallets in their cooldown: %w", err)
	}
	return p, nil
}

// queryAll runs one query of the snapshot and scans every row.
func queryAll[T any](ctx context.Context, tx pgx.Tx, scan func(pgx.Row) (T, error), sql string, args ...any) ([]T, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, rowTo(scan))
}
