// Package starter starts payout workflows. Workflow ID payout-<id> plus the
// "use existing" conflict policy make a start idempotent: a repeated
// request joins the running workflow instead of starting a second one.
package starter

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/workflows"
)

// Starter starts payout workflows on the payouts task queue.
type Starter struct {
	Client    client.Client
	TaskQueue string
	Timing    workflows.Timing
}

// Options returns the start options of a payout's workflow.
func (s *Starter) Options(p payout.Payout) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:        payout.WorkflowID(p.ID),
		TaskQueue: s.TaskQueue,
		// A closed run may be started again (a resumed payout); Heleket's
		// order_id and the guarded transitions keep that harmless.
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    temporal.NewSearchAttributes(workflows.SearchAttributes(p)...),
		StaticSummary:            workflows.Summary(p),
	}
}

// Input is the workflow input for a payout. The starter is only ever given
// stored payouts, so the workflow need not write the row again.
func (s *Starter) Input(p payout.Payout) workflows.PayoutInput {
	return workflows.PayoutInput{Payout: p, Timing: s.Timing, Persisted: true}
}

// Start starts the payout's workflow, or finds the one already running.
func (s *Starter) Start(ctx context.Context, p payout.Payout) (client.WorkflowRun, error) {
	run, err := s.Client.ExecuteWorkflow(ctx, s.Options(p), workflows.PayoutWorkflowName, s.Input(p))
	if err != nil {
		return nil, fmt.Errorf("start workflow for payout %s: %w", p.ID, err)
	}
	return run, nil
}
