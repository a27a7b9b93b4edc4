//go:build rolling_v2

package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"
)

// beforeSubmit, in the build the rolling-deploy test ships
// (chaos/rolling_test.go), waits a moment before the create: a new
// command, guarded so histories recorded without it replay the old way.
func beforeSubmit(ctx workflow.Context) error {
	if workflow.GetVersion(ctx, versionRollingPause, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	if err := workflow.NewTimer(ctx, 100*time.Millisecond).Get(ctx, nil); err != nil {
		return fmt.Errorf("pause before submit: %w", err)
	}
	return nil
}
