package testenv

import (
	"time"

	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/alert"
)

// setupReconciliation wires reconciliation's activities to this
// environment; its schedule and manual workflow IDs carry the task queue
// (newService), because every test of a package shares one namespace.
func (e *Env) setupReconciliation(opts Options) {
	poster, err := alert.New(opts.AlertWebhookURL, alert.DefaultTimeout)
	require.NoError(e.T, err)
	e.Rec = &activities.Reconciler{Store: e.Store, Heleket: e.Heleket, Workflows: e.Starter, Alerts: poster,
		Settings: opts.Reconcile, Logger: quietLogger()}
}

// reconcileEvery is long enough that a test never sees a scheduled run it
// did not ask for.
const reconcileEvery = 24 * time.Hour
