package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// ScheduleStore is the part of the store a scheduled run reads.
type ScheduleStore interface {
	GetSchedule(ctx context.Context, id string) (store.Schedule, error)
}

// ScheduleGate makes a run's payout (gate.Gate): the one payout gate.
type ScheduleGate interface {
	ScheduledPayout(ctx context.Context, sc store.Schedule, payoutID string) (payout.Payout, error)
	Make(ctx context.Context, p payout.Payout, from, actor string, details map[string]any, preApproved bool) (payout.Payout, bool, error)
	Recheck(ctx context.Context, p payout.Payout) error
}

// Error types of PrepareScheduledPayout that retrying cannot fix.
const (
	// ErrTypeScheduleGone: the schedule was deleted after this run was
	// due; the run pays nothing.
	ErrTypeScheduleGone = "ScheduleGone"
	// ErrTypeNoDefaultWallet: the schedule pays the client's default
	// wallet and the client has none for the asset and network.
	ErrTypeNoDefaultWallet = "NoDefaultWallet"
	// ErrTypeMoneyControl: a money control refused the run's payout (a
	// hard cap, a denied or refused address); nothing was stored.
	ErrTypeMoneyControl = "MoneyControl"
	// ErrTypeScheduleNotApproved: the schedule awaits its approval, or was
	// rejected: a run triggered or backfilled meanwhile pays nothing.
	ErrTypeScheduleNotApproved = "ScheduleNotApproved"
)

// ScheduledRun identifies one run of a recurring payout.
type ScheduledRun struct {
	ScheduleID  string    `json:"schedule_id"`
	PayoutID    string    `json:"payout_id"`
	ScheduledAt time.Time `json:"scheduled_at"`
}

// PrepareScheduledPayout makes the payout of one scheduled run from the
// schedule's stored definition, through the payout gate (which resolves the
// client's default wallet now when the schedule has no fixed address, so a
// wallet change applies to the runs after it).
func (a *Activities) PrepareScheduledPayout(ctx context.Context, run ScheduledRun) (payout.Payout, error) {
	if a.Schedules == nil {
		return payout.Payout{}, errors.New("prepare scheduled payout: worker has no schedule store configured")
	}
	sc, err := a.Schedules.GetSchedule(ctx, run.ScheduleID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && sc.DeletedAt != nil) {
		return payout.Payout{}, temporal.NewNonRetryableApplicationError(
			"schedule "+run.ScheduleID+" no longer exists", ErrTypeScheduleGone, err)
	}
	if err != nil {
		return payout.Payout{}, fmt.Errorf("prepare scheduled payout %s: %w", run.PayoutID, err)
	}
	if sc.ApprovalState == store.ScheduleApprovalAwaiting || sc.ApprovalState == store.ScheduleApprovalRejected {
		return payout.Payout{}, temporal.NewNonRetryableApplicationError(
			"schedule "+sc.ID+" "+map[store.ScheduleApproval]string{store.ScheduleApprovalAwaiting: "awaits approval",
				store.ScheduleApprovalRejected: "was rejected"}[sc.ApprovalState]+" ("+sc.ApprovalReason+"): the run pays nothing",
			ErrTypeScheduleNotApproved, nil)
	}
	if a.Gate == nil {
		return payout.Payout{}, errors.New("prepare scheduled payout: worker has no payout gate configured")
	}
	p, err := a.Gate.ScheduledPayout(ctx, sc, run.PayoutID)
	if errors.Is(err, gate.ErrNoDefaultWallet) {
		return payout.Payout{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeNoDefaultWallet, err)
	}
	if err != nil {
		return payout.Payout{}, fmt.Errorf("prepare scheduled payout %s: %w", run.PayoutID, err)
	}
	// Stored here, through the gate, so the run's payout meets the caps
	// and destination rules decided with the totals locked; its workflow's
	// Persist then finds it. An approved schedule's approval covers the
	// thresholds of its runs.
	stored, _, err := a.Gate.Make(ctx, p, gate.FromSchedule, p.RequestedBy,
		map[string]any{"via": "schedule", "schedule_id": sc.ID}, sc.ApprovalState == store.ScheduleApprovalApproved)
	var refused *gate.Refusal
	if errors.As(err, &refused) {
		return payout.Payout{}, temporal.NewNonRetryableApplicationError(
			"scheduled run refused: "+refused.Message, ErrTypeMoneyControl, err)
	}
	if err != nil {
		return payout.Payout{}, fmt.Errorf("prepare scheduled payout %s: store: %w", run.PayoutID, err)
	}
	return stored, nil
}
