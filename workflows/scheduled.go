package workflows

import (
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/schedule"
)

// ScheduledPayoutWorkflowName is the workflow a payout schedule's action
// starts.
const ScheduledPayoutWorkflowName = "ScheduledPayout"

// ErrTypeNotScheduled fails a ScheduledPayout started by hand, without the
// scheduler's nominal time.
const ErrTypeNotScheduled = "NotScheduled"

// attrScheduledStart is set by Temporal's scheduler on every workflow it
// starts: the run's nominal time, before jitter, the same on every
// attempt to start that run.
var attrScheduledStart = temporal.NewSearchAttributeKeyTime("TemporalScheduledStartTime")

// ScheduledPayoutInput is the argument of a schedule's action. It names
// the schedule only: what to pay is read from the schedule's stored
// definition at run time, so no address sits in the schedule itself.
type ScheduledPayoutInput struct {
	ScheduleID string `json:"schedule_id"`
	ClientID   string `json:"client_id"`
	Timing     Timing `json:"timing"`
	// Installation scopes the runs' payout IDs (payout.DeriveID); empty in
	// schedules created before installation IDs existed.
	Installation string `json:"installation,omitempty"`
}

// ScheduledPayoutResult says what a run did.
type ScheduledPayoutResult struct {
	PayoutID    string    `json:"payout_id"`
	ScheduledAt time.Time `json:"scheduled_at"`
	// Started is false when the payout of this scheduled time had been
	// started before (a repeated backfill or catch-up): nothing new is paid.
	Started bool `json:"started"`
	// Skipped says why no payout exists for this run (schedule deleted).
	Skipped string `json:"skipped,omitempty"`
}

// ScheduledPayout turns one scheduled time into exactly one payout: the
// payout ID derives from the schedule and the nominal time, and the payout
// workflow is started as a child with that ID and a reuse policy that
// refuses a second start, so a catch-up or a repeated backfill of the same
// time finds the payout already there instead of paying again. The child
// is abandoned on completion: the payout lives on its own.
func ScheduledPayout(ctx workflow.Context, in ScheduledPayoutInput) (ScheduledPayoutResult, error) {
	at, err := scheduledTime(ctx)
	if err != nil {
		return ScheduledPayoutResult{}, err
	}
	res := ScheduledPayoutResult{PayoutID: schedule.RunPayoutID(in.Installation, in.ClientID, in.ScheduleID, at), ScheduledAt: at}
	var p payout.Payout
	run := activities.ScheduledRun{ScheduleID: in.ScheduleID, PayoutID: res.PayoutID, ScheduledAt: at}
	err = workflow.ExecuteLocalActivity(dbCtx(ctx), acts.PrepareScheduledPayout, run).Get(ctx, &p)
	var appErr *temporal.ApplicationError
	switch {
	case errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeScheduleGone:
		res.Skipped = appErr.Message()
		return res, nil
	case errors.As(err, &appErr) && (appErr.Type() == activities.ErrTypeNoDefaultWallet ||
		appErr.Type() == activities.ErrTypeMoneyControl || appErr.Type() == activities.ErrTypeScheduleNotApproved):
		// The run fails under the cause's name, so the schedule's recent
		// actions in the UI say why nothing was paid.
		return res, temporal.NewNonRetryableApplicationError(appErr.Message(), appErr.Type(), err)
	case err != nil:
		return res, fmt.Errorf("prepare payout %s: %w", res.PayoutID, err)
	}
	res.Started, err = startPayoutChild(ctx, p, in.Timing, in.Installation)
	return res, err
}

// startPayoutChild reports false when the payout's workflow already exists.
func startPayoutChild(ctx workflow.Context, p payout.Payout, timing Timing, installation string) (bool, error) {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            payout.WorkflowID(p.ID),
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		TypedSearchAttributes: temporal.NewSearchAttributes(SearchAttributes(p)...),
		StaticSummary:         Summary(p),
		Memo:                  PayoutMemo(installation, p),
	})
	child := workflow.ExecuteChildWorkflow(cctx, PayoutWorkflowName, PayoutInput{Payout: p, Timing: timing})
	err := child.GetChildWorkflowExecution().Get(ctx, nil)
	if temporal.IsWorkflowExecutionAlreadyStartedError(err) {
		workflow.GetLogger(ctx).Info("payout of this scheduled time already started", "payout_id", p.ID)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("start payout %s: %w", p.ID, err)
	}
	return true, nil
}

// scheduledTime reads the nominal time from the start event's search
// attributes (the server adds their type metadata, which the typed
// accessor needs), so replay sees the same time.
func scheduledTime(ctx workflow.Context) (time.Time, error) {
	if t, ok := workflow.GetTypedSearchAttributes(ctx).GetTime(attrScheduledStart); ok {
		return t.UTC(), nil
	}
	return time.Time{}, temporal.NewNonRetryableApplicationError(
		"ScheduledPayout runs only from a payout schedule: no TemporalScheduledStartTime", ErrTypeNotScheduled, nil)
}
