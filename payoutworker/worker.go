// Package payoutworker wires the payout workflows and activities into a Temporal
// worker.
package payoutworker

import (
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/workflows"
)

// New returns a worker with everything registered; the caller starts it.
func New(c client.Client, taskQueue string, acts *activities.Activities, opts worker.Options) worker.Worker {
	w := worker.New(c, taskQueue, opts)
	Register(w, acts)
	return w
}

// Register adds the workflows and activities to any registry (a worker, a
// test environment or a replayer).
func Register(r worker.Registry, acts *activities.Activities) {
	RegisterWorkflows(r)
	r.RegisterActivity(acts)
}

// RegisterWorkflows adds the workflows alone, e.g. to a replayer.
func RegisterWorkflows(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(workflows.Payout, workflow.RegisterOptions{Name: workflows.PayoutWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.ScheduledPayout, workflow.RegisterOptions{Name: workflows.ScheduledPayoutWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.Batch, workflow.RegisterOptions{Name: workflows.BatchWorkflowName})
}
