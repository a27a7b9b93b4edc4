package testenv

import (
	"context"
	"sync"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/alert"
)

// setupReconciliation wires reconciliation's activities to this
// environment; its schedule and manual workflow IDs carry the task queue
// (newService), because every test of a package shares one namespace.
// Alerts go to the environment's outbox, whose dispatcher runs for the
// whole test when AlertWebhookURL is set.
func (e *Env) setupReconciliation(opts Options) {
	e.Rec = &activities.Reconciler{Store: e.Store, Heleket: e.Heleket, Workflows: e.Starter, Alerts: e.Store,
		Settings: opts.Reconcile, Logger: quietLogger()}
	poster, err := alert.New(opts.AlertWebhookURL, alert.DefaultTimeout)
	require.NoError(e.T, err)
	if !poster.Enabled() {
		return
	}
	// Short waits, so that a test sees a retried alert in well under a second.
	d := &alert.Dispatcher{Outbox: e.Store, Channel: poster, Every: 20 * time.Millisecond,
		BackoffMin: 50 * time.Millisecond, BackoffMax: 200 * time.Millisecond, Logger: quietLogger()}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { d.Run(ctx) })
	e.T.Cleanup(func() { cancel(); wg.Wait() })
}

// reconcileEvery is long enough that a test never sees a scheduled run it
// did not ask for.
const reconcileEvery = 24 * time.Hour
