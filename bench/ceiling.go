package bench

import (
	"context"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// CeilingWorkflow has the shape of a payout's happy path with a timely
// webhook, doing no work: one activity (the Heleket create), four local
// activities (three status writes and the confirmation call) and the two
// signals the sandbox's webhooks bring (process, then paid). Its
// throughput is what the engine can give on this machine.
func CeilingWorkflow(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second})
	if err := workflow.ExecuteActivity(ctx, Noop).Get(ctx, nil); err != nil {
		return err
	}
	if err := workflow.ExecuteLocalActivity(ctx, NoopLocal).Get(ctx, nil); err != nil {
		return err
	}
	signals := workflow.GetSignalChannel(ctx, ceilingSignal)
	signals.Receive(ctx, nil)
	if err := workflow.ExecuteLocalActivity(ctx, NoopLocal).Get(ctx, nil); err != nil {
		return err
	}
	signals.Receive(ctx, nil)
	for range 2 {
		if err := workflow.ExecuteLocalActivity(ctx, NoopLocal).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

const ceilingSignal = "webhook"

// Noop is the ceiling's stand-in for the Heleket create call.
func Noop(context.Context) error { return nil }

// NoopLocal is the ceiling's stand-in for a database write or status call.
func NoopLocal(context.Context) error { return nil }
