package payoutworker

import (
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/workflows"
)

// RegisterReconciliation adds the reconciliation workflow and its
// activities; a worker that runs payouts runs reconciliation too.
func RegisterReconciliation(r worker.Registry, rec *activities.Reconciler) {
	RegisterReconcileWorkflow(r)
	r.RegisterActivity(rec)
}

// RegisterReconcileWorkflow adds the workflow alone, e.g. to a replayer.
func RegisterReconcileWorkflow(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(workflows.Reconcile, workflow.RegisterOptions{Name: workflows.ReconcileWorkflowName})
}
