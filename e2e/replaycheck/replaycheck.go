// Package replaycheck replays the history of a workflow run recorded by an
// end-to-end test against the current workflow code and, with
// RECORD_HISTORIES=1, stores it under workflows/testdata, where
// TestReplayRecordedHistories replays it in every `make test`.
package replaycheck

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/heleket-payouts/payouts/payoutworker"
)

// Register adds every workflow the service runs to a replayer.
func Register(r worker.WorkflowRegistry) {
	payoutworker.RegisterWorkflows(r)
	payoutworker.RegisterReconcileWorkflow(r)
}

// Check waits for the run to close (runID "" is the workflow's latest run),
// then replays its whole history as a JSON file would hold it, and records
// it as name.json when RECORD_HISTORIES is set.
func Check(t *testing.T, c client.Client, workflowID, runID, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	closed := c.GetWorkflowHistory(ctx, workflowID, runID, true, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
	require.True(t, closed.HasNext(), "%s: run %s/%s closes", name, workflowID, runID)
	_, err := closed.Next()
	require.NoError(t, err, "%s: wait for %s/%s to close", name, workflowID, runID)

	hist := &historypb.History{}
	iter := c.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		hist.Events = append(hist.Events, ev)
	}
	// Replay what the JSON file holds: the path the replay unit tests take.
	data, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
	require.NoError(t, err)
	var back historypb.History
	require.NoError(t, temporalproto.CustomJSONUnmarshalOptions{}.Unmarshal(data, &back))
	replayer := worker.NewWorkflowReplayer()
	Register(replayer)
	require.NoError(t, replayer.ReplayWorkflowHistory(nil, &back), "history of %s replays", name)
	if os.Getenv("RECORD_HISTORIES") == "" {
		return
	}
	require.NoError(t, os.WriteFile(filepath.Join(testdata(t), name+".json"), data, 0o644))
}

// testdata is workflows/testdata, found from this file, so tests in any
// directory record to the same place.
func testdata(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok)
	return filepath.Join(filepath.Dir(file), "..", "..", "workflows", "testdata")
}
