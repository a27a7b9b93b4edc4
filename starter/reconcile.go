package starter

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/workflows"
)

// Reconciliation starts reconciliation runs, now or on a schedule.
type Reconciliation struct {
	Client    client.Client
	Store     *store.Store
	TaskQueue string
	Every     time.Duration // RECONCILE_EVERY
	LeaseTTL  time.Duration // a running run silent this long is presumed dead
	// ScheduleID and ManualID default to the production names; tests that
	// share a Temporal namespace give each environment its own.
	ScheduleID string
	ManualID   string
}

// Triggered names the run a trigger started or joined.
type Triggered struct {
	RunID      string `json:"id"`
	WorkflowID string `json:"workflow_id"`
	Joined     bool   `json:"joined"` // true: a run was already in progress
}

// ScheduleTrigger is the trigger recorded for scheduled runs.
const ScheduleTrigger = "schedule"

func (r *Reconciliation) scheduleID() string {
	if r.ScheduleID != "" {
		return r.ScheduleID
	}
	return workflows.ReconcileScheduleID
}

func (r *Reconciliation) manualID() string {
	if r.ManualID != "" {
		return r.ManualID
	}
	return workflows.ReconcileManualID
}

// Trigger runs reconciliation now. Triggers never make two runs work at
// once: a run holding the lease is joined; otherwise every trigger starts
// or joins the one manual workflow (conflict policy "use existing").
func (r *Reconciliation) Trigger(ctx context.Context, by string) (Triggered, error) {
	running, err := r.Store.RunningRun(ctx, r.LeaseTTL)
	if err == nil {
		_, err = r.Store.RequestRun(ctx, store.RunStart{ID: running.ID, Trigger: by, WorkflowID: running.WorkflowID})
		return Triggered{RunID: running.ID, WorkflowID: running.WorkflowID, Joined: true}, err
	}
	if !errors.Is(err, store.ErrNotFound) {
		return Triggered{}, fmt.Errorf("trigger reconciliation: %w", err)
	}
	run, err := r.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       r.manualID(),
		TaskQueue:                r.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		StaticSummary:            "payout reconciliation, triggered by " + by,
	}, workflows.ReconcileWorkflowName, workflows.ReconcileInput{Trigger: by})
	if err != nil {
		return Triggered{}, fmt.Errorf("start reconciliation workflow: %w", err)
	}
	id, err := r.firstRunID(ctx, run)
	if err != nil {
		return Triggered{}, err
	}
	first, err := r.Store.RequestRun(ctx, store.RunStart{ID: id, Trigger: by, WorkflowID: run.GetID()})
	if err != nil {
		return Triggered{}, err
	}
	return Triggered{RunID: id, WorkflowID: run.GetID(), Joined: !first}, nil
}

// firstRunID is the run's stable ID: a joined workflow may have continued
// as new, and its current run ID is then not the one its row is kept under.
func (r *Reconciliation) firstRunID(ctx context.Context, run client.WorkflowRun) (string, error) {
	desc, err := r.Client.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
	if err != nil {
		return "", fmt.Errorf("describe reconciliation workflow: %w", err)
	}
	if first := desc.GetWorkflowExecutionInfo().GetFirstRunId(); first != "" {
		return first, nil
	}
	return run.GetRunID(), nil
}

// EnsureSchedule creates the reconciliation schedule or brings an existing
// one to the current spec, keeping its state: a schedule an operator paused
// stays paused across worker restarts.
func (r *Reconciliation) EnsureSchedule(ctx context.Context) error {
	if r.Every <= 0 {
		return fmt.Errorf("reconciliation schedule: interval must be positive, got %s", r.Every)
	}
	spec, action, policy := r.scheduleParts()
	_, err := r.Client.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID: r.scheduleID(), Spec: spec, Action: action,
		Overlap: policy.Overlap, CatchupWindow: policy.CatchupWindow,
	})
	if err == nil {
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create reconciliation schedule %s: %w", r.scheduleID(), err)
	}
	h := r.Client.ScheduleClient().GetHandle(ctx, r.scheduleID())
	err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
		s := in.Description.Schedule
		s.Spec, s.Action, s.Policy = &spec, action, &policy
		return &client.ScheduleUpdate{Schedule: &s}, nil
	}})
	if err != nil {
		return fmt.Errorf("update reconciliation schedule %s: %w", r.scheduleID(), err)
	}
	return nil
}

// scheduleParts is the desired schedule: every Every, skipping a tick while
// a run is still going, and catching up at most one missed tick after an
// outage (the next run's window covers the gap anyway).
func (r *Reconciliation) scheduleParts() (client.ScheduleSpec, *client.ScheduleWorkflowAction, client.SchedulePolicies) {
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: r.Every}}}
	action := &client.ScheduleWorkflowAction{
		ID:            r.scheduleID(),
		Workflow:      workflows.ReconcileWorkflowName,
		Args:          []any{workflows.ReconcileInput{Trigger: ScheduleTrigger}},
		TaskQueue:     r.TaskQueue,
		StaticSummary: "scheduled payout reconciliation",
	}
	policy := client.SchedulePolicies{
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: max(10*time.Second, min(r.Every, 5*time.Minute)),
	}
	return spec, action, policy
}
