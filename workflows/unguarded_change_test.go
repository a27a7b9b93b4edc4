package workflows_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/heleket-payouts/payouts/workflows"
)

// payoutWithTimer is the payout workflow changed the wrong way: one more
// timer before it starts, and no GetVersion. New runs would be fine; a
// payout already in flight replays into a command its history never had.
func payoutWithTimer(ctx workflow.Context, in workflows.PayoutInput) (workflows.PayoutState, error) {
	if err := workflow.NewTimerWithOptions(ctx, time.Minute, workflow.TimerOptions{Summary: "cool-off"}).Get(ctx, nil); err != nil {
		return workflows.PayoutState{}, err
	}
	return workflows.Payout(ctx, in)
}

// payoutWithGuardedTimer is the same change made by the rule of README's
// "Changing workflow code": histories recorded before it have no marker
// for the change, replay the old way, and only new runs wait.
func payoutWithGuardedTimer(ctx workflow.Context, in workflows.PayoutInput) (workflows.PayoutState, error) {
	if workflow.GetVersion(ctx, "cool-off-timer", workflow.DefaultVersion, 1) == 1 {
		if err := workflow.NewTimerWithOptions(ctx, time.Minute, workflow.TimerOptions{Summary: "cool-off"}).Get(ctx, nil); err != nil {
			return workflows.PayoutState{}, err
		}
	}
	return workflows.Payout(ctx, in)
}

// recordedPayouts are histories of the payout workflow recorded by e2e
// (RECORD_HISTORIES=1), each from a different path.
var recordedPayouts = []string{"payout_webhook_path.json", "payout_polling_path.json", "payout_rejected_path.json",
	"before_versions_payout_webhook_path.json"}

func replayAs(t *testing.T, wf any, file string) error {
	t.Helper()
	replayer := worker.NewWorkflowReplayer()
	replayer.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: workflows.PayoutWorkflowName})
	return replayer.ReplayWorkflowHistoryFromJSONFile(nil, filepath.Join("testdata", file))
}

// TestUnguardedChangeFailsReplay: a change to the commands without
// GetVersion breaks every payout in flight, and the replay of the
// recorded histories is what catches it before a deployment does.
func TestUnguardedChangeFailsReplay(t *testing.T) {
	for _, f := range recordedPayouts {
		t.Run(f, func(t *testing.T) {
			require.NoError(t, replayAs(t, workflows.Payout, f), "the workflow as it is replays")
			err := replayAs(t, payoutWithTimer, f)
			require.Error(t, err, "one more timer without GetVersion must not replay")
			// TMPRL1100 is the SDK's code for a nondeterministic replay
			// (internal_task_handlers.go, internal_command_state_machine.go).
			assert.Contains(t, err.Error(), "[TMPRL1100]")
		})
	}
}

// TestGuardedChangeReplays: the same change behind GetVersion replays.
func TestGuardedChangeReplays(t *testing.T) {
	for _, f := range recordedPayouts {
		t.Run(f, func(t *testing.T) {
			require.NoError(t, replayAs(t, payoutWithGuardedTimer, f))
		})
	}
}
