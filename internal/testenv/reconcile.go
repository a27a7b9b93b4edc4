package testenv

import (
	"time"

	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/alert"
	"github.com/heleket-payouts/payouts/starter"
)

// setupReconciliation wires reconciliation to this environment. Schedule
// and manual workflow IDs carry the task queue, because every test of a
// package shares one Temporal namespace.
func (e *Env) setupReconciliation(opts Options) {
	poster, err := alert.New(opts.AlertWebhookURL, alert.DefaultTimeout)
	require.NoError(e.T, err)
	e.Rec = &activities.Reconciler{Store: e.Store, Heleket: e.Heleket, Workflows: e.Starter, Alerts: poster,
		Settings: opts.Reconcile, Logger: quietLogger()}
	e.Reconciliation = &starter.Reconciliation{Client: e.Temporal, Store: e.Store, TaskQueue: e.TaskQueue,
		Every: reconcileEvery, LeaseTTL: activities.DefaultLeaseTTL,
		ScheduleID: "payout-reconciliation-" + e.TaskQueue, ManualID: "payout-reconciliation-manual-" + e.TaskQueue}
}

// reconcileEvery is long enough that a test never sees a scheduled run it
// did not ask for.
const reconcileEvery = 24 * time.Hour
