package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/reconcile"
)

// Names of the reconciliation workflow, its query, and its schedule and
// manual workflow IDs in production.
const (
	ReconcileWorkflowName = "Reconcile"
	QueryProgress         = "progress"
	ReconcileScheduleID   = "payout-reconciliation"
	ReconcileManualID     = "payout-reconciliation-manual"
)

// defaultBatchesPerRun keeps one run's history near 600 events; the
// workflow then continues as new with its position and totals.
const defaultBatchesPerRun = 100

// rec is only used to name reconciliation activity methods.
var rec *activities.Reconciler

// ReconcileInput starts a reconciliation; State is set when a run continues
// as new.
type ReconcileInput struct {
	Trigger       string          `json:"trigger"`
	BatchesPerRun int             `json:"batches_per_run,omitempty"`
	State         *ReconcileState `json:"state,omitempty"`
}

// ReconcileState is where a reconciliation is. It is all the workflow
// keeps, whatever the number of payouts: a phase, a cursor and counters.
type ReconcileState struct {
	RunID   string           `json:"run_id"`
	Window  reconcile.Window `json:"window"`
	Phase   reconcile.Phase  `json:"phase"`
	Cursor  string           `json:"cursor,omitempty"`
	Counts  reconcile.Counts `json:"counts"`
	Batches int              `json:"batches"`
}

// ReconcileProgress answers the progress query and is the result.
type ReconcileProgress struct {
	ReconcileState
	Status reconcile.Status `json:"status"`
	HeldBy string           `json:"held_by,omitempty"`
	Error  string           `json:"error,omitempty"`
}

// Reconcile compares Postgres with Heleket: Heleket's history in the
// window, then every open payout, then the payouts that failed in the
// window. Each batch is one activity that returns only a cursor and
// totals, so the history stays small and memory stays flat.
func Reconcile(ctx workflow.Context, in ReconcileInput) (ReconcileProgress, error) {
	r := &reconcileRun{in: in, p: ReconcileProgress{Status: reconcile.StatusRunning}}
	if in.State != nil {
		r.p.ReconcileState = *in.State
	} else {
		r.p.RunID = firstRunID(ctx)
		r.p.Phase = reconcile.PhaseBegin
	}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (ReconcileProgress, error) { return r.p, nil }); err != nil {
		return r.p, fmt.Errorf("register progress query: %w", err)
	}
	return r.run(ctx)
}

// firstRunID names the whole chain of runs, so continue-as-new keeps the
// reconciliation's ID.
func firstRunID(ctx workflow.Context) string {
	info := workflow.GetInfo(ctx)
	if info.FirstRunID != "" {
		return info.FirstRunID
	}
	return info.WorkflowExecution.RunID
}

type reconcileRun struct {
	in ReconcileInput
	p  ReconcileProgress
}

func (r *reconcileRun) run(ctx workflow.Context) (ReconcileProgress, error) {
	if r.p.Phase == reconcile.PhaseBegin {
		if err := r.begin(ctx); err != nil || r.p.Status != reconcile.StatusRunning {
			return r.p, err
		}
	}
	limit := r.in.BatchesPerRun
	if limit <= 0 {
		limit = defaultBatchesPerRun
	}
	for n := 0; r.p.Phase != reconcile.PhaseFinish; n++ {
		if n == limit {
			next := r.in
			next.State = &r.p.ReconcileState
			return r.p, workflow.NewContinueAsNewError(ctx, ReconcileWorkflowName, next)
		}
		if err := r.batch(ctx); err != nil {
			return r.fail(ctx, err)
		}
	}
	return r.finish(ctx)
}

func (r *reconcileRun) begin(ctx workflow.Context) error {
	var b reconcile.Begun
	err := workflow.ExecuteActivity(shortCtx(ctx, "begin: take the lease, fix the window"), rec.ReconcileBegin,
		reconcile.Begin{RunID: r.p.RunID, Trigger: r.in.Trigger}).Get(ctx, &b)
	if err != nil {
		return fmt.Errorf("begin reconciliation %s: %w", r.p.RunID, err)
	}
	r.p.Window, r.p.Status, r.p.HeldBy = b.Window, b.Status, b.HeldBy
	r.p.Phase = reconcile.PhaseHeleket
	if b.Status != reconcile.StatusRunning {
		r.p.Phase = reconcile.PhaseDone
	}
	r.details(ctx)
	return nil
}

// phaseActivity maps a phase to its batch activity and the phase after it.
func phaseActivity(p reconcile.Phase) (any, reconcile.Phase, string) {
	switch p {
	case reconcile.PhaseHeleket:
		return rec.ReconcileHeleket, reconcile.PhaseOpen, "compare Heleket history"
	case reconcile.PhaseOpen:
		return rec.ReconcileOpen, reconcile.PhaseFailed, "check open payouts"
	default:
		return rec.ReconcileFailed, reconcile.PhaseFinish, "alert failed payouts"
	}
}

func (r *reconcileRun) batch(ctx workflow.Context) error {
	act, next, summary := phaseActivity(r.p.Phase)
	in := reconcile.Batch{RunID: r.p.RunID, Window: r.p.Window, Phase: r.p.Phase, Cursor: r.p.Cursor, Counts: r.p.Counts}
	var out reconcile.BatchResult
	if err := workflow.ExecuteActivity(batchCtx(ctx, summary), act, in).Get(ctx, &out); err != nil {
		return fmt.Errorf("%s: %w", summary, err)
	}
	r.p.Counts, r.p.Cursor = out.Counts, out.Cursor
	r.p.Batches++
	if out.Done {
		r.p.Phase, r.p.Cursor = next, ""
	}
	r.details(ctx)
	return nil
}

func (r *reconcileRun) finish(ctx workflow.Context) (ReconcileProgress, error) {
	err := workflow.ExecuteActivity(shortCtx(ctx, "finish: resolve settled discrepancies"), rec.ReconcileFinish,
		reconcile.Finish{RunID: r.p.RunID, Status: reconcile.StatusSucceeded, Counts: r.p.Counts}).Get(ctx, &r.p.Counts)
	if err != nil {
		return r.fail(ctx, fmt.Errorf("finish: %w", err))
	}
	r.p.Status, r.p.Phase = reconcile.StatusSucceeded, reconcile.PhaseDone
	r.details(ctx)
	return r.p, nil
}

// fail records the failure on the run row, even when the workflow is being
// cancelled, and returns the original error.
func (r *reconcileRun) fail(ctx workflow.Context, cause error) (ReconcileProgress, error) {
	r.p.Status, r.p.Error = reconcile.StatusFailed, cause.Error()
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	err := workflow.ExecuteActivity(shortCtx(dctx, "finish: record the failure"), rec.ReconcileFinish,
		reconcile.Finish{RunID: r.p.RunID, Status: reconcile.StatusFailed, Counts: r.p.Counts, Error: r.p.Error}).Get(dctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("record failed reconciliation", "run_id", r.p.RunID, "error", err)
	}
	r.p.Phase = reconcile.PhaseDone
	r.details(ctx)
	return r.p, cause
}

// details shows progress in the Temporal UI.
func (r *reconcileRun) details(ctx workflow.Context) {
	c := r.p.Counts
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("**%s** — %s; Heleket items %d, open payouts %d, ahead %d, resumed %d, orphans %d, stuck %d",
		r.p.Status, r.p.Phase, c.HeleketItems, c.OpenPayouts, c.HeleketAhead, c.Resumed, c.Orphans, c.Stuck))
}

func shortCtx(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 10 * time.Minute,
		Summary:                summary,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
}

// batchCtx retries a batch for up to an hour; a longer Heleket or Postgres
// outage fails the run and the next scheduled one starts over from the
// last watermark. A silent batch loses its lease, and stops, after
// activities.DefaultLeaseTTL.
func batchCtx(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    5 * time.Minute,
		ScheduleToCloseTimeout: time.Hour,
		HeartbeatTimeout:       time.Minute,
		Summary:                summary,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			NonRetryableErrorTypes: []string{activities.ErrTypeLeaseLost, activities.ErrTypeHeleketAuth},
		},
	})
}
