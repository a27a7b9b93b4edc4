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

// acts is only used to name activity methods; the worker registers the real
// instance.
var acts *activities.Activities

// maxHistory bounds one run's history; a payout that keeps polling for days
// continues as new instead of growing without limit.
const maxHistory = 2000

// Payout drives one payout from the stored request to a final status:
// persist, submit to Heleket, then follow it by webhook, confirmed by a
// status call, or by polling when the webhook is late.
func Payout(ctx workflow.Context, in PayoutInput) (PayoutState, error) {
	// The input's record answers the decision validators until the stored
	// one is loaded.
	r := &payoutRun{in: in, p: in.Payout, signals: workflow.GetSignalChannel(ctx, SignalHeleketUpdate)}
	r.state = PayoutState{PayoutID: in.Payout.ID, Status: in.Payout.Status, Phase: "starting",
		Polls: in.Polls, Webhooks: in.Webhooks}
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (PayoutState, error) { return r.state, nil }); err != nil {
		return r.state, fmt.Errorf("register state query: %w", err)
	}
	if err := r.registerDecisions(ctx); err != nil {
		return r.state, err
	}
	WatchAttention(ctx)
	if err := r.run(ctx); err != nil {
		return r.state, err
	}
	return r.state, nil
}

type payoutRun struct {
	in      PayoutInput
	p       payout.Payout
	state   PayoutState
	signals workflow.ReceiveChannel
	// busy is set while an admin decision or the approval expiry is being
	// recorded; submitting once the create call to Heleket may have left.
	busy       bool
	submitting bool
	persisted  bool
}

func (r *payoutRun) run(ctx workflow.Context) error {
	if err := r.load(ctx); err != nil {
		return err
	}
	if r.p.Status == payout.StatusAwaitingApproval {
		if err := r.awaitApproval(ctx); err != nil {
			return err
		}
	}
	// A cancel being recorded must finish before the money can leave.
	if err := workflow.Await(ctx, func() bool { return !r.busy }); err != nil {
		return fmt.Errorf("await decision: %w", err)
	}
	if r.p.Status == payout.StatusRequested {
		r.submitting = true
		if err := r.submit(ctx); err != nil {
			return err
		}
	}
	if r.p.Status.Final() {
		return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	}
	return r.follow(ctx)
}

// load takes the stored record: from the input when the caller stored it,
// otherwise by writing it now (schedules start payouts that way).
func (r *payoutRun) load(ctx workflow.Context) error {
	stored := r.in.Payout
	if !r.in.Persisted {
		if err := workflow.ExecuteLocalActivity(dbCtx(ctx), acts.Persist, r.in.Payout).Get(ctx, &stored); err != nil {
			return fmt.Errorf("persist: %w", err)
		}
	}
	r.setRecord(ctx, stored, true)
	r.persisted = true
	return nil
}

func (r *payoutRun) submit(ctx workflow.Context) error {
	r.setPhase(ctx, "submitting to Heleket")
	var upd payout.HeleketUpdate
	err := workflow.ExecuteActivity(submitCtx(ctx), acts.Submit, r.p).Get(ctx, &upd)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeRejected {
		return r.record(ctx, payout.Change{PayoutID: r.p.ID, To: payout.StatusRejected, Source: payout.SourceWorkflow,
			FailureReason: appErr.Message(), Details: map[string]any{"reason": appErr.Message()}})
	}
	if err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	r.state.HeleketUUID, r.state.HeleketStatus = upd.UUID, upd.Status
	err = r.record(ctx, payout.Change{PayoutID: r.p.ID, To: payout.StatusSubmitted, Source: payout.SourceWorkflow,
		HeleketUUID: upd.UUID, Details: map[string]any{"heleket_status": upd.Status}})
	if err != nil {
		return err
	}
	// A repeated create (after a lost response) may show a payout that has
	// already moved on; "process" is what submitted means.
	if upd.Status != "process" {
		return r.apply(ctx, upd, payout.SourceWorkflow)
	}
	return nil
}

// follow waits for webhooks until PAYOUT_WEBHOOK_WAIT, then polls with
// growing intervals; webhooks are still taken while polling.
func (r *payoutRun) follow(ctx workflow.Context) error {
	for _, upd := range r.in.Pending {
		if err := r.onWebhook(ctx, upd); err != nil {
			return err
		}
	}
	t := timing(r.in.Timing)
	interval := r.in.PollInterval
	wait := t.WebhookWait
	if interval > 0 {
		wait = interval
	}
	for !r.p.Status.Final() {
		if workflow.GetInfo(ctx).GetCurrentHistoryLength() > maxHistory {
			return r.continueAsNew(ctx, interval)
		}
		due, err := r.waitOnce(ctx, wait, interval > 0)
		if err != nil {
			return err
		}
		if !due {
			continue
		}
		if err := r.poll(ctx); err != nil {
			return err
		}
		interval = nextInterval(interval, t)
		wait = interval
	}
	return nil
}

// waitOnce takes webhooks until the payout is final or the wait is over;
// it reports whether a poll is due. One timer covers the whole wait, so the
// deadline holds however many non-final webhooks arrive.
func (r *payoutRun) waitOnce(ctx workflow.Context, wait time.Duration, polling bool) (bool, error) {
	summary := "waiting for Heleket webhook"
	if polling {
		summary = "next status poll"
	}
	r.setPhase(ctx, summary)
	deadline := workflow.Now(ctx).Add(wait)
	timerCtx, cancel := workflow.WithCancel(ctx)
	timer := workflow.NewTimerWithOptions(timerCtx, wait, workflow.TimerOptions{Summary: summary})
	for {
		var upd payout.HeleketUpdate
		fired := false
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(r.signals, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, &upd) })
		sel.AddFuture(timer, func(workflow.Future) { fired = true })
		sel.Select(ctx)
		if fired {
			return true, nil
		}
		if err := r.onWebhook(ctx, upd); err != nil {
			return false, err
		}
		// A final payout ends the workflow, which drops the timer without
		// the extra history event of cancelling it.
		if r.p.Status.Final() {
			return false, nil
		}
		if !workflow.Now(ctx).Before(deadline) {
			cancel()
			return true, nil
		}
	}
}

// onWebhook records a non-final update as it comes; a final one wakes the
// workflow but is confirmed with Heleket's API before it is recorded.
func (r *payoutRun) onWebhook(ctx workflow.Context, upd payout.HeleketUpdate) error {
	r.state.Webhooks++
	source := payout.SourceWebhook
	if upd.Source != "" {
		source = upd.Source
	}
	if !upd.Final {
		return r.apply(ctx, upd, source)
	}
	r.setPhase(ctx, "confirming webhook with Heleket")
	var confirmed payout.HeleketUpdate
	if err := workflow.ExecuteLocalActivity(statusCtx(ctx), acts.Status, r.p.ID).Get(ctx, &confirmed); err != nil {
		return fmt.Errorf("confirm webhook: %w", err)
	}
	return r.apply(ctx, confirmed, source)
}

func (r *payoutRun) poll(ctx workflow.Context) error {
	r.state.Polls++
	r.setPhase(ctx, "polling Heleket")
	var upd payout.HeleketUpdate
	if err := workflow.ExecuteLocalActivity(statusCtx(ctx), acts.Status, r.p.ID).Get(ctx, &upd); err != nil {
		return fmt.Errorf("poll: %w", err)
	}
	return r.apply(ctx, upd, payout.SourcePoll)
}

// apply records what Heleket says when it moves the payout forward;
// duplicates and stale updates are dropped here without a database trip.
func (r *payoutRun) apply(ctx workflow.Context, upd payout.HeleketUpdate, source payout.Source) error {
	r.state.HeleketStatus = upd.Status
	if upd.UUID != "" {
		r.state.HeleketUUID = upd.UUID
	}
	c, ok := upd.Change(r.p.ID, source)
	if !ok {
		workflow.GetLogger(ctx).Warn("unknown Heleket status", "heleket_status", upd.Status)
		return nil
	}
	if !payout.CanTransition(r.p.Status, c.To) {
		return nil
	}
	return r.record(ctx, c)
}

func (r *payoutRun) record(ctx workflow.Context, c payout.Change) error {
	var stored payout.Payout
	if err := workflow.ExecuteLocalActivity(dbCtx(ctx), acts.Record, c).Get(ctx, &stored); err != nil {
		return fmt.Errorf("record %s: %w", c.To, err)
	}
	r.setRecord(ctx, stored, false)
	return nil
}

// setRecord adopts the stored record and mirrors its status into the
// search attributes, so the Temporal UI shows what Postgres says.
func (r *payoutRun) setRecord(ctx workflow.Context, p payout.Payout, first bool) {
	changed := first || p.Status != r.p.Status
	r.p = p
	r.state.Status = p.Status
	r.state.FailureReason = p.FailureReason
	if !changed {
		return
	}
	if err := r.upsertSearchAttributes(ctx, p, first); err != nil {
		workflow.GetLogger(ctx).Error("upsert search attributes", "error", err)
	}
	r.setPhase(ctx, r.state.Phase)
}

// upsertSearchAttributes writes only what visibility does not already
// show. The starter sets them all at start (and is what marks the input
// persisted), so only payouts started some other way, like schedules, need
// the first full upsert. The decision uses the input, not the current
// search attributes, because it must replay the same way.
func (r *payoutRun) upsertSearchAttributes(ctx workflow.Context, p payout.Payout, first bool) error {
	if !first {
		return workflow.UpsertTypedSearchAttributes(ctx, AttrStatus.ValueSet(string(p.Status)))
	}
	if r.in.Persisted && p.Status == r.in.Payout.Status {
		return nil
	}
	return workflow.UpsertTypedSearchAttributes(ctx, SearchAttributes(p)...)
}

func (r *payoutRun) setPhase(ctx workflow.Context, phase string) {
	r.state.Phase = phase
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**%s** — %s", r.p.Status, phase))
}

func (r *payoutRun) continueAsNew(ctx workflow.Context, interval time.Duration) error {
	next := r.in
	next.Payout = r.p
	next.Pending = nil
	for {
		var upd payout.HeleketUpdate
		if !r.signals.ReceiveAsync(&upd) {
			break
		}
		next.Pending = append(next.Pending, upd)
	}
	next.Persisted = true
	next.Polls, next.Webhooks, next.PollInterval = r.state.Polls, r.state.Webhooks, interval
	if interval == 0 {
		next.PollInterval = timing(r.in.Timing).PollInitial
	}
	return workflow.NewContinueAsNewError(ctx, Payout, next)
}

func nextInterval(cur time.Duration, t Timing) time.Duration {
	if cur == 0 {
		return t.PollInitial
	}
	return min(cur*2, t.PollMax)
}

// timing fills zero values so a hand-started workflow still behaves.
func timing(t Timing) Timing {
	if t.WebhookWait <= 0 {
		t.WebhookWait = 5 * time.Minute
	}
	if t.PollInitial <= 0 {
		t.PollInitial = 30 * time.Second
	}
	if t.PollMax < t.PollInitial {
		t.PollMax = max(30*time.Minute, t.PollInitial)
	}
	return t
}
