package chaos_test

import (
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/devtemporal"
)

// replayWithTags runs the replay of the recorded histories
// (workflows/replay_test.go) against the workflows built with tags, as
// CI's `make test` does against the plain build.
func replayWithTags(t *testing.T, tags string) (string, error) {
	t.Helper()
	root, err := devtemporal.RepoRoot()
	require.NoError(t, err)
	cmd := exec.Command("go", "test", "-count=1", "-tags", tags, "./workflows/", "-run", "^TestReplayRecordedHistories$")
	cmd.Dir = root
	cmd.Env = os.Environ()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestUnguardedWorkflowChangeFailsReplay: the rolling deploy's workflow
// change (workflows/rolling_v2.go) built without its GetVersion guard
// (rolling_v2_unguarded.go) is refused by the replay of the recorded
// histories, so it is caught before it ships; guarded, it passes.
func TestUnguardedWorkflowChangeFailsReplay(t *testing.T) {
	out, err := replayWithTags(t, "rolling_v2_unguarded")
	require.Error(t, err, "the replay must fail for the unguarded change:\n%s", out)
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "go test ran and failed, not failed to run:\n%s", out)
	// TMPRL1100: the SDK's code for a nondeterministic replay; a build
	// error would fail without it.
	assert.Contains(t, out, "[TMPRL1100]")
	assert.Contains(t, out, "--- FAIL: TestReplayRecordedHistories/payout_polling_path.json")

	out, err = replayWithTags(t, "rolling_v2")
	require.NoError(t, err, "the guarded change must replay every recorded history:\n%s", out)
	assert.Contains(t, out, "ok  \tgithub.com/heleket-payouts/payouts/workflows")
}
