package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/payout"
)

// defaultFundsWait is PAYOUT_FUNDS_WAIT's default.
const defaultFundsWait = 72 * time.Hour

// refused handles Heleket's refusal of the create and reports whether the
// create is to be sent again. A business refusal is a lack of funds only
// when the merchant balance says so; then the payout waits for funds
// instead of ending rejected.
func (r *payoutRun) refused(ctx workflow.Context, appErr *temporal.ApplicationError) (bool, error) {
	var ref activities.Refusal
	business := appErr.Details(&ref) == nil && ref.Business
	if r.p.Status == payout.StatusAwaitingFunds {
		// A create sent again: the balance looked sufficient, or unknown.
		if business {
			if fc := r.checkFunds(ctx); !fc.Known || fc.Short {
				return r.awaitFunds(ctx)
			}
		}
		return false, r.reject(ctx, appErr.Message())
	}
	// Only the new path asks: histories recorded before it carry no
	// business refusal detail and never reach GetVersion.
	if !business || workflow.GetVersion(ctx, versionAwaitFunds, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return false, r.reject(ctx, appErr.Message())
	}
	fc := r.checkFunds(ctx)
	if !fc.Known || !fc.Short {
		// Without a balance that says so, a refusal is what it says.
		return false, r.reject(ctx, appErr.Message(), "funds_check", fc.Reason)
	}
	var stored payout.Payout
	hold := activities.FundsHold{PayoutID: r.p.ID, Check: fc, Refusal: ref.Message}
	if err := workflow.ExecuteLocalActivity(dbCtx(ctx), acts.HoldForFunds, hold).Get(ctx, &stored); err != nil {
		return false, fmt.Errorf("hold for funds: %w", err)
	}
	r.setRecord(ctx, stored, false)
	if r.p.Status != payout.StatusAwaitingFunds {
		return false, nil
	}
	return r.awaitFunds(ctx)
}

// reject ends the payout rejected with Heleket's reason; extra are more
// details of the audit row, as key, value pairs.
func (r *payoutRun) reject(ctx workflow.Context, reason string, extra ...string) error {
	details := map[string]any{"reason": reason}
	for i := 0; i+1 < len(extra); i += 2 {
		details[extra[i]] = extra[i+1]
	}
	return r.record(ctx, payout.Change{PayoutID: r.p.ID, To: payout.StatusRejected, Source: payout.SourceWorkflow,
		FailureReason: reason, Details: details})
}

// checkFunds compares the balance with what the payout debits. A balance
// that cannot be read in a few minutes is unknown: never a reason to fail
// the payout.
func (r *payoutRun) checkFunds(ctx workflow.Context) activities.FundsCheck {
	var fc activities.FundsCheck
	if err := workflow.ExecuteLocalActivity(fundsCtx(ctx), acts.CheckFunds, r.p).Get(ctx, &fc); err != nil {
		return activities.FundsCheck{Reason: "balance unknown: " + errorText(err)}
	}
	return fc
}

// awaitFunds holds the payout until the balance may cover it (true: send
// the create again), an operator cancels it, or PAYOUT_FUNDS_WAIT is over
// (it fails). The balance is checked at growing intervals, the poll
// intervals of PAYOUT_POLL_INITIAL and PAYOUT_POLL_MAX; a balance that
// cannot be read sends the create again, which Heleket answers either way.
func (r *payoutRun) awaitFunds(ctx workflow.Context) (bool, error) {
	r.enter(ctx, phaseAwaitingFunds)
	t := timing(r.in.Timing)
	if r.in.FundsDeadline.IsZero() {
		r.in.FundsDeadline = workflow.Now(ctx).Add(t.FundsWait)
	}
	for {
		if r.historyFull(ctx) {
			return false, r.continueAsNew(ctx, 0)
		}
		r.fundsInterval = nextInterval(r.fundsInterval, t)
		if wait := min(r.fundsInterval, r.in.FundsDeadline.Sub(workflow.Now(ctx))); wait > 0 {
			_, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{Timeout: wait,
				TimerOptions: workflow.TimerOptions{Summary: "next balance check"}},
				func() bool { return !r.deciding && r.p.Status != payout.StatusAwaitingFunds })
			if err != nil {
				return false, fmt.Errorf("await funds: %w", err)
			}
		}
		if done, err := r.fundsDecided(ctx); done || err != nil {
			return false, err
		}
		if !workflow.Now(ctx).Before(r.in.FundsDeadline) {
			return false, r.expireFunds(ctx, t.FundsWait)
		}
		if fc := r.checkFunds(ctx); fc.Known && fc.Short {
			continue
		}
		if done, err := r.fundsDecided(ctx); done || err != nil {
			return false, err
		}
		return true, nil
	}
}

// fundsDecided waits for a decision being recorded and reports whether
// the payout no longer awaits funds (an operator cancelled it).
func (r *payoutRun) fundsDecided(ctx workflow.Context) (bool, error) {
	if err := workflow.Await(ctx, func() bool { return !r.deciding }); err != nil {
		return false, fmt.Errorf("await decision: %w", err)
	}
	return r.p.Status != payout.StatusAwaitingFunds, nil
}

// expireFunds fails the payout once PAYOUT_FUNDS_WAIT is over. Marked as
// a decision so that a cancel arriving meanwhile is refused, not lost.
func (r *payoutRun) expireFunds(ctx workflow.Context, wait time.Duration) error {
	r.deciding = true
	defer func() { r.deciding = false }()
	last := "the balance did not cover it"
	if r.p.WaitingFor != nil && r.p.WaitingFor.Reason != "" {
		last = r.p.WaitingFor.Reason
	}
	return r.record(ctx, payout.Change{PayoutID: r.p.ID, To: payout.StatusFailed, Source: payout.SourceWorkflow,
		FailureReason: fmt.Sprintf("funds did not arrive within PAYOUT_FUNDS_WAIT (%s): %s", wait, last),
		Details:       map[string]any{"funds_wait": wait.String(), "waited_for": last}})
}

// fundsCtx bounds a balance check: a few minutes of retries, then the
// balance is unknown for this round.
func fundsCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 3 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Second,
		},
	})
}
