package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/heleket-payouts/payouts/activities"
)

// dbCtx is for short Postgres writes, run as local activities: they are
// fast, and a retried write is harmless because every write is guarded.
// The long schedule-to-close keeps a Postgres outage from failing the
// payout: it waits, with backoff, until the database is back.
func dbCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    15 * time.Second,
		ScheduleToCloseTimeout: 7 * 24 * time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    200 * time.Millisecond,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}

// submitCtx retries a create for as long as it takes: the order_id makes
// every attempt land on the same Heleket payout.
func submitCtx(ctx workflow.Context) workflow.Context {
	return heleketCtx(ctx, "create payout at Heleket")
}

// The call itself is bounded by the client's 15 s timeout; the retry
// interval is capped at a minute so a payout recovers quickly once Heleket
// (or a crashed worker) is back.
func heleketCtx(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		Summary:             summary,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			NonRetryableErrorTypes: []string{activities.ErrTypeRejected},
		},
	})
}

// statusCtx is for payout-info calls (webhook confirmation and polls): a
// short read, run as a local activity so it costs one history event.
func statusCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 7 * 24 * time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
	})
}
