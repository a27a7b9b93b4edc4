package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
)

// Schedule is a recurring payout's definition: what each run pays. The
// timing and the paused state live in the Temporal schedule of the same ID.
type Schedule struct {
	ID            string
	ClientID      string
	Name          string
	Asset         string
	Network       string
	Amount        decimal.Decimal
	Address       string // empty: the client's default wallet at each run
	Memo          string
	IsSubtract    bool
	NeedsApproval bool // each run's payout waits for a second admin (schedules made before 00014)
	// ApprovalState is none (under every threshold when made), awaiting
	// (its runs in 24 h are over a threshold: no run until a second admin
	// approves), approved or rejected; ApprovalReason says why it waits.
	ApprovalState  ScheduleApproval
	ApprovalReason string
	Spec           []byte // JSON, as the API received it (normalised)
	CreatedBy      string
	CreatedAt      time.Time
	DeletedAt      *time.Time
}

const scheduleColumns = `id, client_id, name, asset, network, amount::text, coalesce(address, ''), memo,
	is_subtract, needs_approval, spec, created_by, created_at, deleted_at, approval_state, approval_reason`

func scanSchedule(row pgx.Row) (Schedule, error) {
	var (
		sc     Schedule
		amount string
	)
	err := row.Scan(&sc.ID, &sc.ClientID, &sc.Name, &sc.Asset, &sc.Network, &amount, &sc.Address, &sc.Memo,
		&sc.IsSubtract, &sc.NeedsApproval, &sc.Spec, &sc.CreatedBy, &sc.CreatedAt, &sc.DeletedAt,
		&sc.ApprovalState, &sc.ApprovalReason)
	if errors.Is(err, pgx.ErrNoRows) {
		return Schedule{}, ErrNotFound
	}
	if err != nil {
		return Schedule{}, err
	}
	sc.Amount, err = parseNumeric("amount", amount)
	return sc, err
}

// CreateSchedule stores a schedule's definition. If the ID is taken (a
// repeat, or a deleted schedule of the same name), nothing is written and
// the stored row is returned with created=false for the caller to compare.
func (s *Store) CreateSchedule(ctx context.Context, sc Schedule) (stored Schedule, created bool, err error) {
	amount, err := numericParam("amount", sc.Amount)
	if err != nil {
		return Schedule{}, false, fmt.Errorf("store: create schedule %s: %w", sc.ID, err)
	}
	stored, err = scanSchedule(s.pool.QueryRow(ctx, `
		INSERT INTO payout_schedules (id, client_id, name, asset, network, amount, address, memo,
			is_subtract, needs_approval, spec, created_by, approval_state, approval_reason)
		VALUES ($1, $2, $3, $4, $5, $6::numeric, NULLIF($7, ''), $8, $9, $10, $11::jsonb, $12, $13, $14)
		ON CONFLICT DO NOTHING
		RETURNING `+scheduleColumns,
		sc.ID, sc.ClientID, sc.Name, sc.Asset, sc.Network, amount, sc.Address, sc.Memo,
		sc.IsSubtract, sc.NeedsApproval, sc.Spec, sc.CreatedBy, cmp.Or(sc.ApprovalState, ScheduleApprovalNone), sc.ApprovalReason))
	if err == nil {
		return stored, true, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return Schedule{}, false, fmt.Errorf("store: create schedule %s: %w", sc.ID, err)
	}
	stored, err = s.GetSchedule(ctx, sc.ID)
	return stored, false, err
}

// GetSchedule returns the schedule, deleted or not, or ErrNotFound.
func (s *Store) GetSchedule(ctx context.Context, id string) (Schedule, error) {
	sc, err := scanSchedule(s.pool.QueryRow(ctx, `SELECT `+scheduleColumns+` FROM payout_schedules WHERE id = $1`, id))
	if err != nil {
		return Schedule{}, fmt.Errorf("store: get schedule %s: %w", id, err)
	}
	return sc, nil
}

// ListSchedules returns a client's schedules that are not deleted, by name.
func (s *Store) ListSchedules(ctx context.Context, clientID string) ([]Schedule, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+scheduleColumns+` FROM payout_schedules
		WHERE client_id = $1 AND deleted_at IS NULL ORDER BY name`, clientID)
	if err != nil {
		return nil, fmt.Errorf("store: list schedules of client %s: %w", clientID, err)
	}
	out, err := collect(rows, rowTo(scanSchedule))
	if err != nil {
		return nil, fmt.Errorf("store: list schedules of client %s: %w", clientID, err)
	}
	return out, nil
}

// DeleteSchedule marks a schedule deleted. The row stays: its ID keeps
// naming the payouts it made, and a run already under way sees the mark
// and pays nothing. Deleting twice is a no-op.
func (s *Store) DeleteSchedule(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `
		UPDATE payout_schedules SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL`, id); err != nil {
		return fmt.Errorf("store: delete schedule %s: %w", id, err)
	}
	return nil
}

// PurgeSchedule removes a schedule row that never reached Temporal (Temporal
// refused it), so the refused request leaves nothing behind.
func (s *Store) PurgeSchedule(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM payout_schedules WHERE id = $1`, id); err != nil {
		return fmt.Errorf("store: purge schedule %s: %w", id, err)
	}
	return nil
}

// ScheduleApproval is a schedule's approval state.
type ScheduleApproval string

const (
	ScheduleApprovalNone     ScheduleApproval = "none"
	ScheduleApprovalAwaiting ScheduleApproval = "awaiting"
	ScheduleApprovalApproved ScheduleApproval = "approved"
	ScheduleApprovalRejected ScheduleApproval = "rejected"
)

// ErrScheduleDecided refuses a decision on a schedule that is not
// awaiting one.
var ErrScheduleDecided = errors.New("the schedule is not awaiting approval")

// DecideSchedule records a second admin's approval or rejection of a
// schedule awaiting one, with its audit row, in one transaction that locks
// the schedule. Repeating the decision taken changes nothing
// (changed=false); the other decision, or one on a schedule that never
// waited, wraps ErrScheduleDecided.
func (s *Store) DecideSchedule(ctx context.Context, id string, to ScheduleApproval, actor, note string) (changed bool, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var from ScheduleApproval
		err := tx.QueryRow(ctx, `SELECT approval_state FROM payout_schedules WHERE id = $1 AND deleted_at IS NULL FOR UPDATE`, id).Scan(&from)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("lock schedule: %w", err)
		}
		if from == to {
			return nil
		}
		if from != ScheduleApprovalAwaiting {
			return fmt.Errorf("%w: it is %s", ErrScheduleDecided, from)
		}
		if _, err := tx.Exec(ctx, `UPDATE payout_schedules SET approval_state = $2 WHERE id = $1`, id, string(to)); err != nil {
			return fmt.Errorf("update approval: %w", err)
		}
		if err := scheduleEvent(ctx, tx, id, string(to), actor, map[string]any{"note": note}); err != nil {
			return err
		}
		changed = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: decide schedule %s: %w", id, err)
	}
	return changed, nil
}

// ScheduleEvent records an audited change of a schedule.
func (s *Store) ScheduleEvent(ctx context.Context, id, action, actor string, details map[string]any) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return scheduleEvent(ctx, tx, id, action, actor, details) })
}

func scheduleEvent(ctx context.Context, tx pgx.Tx, id, action, actor string, details map[string]any) error {
	raw, err := encodeDetails(details)
	if err != nil {
		return fmt.Errorf("schedule %s event: %w", id, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO payout_schedule_events (schedule_id, action, actor, details) VALUES ($1, $2, $3, coalesce($4::jsonb, '{}'))`,
		id, action, actor, raw); err != nil {
		return fmt.Errorf("record schedule %s %s: %w", id, action, err)
	}
	return nil
}

// ScheduleEventRow is one audited change of a schedule.
type ScheduleEventRow struct {
	Action  string         `json:"action"`
	Actor   string         `json:"actor"`
	Details map[string]any `json:"details,omitempty"`
	At      time.Time      `json:"at"`
}

// ScheduleEvents returns a schedule's audited changes, oldest first.
func (s *Store) ScheduleEvents(ctx context.Context, id string) ([]ScheduleEventRow, error) {
	rows, err := s.pool.Query(ctx, `SELECT action, actor, details, at FROM payout_schedule_events WHERE schedule_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("store: events of schedule %s: %w", id, err)
	}
	out, err := collect(rows, func(row pgx.CollectableRow) (ScheduleEventRow, error) {
		var e ScheduleEventRow
		return e, row.Scan(&e.Action, &e.Actor, &e.Details, &e.At)
	})
	if err != nil {
		return nil, fmt.Errorf("store: events of schedule %s: %w", id, err)
	}
	return out, nil
}
