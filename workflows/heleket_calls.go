package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/payout"
)

// Change IDs of workflow.GetVersion: each guards a change to the payout
// workflow's commands, so histories recorded before it replay the old way
// (README, "Changing workflow code").
const (
	// versionConfirmFinal: a non-final webhook whose status would make the
	// payout final is confirmed with Heleket too.
	versionConfirmFinal = "confirm-any-final-update"
	// versionVisibleRetries: payout-info calls are retried by the
	// workflow, one attempt per local activity, with a timer between.
	versionVisibleRetries = "visible-status-retries"
	// versionSuggestedContinueAsNew: the follow loop continues as new when
	// the server suggests it, not only past the history bound
	// (payoutRun.historyFull says why this is guarded).
	versionSuggestedContinueAsNew = "continue-as-new-when-suggested"
	// versionAwaitFunds: a business refusal of the create is checked
	// against the merchant balance, and a lack of funds holds the payout in
	// awaiting_funds instead of rejecting it (funds.go).
	versionAwaitFunds = "await-funds"
	// versionBatchFinishHolds: a campaign's "started" write holds
	// decisions like a page does, and a decision that waited for it is
	// refused (batch.go: finish, decide); campaigns recorded before it let
	// the decision's write race the workflow's.
	versionBatchFinishHolds = "batch-finish-holds-decisions"
	// versionEventStreamDrains: an outbound events stream posts a burst
	// of pending events in one activity (DeliverPendingEvents), which is
	// also the look that finds nothing left (events.go).
	versionEventStreamDrains = "event-stream-drains"
	// versionRollingPause: a short timer before the create, built only
	// with -tags rolling_v2 (rolling_v2.go): the workflow change the
	// rolling-deploy test ships to payouts in flight (chaos/rolling_test.go).
	versionRollingPause = "rolling-deploy-pause-before-submit"
)

// errHistoryFull stops a retrying call so the run can continue as new.
var errHistoryFull = errors.New("history is full: continue as new")

// maxRetryDelay caps the wait between attempts of a failing call: Heleket
// being back is noticed within it.
const maxRetryDelay = 2 * time.Minute

// askHeleket fetches the payout's state from Heleket's API; call says why
// (callConfirmWebhook, callPoll) and is the run's call until the answer
// comes. A failed attempt is retried by the workflow itself after a timer,
// so the UI's current details, the state query and the pending timer all
// say which call failed, how often, why, and when it is tried next; a
// local activity retrying on its own shows none of that.
func (r *payoutRun) askHeleket(ctx workflow.Context, call string) (payout.HeleketUpdate, error) {
	r.call = call
	r.show(ctx)
	defer r.answered(ctx)
	var upd payout.HeleketUpdate
	if workflow.GetVersion(ctx, versionVisibleRetries, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		err := workflow.ExecuteLocalActivity(statusCtx(ctx), acts.Status, r.p.ID).Get(ctx, &upd)
		return upd, err
	}
	for attempt := 1; ; attempt++ {
		err := workflow.ExecuteLocalActivity(statusOnceCtx(ctx), acts.Status, r.p.ID).Get(ctx, &upd)
		if err == nil {
			r.state.Retry = nil
			return upd, nil
		}
		if err := r.waitToRetry(ctx, call, attempt, err); err != nil {
			return upd, err
		}
	}
}

// answered ends the call: the run is back in its phase.
func (r *payoutRun) answered(ctx workflow.Context) {
	r.call = ""
	r.show(ctx)
}

// waitToRetry records a failed attempt where operators look, flags the
// payout once the failures persist, and sleeps until the next attempt.
func (r *payoutRun) waitToRetry(ctx workflow.Context, call string, attempt int, cause error) error {
	info := workflow.GetInfo(ctx)
	if info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > r.maxHistory() {
		r.state.Retry = nil
		return errHistoryFull
	}
	delay := min(time.Second<<min(attempt-1, 8), maxRetryDelay)
	r.state.Retry = &CallRetry{Call: call, Attempts: attempt, LastError: errorText(cause),
		NextAttemptAt: workflow.Now(ctx).Add(delay)}
	r.show(ctx)
	if attempt == activities.AttentionAfter {
		if err := r.flag(ctx, activities.KindCallsFailing, fmt.Sprintf(
			"%s failed %d times, still retrying: %s", call, attempt, r.state.Retry.LastError)); err != nil {
			return err
		}
	}
	summary := fmt.Sprintf("retry %s (attempt %d)", call, attempt+1)
	if err := workflow.NewTimerWithOptions(ctx, delay, workflow.TimerOptions{Summary: summary}).Get(ctx, nil); err != nil {
		return fmt.Errorf("wait to retry %s: %w", call, err)
	}
	return nil
}

// flag marks the payout for attention in Postgres (with its audit row and
// alert) and in the search attributes.
func (r *payoutRun) flag(ctx workflow.Context, kind, reason string) error {
	req := activities.AttentionRequest{PayoutID: r.p.ID, Kind: kind, Reason: reason}
	if err := workflow.ExecuteLocalActivity(dbCtx(ctx), acts.FlagAttention, req).Get(ctx, nil); err != nil {
		return fmt.Errorf("flag for attention: %w", err)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, AttrNeedsAttention.ValueSet(true)); err != nil {
		return fmt.Errorf("flag for attention: search attribute: %w", err)
	}
	return nil
}

// hold stops a payout whose order_id Heleket knows as somebody else's
// payout. The activity has flagged it, with the audit row and the alert;
// nothing is sent or recorded as ours until an operator cancels it.
func (r *payoutRun) hold(ctx workflow.Context, reason string) error {
	r.heldReason = reason
	if err := workflow.UpsertTypedSearchAttributes(ctx, AttrNeedsAttention.ValueSet(true)); err != nil {
		return fmt.Errorf("hold: search attribute: %w", err)
	}
	r.enter(ctx, phaseHeld)
	if err := workflow.Await(ctx, func() bool { return !r.deciding && r.p.Status.Final() }); err != nil {
		return fmt.Errorf("hold: %w", err)
	}
	return nil
}

// errorText is the failure's own message, without the SDK's wrapping.
func errorText(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	return err.Error()
}

// statusOnceCtx runs one payout-info attempt; askHeleket retries.
func statusOnceCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 30 * time.Second,
		RetryPolicy:            &temporal.RetryPolicy{MaximumAttempts: 1},
	})
}
