package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUsageListsEveryCommandUnderItsCurrentName(t *testing.T) {
	var out bytes.Buffer
	usage(&out)
	assert.Contains(t, out.String(), "  reconcile-schedule ", "the reconciliation schedule's command is listed under its name")
	assert.NotContains(t, out.String(), "  schedule ", "the deprecated alias is not advertised")
	require.Len(t, order, len(commands), "every command is listed once")
	for _, name := range order {
		assert.NotNil(t, commands[name].run, "listed command %q runs something", name)
	}
	for old, to := range aliases {
		assert.NotNil(t, commands[to].run, "alias %q leads to a command", old)
		assert.Nil(t, commands[old].run, "alias %q is not also a command of its own", old)
	}
}

// The old name runs the new command, so scripts and deploy files that call
// `payouts schedule` keep working, and says on stderr what to call instead.
// An invalid setting stops the command before it dials Temporal.
func TestScheduleAliasWarnsAndRunsReconcileSchedule(t *testing.T) {
	self, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(self, "schedule")
	cmd.Env = append(os.Environ(), runMainEnv+"=1", "RECONCILE_EVERY=0s", "PAYOUTS_DEV_DIR="+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "the command fails on RECONCILE_EVERY: %v\n%s", err, stderr.String())
	assert.Equal(t, 1, exit.ExitCode(), "a command's error, not the usage's exit code 2:\n%s", stderr.String())
	lines := bytes.SplitN(stderr.Bytes(), []byte("\n"), 2)
	assert.Equal(t, "payouts schedule is deprecated: use payouts reconcile-schedule", string(lines[0]), "one line, first")
	assert.Contains(t, stderr.String(), "payouts reconcile-schedule: RECONCILE_EVERY",
		"reconcile-schedule ran and loaded its settings")
	assert.Empty(t, stdout.String(), "the notice stays off stdout")
}
