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
	r.setPhase(ctx, "finished")
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
	// held: Heleket holds another payout under our order_id; nothing goes
	// on until an operator cancels this one.
	held bool
	// carry holds a webhook taken but not yet confirmed when the history
	// filled up: the next run handles it first.
	carry []payout.HeleketUpdate
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
		// Past the create: a cancel is refused for what the status says.
		r.submitting = false
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
	if errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeMismatch {
		return r.hold(ctx, appErr.Message())
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
	for i, upd := range r.in.Pending {
		err := r.onWebhook(ctx, upd)
		if errors.Is(err, errHistoryFull) {
			r.carry = append(r.carry, r.in.Pending[i+1:]...)
			return r.continueAsNew(ctx, r.in.PollInterval)
		}
		if err != nil {
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
		if errors.Is(err, errHistoryFull) {
			return r.continueAsNew(ctx, interval)
		}
		if err != nil {
			return err
		}
		if !due {
			continue
		}
		if err := r.poll(ctx); errors.Is(err, errHistoryFull) {
			return r.continueAsNew(ctx, interval)
		} else if err != nil {
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
	if !r.needsConfirmation(ctx, upd) {
		return r.apply(ctx, upd, source)
	}
	r.setPhase(ctx, "confirming webhook with Heleket")
	confirmed, err := r.askHeleket(ctx)
	if errors.Is(err, errHistoryFull) {
		r.carry = append(r.carry, upd)
		return err
	}
	if err != nil {
		return fmt.Errorf("confirm webhook: %w", err)
	}
	return r.apply(ctx, confirmed.Attributed(upd), source)
}

// needsConfirmation: anything that would make the payout final in our
// records is asked of Heleket's API first, whatever the webhook's is_final
// says (a signed "paid" with is_final false is still only a hint).
func (r *payoutRun) needsConfirmation(ctx workflow.Context, upd payout.HeleketUpdate) bool {
	if upd.Final {
		return true
	}
	if workflow.GetVersion(ctx, versionConfirmFinal, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return false
	}
	c, ok := upd.Change(r.p.ID, payout.SourceWebhook)
	return ok && c.To.Final()
}

func (r *payoutRun) poll(ctx workflow.Context) error {
	r.state.Polls++
	r.setPhase(ctx, "polling Heleket")
	upd, err := r.askHeleket(ctx)
	if errors.Is(err, errHistoryFull) {
		return err
	}
	if err != nil {
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
	details := fmt.Sprintf("**%s** — %s", r.p.Status, phase)
	if rt := r.state.Retry; rt != nil {
		details += fmt.Sprintf("\n\n%s: attempt %d failed: %s\n\nnext try at %s", rt.Call, rt.Attempts, rt.LastError,
			rt.NextAttemptAt.UTC().Format("15:04:05 MST"))
	}
	workflow.SetCurrentDetails(ctx, details)
}

func (r *payoutRun) continueAsNew(ctx workflow.Context, interval time.Duration) error {
	next := r.in
	next.Payout = r.p
	next.Pending = r.carry
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
