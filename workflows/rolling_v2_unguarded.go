//go:build rolling_v2_unguarded

package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"
)

// beforeSubmit is rolling_v2.go's change made the wrong way, without
// GetVersion: chaos/rolling_test.go checks that the replay of the
// recorded histories refuses this build.
func beforeSubmit(ctx workflow.Context) error {
	if err := workflow.NewTimer(ctx, 100*time.Millisecond).Get(ctx, nil); err != nil {
		return fmt.Errorf("pause before submit: %w", err)
	}
	return nil
}
