package reconcile_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/heleket-payouts/payouts/e2e/replaycheck"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/reconcile"
	"github.com/heleket-payouts/payouts/workflows"
)

// checkReplay waits for the reconciliation run to close, replays it and,
// with RECORD_HISTORIES=1, records it under workflows/testdata (runID ""
// is the latest run of the workflow ID).
func checkReplay(t *testing.T, e *testenv.Env, workflowID, runID, name string) {
	t.Helper()
	replaycheck.Check(t, e.Temporal, workflowID, runID, name)
}

// A run that finds something in every phase (an orphan at Heleket, a
// payout whose workflow never started), then one that continues as new
// after every batch: both replay.
func TestReconciliationHistoriesReplay(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	createAtHeleket(t, e, "orphan-replay", "2")
	lost := newPayout(payout.DeriveID(e.Installation, "api", "42", "lost-replay"))
	_, _, err := e.Store.CreatePayout(ctx, lost, testenv.AdminName, map[string]any{"via": "api"})
	require.NoError(t, err)

	tr := trigger(t, e)
	res := wait(t, e, tr)
	assert.Equal(t, reconcile.StatusSucceeded, res.Status)
	assert.Equal(t, 1, res.Counts.Orphans)
	assert.Equal(t, 1, res.Counts.Resumed)
	assert.Equal(t, payout.StatusPaid, e.WaitFinal(lost.ID).Status)
	checkReplay(t, e, tr.WorkflowID, "", "reconcile_run")

	run, err := e.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "reconcile-replay-" + e.TaskQueue, TaskQueue: e.TaskQueue},
		workflows.ReconcileWorkflowName, workflows.ReconcileInput{Trigger: "manual", BatchesPerRun: 1})
	require.NoError(t, err)
	// Get follows the chain, and GetRunID then names the last run.
	firstRun := run.GetRunID()
	var chained workflows.ReconcileProgress
	require.NoError(t, run.Get(ctx, &chained), "follows the chain of runs to its end")
	assert.Equal(t, reconcile.StatusSucceeded, chained.Status)
	assert.Equal(t, firstRun, chained.RunID, "the first run's ID names the whole chain")
	desc, err := e.Temporal.DescribeWorkflowExecution(ctx, run.GetID(), firstRun)
	require.NoError(t, err)
	assert.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, desc.GetWorkflowExecutionInfo().GetStatus())
	assert.GreaterOrEqual(t, chained.Batches, 3, "one batch per run, at least one per phase")
	checkReplay(t, e, run.GetID(), firstRun, "reconcile_continue_as_new_first_run")
	checkReplay(t, e, run.GetID(), "", "reconcile_continue_as_new_last_run")
}

// Heleket refuses our key: the run stops, records its failure on the run
// row, and fails; that path replays too.
func TestFailedReconciliationHistoryReplays(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true})
	wrong, err := heleket.New(heleket.Config{BaseURL: e.Sandbox.URL(), MerchantID: testenv.MerchantID, APIKey: "not-the-payout-key"})
	require.NoError(t, err)
	e.Rec.Heleket = wrong
	e.StartWorker()

	tr := trigger(t, e)
	ctx := context.Background()
	err = e.Temporal.GetWorkflow(ctx, tr.WorkflowID, "").Get(ctx, nil)
	require.Error(t, err, "the run fails")
	run := getRun(t, e, tr.ID)
	assert.Equal(t, reconcile.StatusFailed, run.Status)
	checkReplay(t, e, tr.WorkflowID, "", "reconcile_failed")
}
