package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/alert"
	"github.com/heleket-payouts/payouts/heleket/sandbox"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/workflows"
)

// waitDelivered waits until the outbox holds nothing undelivered: after
// it, the receiver has everything it will ever get.
func waitDelivered(t *testing.T, e *testenv.Env) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		pending, err := e.Store.PendingAlerts(context.Background(), 10)
		require.NoError(t, err)
		if len(pending) == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("alerts still pending after 30s")
}

// A payout Heleket refuses raises one alert, with the refusal, written with
// the status change; the record repeated (a retried activity, a second
// worker) raises nothing more.
func TestARejectedPayoutRaisesExactlyOneAlert(t *testing.T) {
	alerts := testenv.NewAlerts(t)
	e := testenv.New(t, testenv.Options{AlertWebhookURL: alerts.URL()})
	// Below the sandbox's minimum for USDT on tron: a 422 for Heleket.
	p := accepted(t, e, "45", "reject-alert-"+t.Name(), body("0.000001", tronAddress))
	final := e.WaitFinal(p.ID)
	require.Equal(t, payout.StatusRejected, final.Status)

	got := alerts.Await(t, alert.KindRejected, 1)
	assert.Equal(t, p.ID, got[0].PayoutID)
	assert.Contains(t, got[0].Text, "rejected")
	assert.Contains(t, got[0].Text, final.FailureReason)

	ctx := context.Background()
	for range 2 {
		again, err := e.Acts.Record(ctx, payout.Change{PayoutID: p.ID, To: payout.StatusRejected,
			Source: payout.SourceWorkflow, Actor: "workflow", FailureReason: "refused again"})
		require.NoError(t, err)
		assert.Equal(t, final.FailureReason, again.FailureReason, "not applied twice")
	}
	raised, err := e.Store.RaiseAlert(ctx, alert.ForPayout(alert.KindRejected, p.ID, "from another worker", ""))
	require.NoError(t, err)
	assert.False(t, raised)

	waitDelivered(t, e)
	rows, err := e.Store.PayoutAlerts(ctx, p.ID)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.NotNil(t, rows[0].DeliveredAt)
	assert.Len(t, alerts.OfKind(alert.KindRejected), 1)
	_, raw := alerts.Received()
	for _, b := range raw {
		assert.NotContains(t, b, tronAddress, "alerts never carry addresses")
	}
}

// The alert of a rejection made while the channel is down is retried, and
// delivered once when the channel comes back.
func TestARejectionAlertWaitsForTheChannelAndIsDeliveredOnce(t *testing.T) {
	alerts := testenv.NewAlerts(t)
	alerts.SetDown(true)
	e := testenv.New(t, testenv.Options{AlertWebhookURL: alerts.URL()})
	p := accepted(t, e, "46", "reject-down-"+t.Name(), body("0.000001", tronAddress))
	require.Equal(t, payout.StatusRejected, e.WaitFinal(p.ID).Status)

	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	var rows []alert.Record
	for time.Now().Before(deadline) {
		var err error
		rows, err = e.Store.PayoutAlerts(ctx, p.ID)
		require.NoError(t, err)
		if len(rows) == 1 && rows[0].Attempts >= 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.Len(t, rows, 1)
	assert.GreaterOrEqual(t, rows[0].Attempts, 2, "retried while the channel is down")
	assert.Contains(t, rows[0].LastError, "503")
	assert.Nil(t, rows[0].DeliveredAt)
	assert.Empty(t, alerts.OfKind(alert.KindRejected))

	alerts.SetDown(false)
	alerts.Await(t, alert.KindRejected, 1)
	waitDelivered(t, e)
	assert.Len(t, alerts.OfKind(alert.KindRejected), 1, "delivered once")
}

// A status word Heleket uses and this service does not know is alerted
// once; the payout keeps its status and goes on being polled.
func TestAnUnknownHeleketStatusIsAlertedOnce(t *testing.T) {
	alerts := testenv.NewAlerts(t)
	e := testenv.New(t, testenv.Options{AlertWebhookURL: alerts.URL(),
		Timing: workflows.Timing{WebhookWait: 200 * time.Millisecond, PollInitial: 100 * time.Millisecond, PollMax: 200 * time.Millisecond}})
	e.Sandbox.SetFaults(sandbox.Faults{WebhookDropRate: 1})
	e.Sandbox.ForceOutcome(tronAddress, "on_hold")
	p := accepted(t, e, "47", "unknown-status-"+t.Name(), body("10", tronAddress))

	got := alerts.Await(t, alert.KindUnknownStatus, 1)
	assert.Equal(t, p.ID, got[0].PayoutID)
	assert.Contains(t, got[0].Text, `"on_hold"`)
	stored, err := e.Store.GetPayout(context.Background(), p.ID)
	require.NoError(t, err)
	assert.False(t, stored.Status.Final(), "an unknown status moves nothing")
	rows, err := e.Store.PayoutAlerts(context.Background(), p.ID)
	require.NoError(t, err)
	kinds := 0
	for _, r := range rows {
		if r.Message.Kind == alert.KindUnknownStatus {
			kinds++
		}
	}
	assert.Equal(t, 1, kinds, "once, however many polls saw it")
}
