package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/heleket-payouts/payouts/payout"
)

// Refusals of the decision updates. Their text reaches the admin as the
// reason of a 409.
var (
	ErrNotAwaitingApproval = errors.New("payout is not awaiting approval")
	ErrSelfApproval        = errors.New("the admin who requested a payout cannot approve it")
	ErrAlreadySubmitted    = errors.New("payout was already sent to Heleket, which has no cancel API")
	ErrSubmitting          = errors.New("payout is being sent to Heleket: the create request may already have " +
		"reached it, and Heleket has no cancel API, so it can no longer be stopped; it will be followed to its end")
	ErrDecisionInProgress = errors.New("another decision on this payout is being recorded")
	ErrNoActor            = errors.New("decision without an admin name")
)

// registerDecisions installs the approve, reject and cancel updates. The
// validators run on the workflow's own state, so they refuse before
// anything is written; deciding marks a decision in flight so two admins (or
// an admin and the expiry timer) cannot both decide.
func (r *payoutRun) registerDecisions(ctx workflow.Context) error {
	updates := []struct {
		name     string
		validate func(Decision) error
		to       payout.Status
	}{
		{UpdateApprove, r.validateApprove, payout.StatusRequested},
		{UpdateReject, r.validateReject, payout.StatusRejected},
		{UpdateCancel, r.validateCancel, payout.StatusCancelled},
	}
	for _, u := range updates {
		handler := r.decisionHandler(u.name, u.to)
		opts := workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, d Decision) error { return u.validate(d) }}
		if err := workflow.SetUpdateHandlerWithOptions(ctx, u.name, handler, opts); err != nil {
			return fmt.Errorf("register %s update: %w", u.name, err)
		}
	}
	return nil
}

func (r *payoutRun) validateCommon(d Decision) error {
	if d.Actor == "" {
		return ErrNoActor
	}
	if r.deciding {
		return ErrDecisionInProgress
	}
	return nil
}

func (r *payoutRun) validateApprove(d Decision) error {
	if err := r.validateCommon(d); err != nil {
		return err
	}
	if r.p.Status != payout.StatusAwaitingApproval {
		return fmt.Errorf("%w (it is %s)", ErrNotAwaitingApproval, r.p.Status)
	}
	if d.Actor == r.p.RequestedBy {
		return ErrSelfApproval
	}
	return nil
}

func (r *payoutRun) validateReject(d Decision) error {
	if err := r.validateCommon(d); err != nil {
		return err
	}
	if r.p.Status != payout.StatusAwaitingApproval {
		return fmt.Errorf("%w (it is %s)", ErrNotAwaitingApproval, r.p.Status)
	}
	return nil
}

func (r *payoutRun) validateCancel(d Decision) error {
	if err := r.validateCommon(d); err != nil {
		return err
	}
	if r.phase == phaseSubmitting {
		return ErrSubmitting
	}
	if !payout.CanTransition(r.p.Status, payout.StatusCancelled) ||
		(r.p.Status != payout.StatusRequested && r.p.Status != payout.StatusAwaitingApproval &&
			r.p.Status != payout.StatusAwaitingFunds) {
		return fmt.Errorf("%w (it is %s)", ErrAlreadySubmitted, r.p.Status)
	}
	return nil
}

func (r *payoutRun) decisionHandler(name string, to payout.Status) func(workflow.Context, Decision) (PayoutState, error) {
	return func(ctx workflow.Context, d Decision) (PayoutState, error) {
		r.deciding = true
		defer func() { r.deciding = false }()
		// The change is written against the stored record.
		if err := workflow.Await(ctx, func() bool { return r.phase != phaseStarting }); err != nil {
			return r.state, err
		}
		details := map[string]any{"decision": name}
		if d.Reason != "" {
			details["reason"] = d.Reason
		}
		c := payout.Change{PayoutID: r.p.ID, To: to, Source: payout.SourceAdmin, Actor: d.Actor, Details: details}
		if to != payout.StatusRequested {
			c.FailureReason = fmt.Sprintf("%s by %s", name, d.Actor)
			if d.Reason != "" {
				c.FailureReason += ": " + d.Reason
			}
		}
		if err := r.record(ctx, c); err != nil {
			return r.state, err
		}
		if r.p.Status != to {
			return r.state, fmt.Errorf("payout is %s; the %s was not recorded", r.p.Status, name)
		}
		return r.state, nil
	}
}

// awaitApproval holds the payout until a second admin decides or the
// approval window closes; then it expires.
func (r *payoutRun) awaitApproval(ctx workflow.Context) error {
	r.enter(ctx, phaseAwaitingApproval)
	timeout := r.in.Timing.ApprovalTimeout
	if timeout <= 0 {
		timeout = 24 * time.Hour
	}
	decided, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
		Timeout:      timeout,
		TimerOptions: workflow.TimerOptions{Summary: "approval window"},
	}, func() bool { return !r.deciding && r.p.Status != payout.StatusAwaitingApproval })
	if err != nil {
		return fmt.Errorf("await approval: %w", err)
	}
	if decided {
		return nil
	}
	r.deciding = true
	defer func() { r.deciding = false }()
	return r.record(ctx, payout.Change{PayoutID: r.p.ID, To: payout.StatusExpired, Source: payout.SourceWorkflow,
		FailureReason: "approval window of " + timeout.String() + " closed", Details: map[string]any{"approval_timeout": timeout.String()}})
}
