package e2e

import (
	"testing"

	"github.com/heleket-payouts/payouts/e2e/replaycheck"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
)

// checkReplay waits for the payout's workflow to close, replays its live
// history against the current workflow code and, with RECORD_HISTORIES=1,
// stores it under workflows/testdata, where the replay unit tests pick it
// up.
func checkReplay(t *testing.T, e *testenv.Env, id, name string) {
	t.Helper()
	checkRunReplay(t, e, payout.WorkflowID(id), "", name)
}

// checkRunReplay is checkReplay for any workflow run (runID "" is the
// latest run of the workflow ID).
func checkRunReplay(t *testing.T, e *testenv.Env, workflowID, runID, name string) {
	t.Helper()
	replaycheck.Check(t, e.Temporal, workflowID, runID, name)
}
