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

// maxHistory bounds one run's history unless the input sets a bound of its
// own (PayoutInput.MaxHistory); a payout that keeps polling for days
// continues as new instead of growing without limit.
const maxHistory = 2000

// Payout drives one payout from the stored request to a final status:
// persist, submit to Heleket, then follow it by webhook, confirmed by a
// status call, or by polling when the webhook is late.
func Payout(ctx workflow.Context, in PayoutInput) (PayoutState, error) {
	// The input's record answers the decision validators until the stored
	// one is loaded.
	r := &payoutRun{in: in, p: in.Payout, signals: workflow.GetSignalChannel(ctx, SignalHeleketUpdate)}
	r.state = PayoutState{PayoutID: in.Payout.ID, Status: in.Payout.Status, Phase: phaseStarting.String(),
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
	r.enter(ctx, phaseFinished)
	return r.state, nil
}

type payoutRun struct {
	in      PayoutInput
	p       payout.Payout
	state   PayoutState
	signals workflow.ReceiveChannel
	// phase is where the run is (phase.go); call names the Heleket call
	// in flight while it follows the payout, "" between calls; heldReason
	// says why Heleket's answer to the create is not ours (phaseHeld).
	phase      phase
	call       string
	heldReason string
	// deciding is set while an admin decision or the approval expiry is
	// being recorded. It is a flag beside the phase, not a phase: a
	// decision is an update handler running concurrently with the main
	// coroutine, in whatever phase that is (a cancel arrives while the
	// payout awaits approval, is held, or is still starting), and the
	// phases wait for it (nothing is submitted while a cancel is being
	// recorded) rather than become it. It also refuses a second decision
	// while one is in flight.
	deciding bool
	// carry holds a webhook taken but not yet confirmed when the history
	// filled up: the next run handles it first.
	carry []payout.HeleketUpdate
	// fundsInterval is the wait before the next balance check while the
	// payout awaits funds; it grows like the poll interval.
	fundsInterval time.Duration
}

func (r *payoutRun) run(ctx workflow.Context) error {
	if err := r.load(ctx); err != nil {
		return err
	}
	if r.p.Status == payout.StatusAwaitingApproval {
		if err := r.awaitApproval(ctx); err != nil {
			return err
		}
		r.enter(ctx, phaseReady)
	}
	// A cancel being recorded must finish before the money can leave.
	if err := workflow.Await(ctx, func() bool { return !r.deciding }); err != nil {
		return fmt.Errorf("await decision: %w", err)
	}
	if r.p.Status == payout.StatusRequested || r.p.Status == payout.StatusAwaitingFunds {
		if err := beforeSubmit(ctx); err != nil {
			return err
		}
		if err := r.submit(ctx); err != nil {
			return err
		}
		// Past the create: the run leaves phaseSubmitting (here or in
		// follow), and a cancel is refused for what the status says.
	}
	if r.p.Status.Final() {
		r.enter(ctx, phaseFinished)
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
	// Loaded: decisions waiting for the record go on.
	r.enter(ctx, phaseReady)
	return nil
}

func (r *payoutRun) submit(ctx workflow.Context) error {
	if r.p.Status == payout.StatusAwaitingFunds {
		// A run continued (or restarted) while the payout awaits funds.
		again, err := r.awaitFunds(ctx)
		if err != nil || !again {
			return err
		}
	}
	for {
		again, err := r.submitOnce(ctx)
		if err != nil || !again {
			return err
		}
	}
}

// submitOnce sends the create; it reports whether to send it again (the
// payout waited for funds and they may be there).
func (r *payoutRun) submitOnce(ctx workflow.Context) (bool, error) {
	r.enter(ctx, phaseSubmitting)
	var upd payout.HeleketUpdate
	err := workflow.ExecuteActivity(submitCtx(ctx), acts.Submit, r.p).Get(ctx, &upd)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeRejected {
		return r.refused(ctx, appErr)
	}
	if errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeMismatch {
		return false, r.hold(ctx, appErr.Message())
	}
	if err != nil {
		return false, fmt.Errorf("submit: %w", err)
	}
	r.state.HeleketUUID, r.state.HeleketStatus = upd.UUID, upd.Status
	err = r.record(ctx, payout.Change{PayoutID: r.p.ID, To: payout.StatusSubmitted, Source: payout.SourceWorkflow,
		HeleketUUID: upd.UUID, Details: map[string]any{"heleket_status": upd.Status}})
	if err != nil {
		return false, err
	}
	r.in.FundsDeadline = time.Time{}
	// A repeated create (after a lost response) may show a payout that has
	// already moved on; "process" is what submitted means.
	if upd.Status != "process" {
		return false, r.apply(ctx, upd, payout.SourceWorkflow)
	}
	return false, nil
}

// follow waits for webhooks until PAYOUT_WEBHOOK_WAIT, then polls with
// growing intervals; webhooks are still taken while polling.
func (r *payoutRun) follow(ctx workflow.Context) error {
	t := timing(r.in.Timing)
	// The input says where a continued run resumes: a poll interval, once
	// the webhook wait is over. This is the one place that reads it so.
	following, interval, wait := phaseAwaitingWebhook, r.in.PollInterval, t.WebhookWait
	if interval > 0 {
		following, wait = phasePolling, interval
	}
	r.enter(ctx, following)
	for i, upd := range r.in.Pending {
		err := r.onWebhook(ctx, upd)
		if errors.Is(err, errHistoryFull) {
			r.carry = append(r.carry, r.in.Pending[i+1:]...)
			return r.continueAsNew(ctx, interval)
		}
		if err != nil {
			return err
		}
	}
	for !r.p.Status.Final() {
		if r.historyFull(ctx) {
			return r.continueAsNew(ctx, interval)
		}
		due, err := r.waitOnce(ctx, wait, following)
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
		following, interval = phasePolling, nextInterval(interval, t)
		wait = interval
	}
	return nil
}

// historyFull says the run should continue as new: past its history bound,
// or when the server suggests it.
//
// The suggestion was added to this check after payouts had run without
// it, so it is guarded. Replay itself is safe: the suggestion is read from
// the history (each WorkflowTaskStarted event records it), so a replay sees
// what the first execution saw. The server suggests only past its limits
// (limit.historyCount.suggestContinueAsNew, 4096 events;
// limit.historySize.suggestContinueAsNew, 4 MiB; too many updates), which
// a payout run never reached before the 2000-event bound made it continue,
// so the histories recorded before the change carry no suggestion at any
// check and would replay unguarded. But those limits are dynamic
// configuration: a server with a lower one could have suggested
// continue-as-new to a run the old code let go on, and that history would
// no longer replay. GetVersion is called only once the suggestion is there,
// so runs that never see it record nothing more.
func (r *payoutRun) historyFull(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	if info.GetCurrentHistoryLength() > r.maxHistory() {
		return true
	}
	return info.GetContinueAsNewSuggested() &&
		workflow.GetVersion(ctx, versionSuggestedContinueAsNew, workflow.DefaultVersion, 1) != workflow.DefaultVersion
}

// maxHistory is the input's history bound, or the default one.
func (r *payoutRun) maxHistory() int {
	if r.in.MaxHistory > 0 {
		return r.in.MaxHistory
	}
	return maxHistory
}

// waitOnce takes webhooks until the payout is final or the wait is over;
// it reports whether a poll is due. One timer covers the whole wait, so the
// deadline holds however many non-final webhooks arrive.
func (r *payoutRun) waitOnce(ctx workflow.Context, wait time.Duration, following phase) (bool, error) {
	r.enter(ctx, following)
	deadline := workflow.Now(ctx).Add(wait)
	timerCtx, cancel := workflow.WithCancel(ctx)
	timer := workflow.NewTimerWithOptions(timerCtx, wait, workflow.TimerOptions{Summary: following.String()})
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
	confirmed, err := r.askHeleket(ctx, callConfirmWebhook)
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
	upd, err := r.askHeleket(ctx, callPoll)
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
	r.show(ctx)
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

// enter moves the run to a phase (no call in flight) and shows it.
func (r *payoutRun) enter(ctx workflow.Context, p phase) {
	r.phase, r.call = p, ""
	r.show(ctx)
}

// describe is the state query's phase: the call in flight, else the phase,
// with the reason of a hold.
func (r *payoutRun) describe() string {
	switch {
	case r.call != "":
		return r.call
	case r.phase == phaseHeld:
		return r.phase.String() + ": " + r.heldReason + "; cancel it (POST /payouts/{id}/cancel) once understood"
	case r.phase == phaseAwaitingFunds && r.p.WaitingFor != nil:
		return r.phase.String() + ": " + r.p.WaitingFor.Reason + "; sent again once the balance covers it, failed at " +
			r.in.FundsDeadline.UTC().Format(time.RFC3339)
	}
	return r.phase.String()
}

// show puts the phase, and a failing call's retries, in the state query
// and the Temporal UI's current details. It issues no command.
func (r *payoutRun) show(ctx workflow.Context) {
	r.state.Phase = r.describe()
	details := fmt.Sprintf("**%s** — %s", r.p.Status, r.state.Phase)
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
	if interval == 0 && r.p.Status != payout.StatusAwaitingFunds {
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
	if t.FundsWait <= 0 {
		t.FundsWait = defaultFundsWait
	}
	return t
}
