package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/heleket-payouts/payouts/activities"
)

// Campaign states, as store.BatchState names them.
const (
	batchAwaitingApproval = "awaiting_approval"
	batchStarting         = "starting"
	batchPaused           = "paused"
	batchCancelled        = "cancelled"
	batchStarted          = "started"
)

// Names of the campaign workflow, its query and its decisions.
const (
	BatchWorkflowName = "Batch"
	UpdateBatchPause  = "pause"
	UpdateBatchResume = "resume"
	UpdateBatchCancel = "cancel"
	// A campaign over an approval threshold waits for one decision.
	UpdateBatchApprove = "approve"
	UpdateBatchReject  = "reject"
)

// BatchWorkflowID is the workflow of a campaign.
func BatchWorkflowID(batchID string) string { return "batch-" + batchID }

// batchPageSize is how many rows one activity starts: big enough that a
// 100,000-row campaign is 200 activities, small enough that a worker that
// dies mid-page repeats little (every start is idempotent anyway).
const batchPageSize = 500

// BatchInput starts (or continues) a campaign's workflow.
type BatchInput struct {
	BatchID string `json:"batch_id"`
	Rows    int    `json:"rows"`
	// After is the last payout ID a page handed out: the next page starts
	// past it. Started counts the rows started so far.
	After   string `json:"after,omitempty"`
	Started int    `json:"started,omitempty"`
	Paused  bool   `json:"paused,omitempty"`
	// PageSize and MaxHistory default to batchPageSize and maxHistory;
	// tests set them to reach continue-as-new cheaply.
	PageSize   int `json:"page_size,omitempty"`
	MaxHistory int `json:"max_history,omitempty"`
}

// BatchProgress answers the state query and is the workflow's result.
type BatchProgress struct {
	BatchID string `json:"batch_id"`
	Rows    int    `json:"rows"`
	Started int    `json:"started"`
	// State is starting, paused, cancelled or started (store.BatchState).
	State string `json:"state"`
	// Cancelled counts the rows a cancel stopped before they started.
	Cancelled int `json:"cancelled,omitempty"`
}

// BatchDecision is the argument of the pause, resume and cancel updates.
type BatchDecision struct {
	Actor  string `json:"actor"`
	Reason string `json:"reason,omitempty"`
}

// ErrBatchOver refuses a pause, resume or cancel of a campaign whose rows
// have all started, or that was cancelled.
var ErrBatchOver = errors.New("the campaign is over")

// ErrBatchNotAwaiting refuses an approval or rejection of a campaign that
// does not await one; ErrBatchAwaiting refuses pause, resume and cancel of
// one that does (approve or reject it).
var (
	ErrBatchNotAwaiting = errors.New("the campaign is not awaiting approval")
	ErrBatchAwaiting    = errors.New("the campaign awaits approval: approve or reject it")
)

type batchRun struct {
	in       BatchInput
	progress BatchProgress
	// deciding is set while a decision is recorded; inPage while a page of
	// starts is out, or the campaign's end is being recorded. A cancel
	// waits for the page, so no row can be cancelled in Postgres while its
	// workflow is being started; a decision waits for the end, so it never
	// races the workflow's own "started" write.
	deciding, inPage bool
	// finishHolds: this run's "started" write holds decisions
	// (versionBatchFinishHolds).
	finishHolds bool
}

// Batch starts a campaign's payouts, page by page, until every row is
// started or the campaign is cancelled. Each page is one activity that
// starts its rows' workflows through the payout gate with bounded
// concurrency and records them started, so a killed API or worker repeats
// at most one page, and every start of it is idempotent. Pause holds the
// next page; cancel stops starting and cancels the rows not started yet,
// while the started ones go on.
func Batch(ctx workflow.Context, in BatchInput) (BatchProgress, error) {
	b := &batchRun{in: in, progress: BatchProgress{BatchID: in.BatchID, Rows: in.Rows, Started: in.Started,
		State: batchStarting}}
	if in.Paused {
		b.progress.State = batchPaused
	}
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (BatchProgress, error) { return b.progress, nil }); err != nil {
		return b.progress, fmt.Errorf("register state query: %w", err)
	}
	if err := b.registerDecisions(ctx); err != nil {
		return b.progress, err
	}
	b.show(ctx)
	if err := b.run(ctx); err != nil {
		return b.progress, err
	}
	b.show(ctx)
	return b.progress, workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

func (b *batchRun) run(ctx workflow.Context) error {
	for {
		if err := workflow.Await(ctx, func() bool {
			return !b.deciding && b.progress.State != batchPaused && b.progress.State != batchAwaitingApproval
		}); err != nil {
			return fmt.Errorf("await resume: %w", err)
		}
		if b.progress.State == batchCancelled || b.progress.State == batchStarted {
			return nil
		}
		if b.historyFull(ctx) {
			return b.continueAsNew(ctx)
		}
		done, err := b.startPage(ctx)
		if err != nil {
			return err
		}
		if done {
			return b.finish(ctx)
		}
	}
}

// startPage starts the next page of rows; done says none are left.
func (b *batchRun) startPage(ctx workflow.Context) (bool, error) {
	b.inPage = true
	defer func() { b.inPage = false }()
	req := activities.BatchPage{BatchID: b.in.BatchID, After: b.in.After, Limit: b.pageSize()}
	var page activities.BatchPageResult
	if err := workflow.ExecuteActivity(batchPageCtx(ctx), acts.StartBatchPage, req).Get(ctx, &page); err != nil {
		return false, fmt.Errorf("start rows of batch %s after %q: %w", b.in.BatchID, b.in.After, err)
	}
	if page.State == batchCancelled || page.State == batchStarted || page.State == batchAwaitingApproval {
		// Over already (a repeated request), or stored awaiting one
		// approval for the whole campaign: nothing was started.
		b.progress.State = page.State
		b.show(ctx)
		return false, nil
	}
	b.progress.Started += page.Started
	if page.Last != "" {
		b.in.After = page.Last
	}
	b.show(ctx)
	return page.Started < req.Limit, nil
}

// finish records that every row has started.
func (b *batchRun) finish(ctx workflow.Context) error {
	if workflow.GetVersion(ctx, versionBatchFinishHolds, workflow.DefaultVersion, 1) == 1 {
		b.finishHolds = true
		b.inPage = true
		defer func() { b.inPage = false }()
	}
	change := activities.BatchChange{BatchID: b.in.BatchID, To: batchStarted, Action: "started",
		Actor: "workflow", Details: map[string]any{"started": b.progress.Started}}
	if err := workflow.ExecuteLocalActivity(dbCtx(ctx), acts.SetBatchState, change).Get(ctx, nil); err != nil {
		return fmt.Errorf("record batch %s started: %w", b.in.BatchID, err)
	}
	b.progress.State = batchStarted
	return nil
}

func (b *batchRun) registerDecisions(ctx workflow.Context) error {
	decisions := []struct {
		name   string
		handle func(workflow.Context, BatchDecision) (BatchProgress, error)
	}{{UpdateBatchPause, b.pause}, {UpdateBatchResume, b.resume}, {UpdateBatchCancel, b.cancel},
		{UpdateBatchApprove, b.approve}, {UpdateBatchReject, b.reject}}
	for _, u := range decisions {
		approval := u.name == UpdateBatchApprove || u.name == UpdateBatchReject
		opts := workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, d BatchDecision) error { return b.validate(d, approval) }}
		if err := workflow.SetUpdateHandlerWithOptions(ctx, u.name, u.handle, opts); err != nil {
			return fmt.Errorf("register %s update: %w", u.name, err)
		}
	}
	return nil
}

// validate refuses before anything is written: decisions need an admin,
// one at a time, on a campaign still starting rows. Repeating the state
// the campaign is in is accepted and changes nothing (idempotent).
func (b *batchRun) validate(d BatchDecision, approval bool) error {
	awaiting := b.progress.State == batchAwaitingApproval
	switch {
	case d.Actor == "":
		return ErrNoActor
	case b.deciding:
		return ErrDecisionInProgress
	case b.progress.State == batchStarted:
		return fmt.Errorf("%w: every row has started, and started payouts go on", ErrBatchOver)
	case approval && !awaiting && b.progress.State != batchStarting && b.progress.State != batchCancelled:
		return ErrBatchNotAwaiting
	case !approval && awaiting:
		return ErrBatchAwaiting
	}
	return nil
}

// approve releases a campaign that awaited approval: its pages start.
// Approving one already approved (starting) changes nothing.
func (b *batchRun) approve(ctx workflow.Context, d BatchDecision) (BatchProgress, error) {
	if b.progress.State == batchCancelled {
		return b.progress, fmt.Errorf("%w: it was rejected or cancelled", ErrBatchOver)
	}
	if b.progress.State != batchAwaitingApproval {
		return b.progress, nil
	}
	return b.decide(ctx, d, batchStarting, "approved")
}

// reject ends a campaign that awaited approval: none of its rows start,
// each is cancelled with its audit row.
func (b *batchRun) reject(ctx workflow.Context, d BatchDecision) (BatchProgress, error) {
	if b.progress.State == batchStarting {
		return b.progress, fmt.Errorf("%w: it was approved", ErrBatchNotAwaiting)
	}
	return b.decide(ctx, d, batchCancelled, "rejected")
}

func (b *batchRun) pause(ctx workflow.Context, d BatchDecision) (BatchProgress, error) {
	return b.decide(ctx, d, batchPaused, "paused")
}

func (b *batchRun) resume(ctx workflow.Context, d BatchDecision) (BatchProgress, error) {
	return b.decide(ctx, d, batchStarting, "resumed")
}

// cancel waits for a page in flight, so nothing it starts is cancelled
// under it, then cancels the rows not started yet.
func (b *batchRun) cancel(ctx workflow.Context, d BatchDecision) (BatchProgress, error) {
	return b.decide(ctx, d, batchCancelled, "cancelled")
}

func (b *batchRun) decide(ctx workflow.Context, d BatchDecision, to string, action string) (BatchProgress, error) {
	if b.progress.State == to {
		return b.progress, nil
	}
	if b.progress.State == batchCancelled {
		return b.progress, fmt.Errorf("%w: it was cancelled", ErrBatchOver)
	}
	b.deciding = true
	defer func() { b.deciding = false }()
	if err := workflow.Await(ctx, func() bool { return !b.inPage }); err != nil {
		return b.progress, err
	}
	if b.finishHolds && b.progress.State == batchStarted {
		// The page waited for was the last one.
		return b.progress, fmt.Errorf("%w: every row has started, and started payouts go on", ErrBatchOver)
	}
	change := activities.BatchChange{BatchID: b.in.BatchID, To: to, Action: action, Actor: d.Actor}
	if d.Reason != "" {
		change.Details = map[string]any{"reason": d.Reason}
	}
	if err := workflow.ExecuteLocalActivity(dbCtx(ctx), acts.SetBatchState, change).Get(ctx, nil); err != nil {
		return b.progress, fmt.Errorf("record batch %s %s: %w", b.in.BatchID, action, err)
	}
	b.progress.State = to
	if to == batchCancelled {
		var n int
		if err := workflow.ExecuteActivity(batchPageCtx(ctx), acts.CancelUnstartedRows, change).Get(ctx, &n); err != nil {
			return b.progress, fmt.Errorf("cancel unstarted rows of batch %s: %w", b.in.BatchID, err)
		}
		b.progress.Cancelled = n
	}
	b.show(ctx)
	return b.progress, nil
}

// show is the campaign's progress where operators look.
func (b *batchRun) show(ctx workflow.Context) {
	p := b.progress
	details := fmt.Sprintf("**%s** — %d of %d rows started", p.State, p.Started, p.Rows)
	if p.Cancelled > 0 {
		details += fmt.Sprintf("; %d cancelled before they started", p.Cancelled)
	}
	workflow.SetCurrentDetails(ctx, details)
}

func (b *batchRun) historyFull(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	bound := maxHistory
	if b.in.MaxHistory > 0 {
		bound = b.in.MaxHistory
	}
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > bound
}

func (b *batchRun) continueAsNew(ctx workflow.Context) error {
	next := b.in
	next.Started, next.Paused = b.progress.Started, b.progress.State == batchPaused
	return workflow.NewContinueAsNewError(ctx, Batch, next)
}

func (b *batchRun) pageSize() int {
	if b.in.PageSize > 0 {
		return b.in.PageSize
	}
	return batchPageSize
}

// batchPageCtx: a page is a few seconds of workflow starts; it heartbeats,
// so a dead worker's page is retried soon on another.
func batchPageCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    30 * time.Second,
		Summary:             "start a page of campaign rows",
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}
