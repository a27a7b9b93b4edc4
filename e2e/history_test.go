package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/worker"

	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/payoutworker"
)

// checkReplay replays the payout's live history against the current
// workflow code. With RECORD_HISTORIES=1 it also stores the history under
// workflows/testdata, where the replay unit tests pick it up.
func checkReplay(t *testing.T, e *testenv.Env, id, name string) {
	ctx := context.Background()
	hist := &historypb.History{}
	iter := e.Temporal.GetWorkflowHistory(ctx, payout.WorkflowID(id), "", false, 0)
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		hist.Events = append(hist.Events, ev)
	}
	// Replay what a JSON file would hold: the same path the replay unit
	// tests take with the recorded histories.
	data, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
	require.NoError(t, err)
	var back historypb.History
	require.NoError(t, temporalproto.CustomJSONUnmarshalOptions{}.Unmarshal(data, &back))
	replayer := worker.NewWorkflowReplayer()
	payoutworker.RegisterWorkflows(replayer)
	require.NoError(t, replayer.ReplayWorkflowHistory(nil, &back), "history of %s replays", name)
	if os.Getenv("RECORD_HISTORIES") == "" {
		return
	}
	require.NoError(t, os.WriteFile(filepath.Join("..", "workflows", "testdata", name+".json"), data, 0o644))
}
