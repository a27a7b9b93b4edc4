package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/alert"
	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/payout"
)

func TestRaiseAlertIsOnceOnlyPerKeyAndMasksAddresses(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	addr := "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"
	a := alert.ForPayout(alert.KindRejected, "po-a1", "payout po-a1 rejected: bad address "+addr, "bad address "+addr)

	raised, err := s.RaiseAlert(ctx, a)
	require.NoError(t, err)
	assert.True(t, raised)
	raised, err = s.RaiseAlert(ctx, a)
	require.NoError(t, err)
	assert.False(t, raised, "the same key again is not a second alert")

	other, err := s.RaiseAlert(ctx, alert.ForPayout(alert.KindStuck, "po-a1", "stuck", ""))
	require.NoError(t, err)
	assert.True(t, other, "another kind of the same payout is another alert")

	pending, err := s.PendingAlerts(ctx, 10)
	require.NoError(t, err)
	require.Len(t, pending, 2)
	assert.Equal(t, "payout_rejected:po-a1", pending[0].Key)
	assert.Equal(t, "po-a1", pending[0].Message.PayoutID)
	assert.NotContains(t, pending[0].Message.Text, addr)
	assert.NotContains(t, pending[0].Message.Reason, addr)
	assert.Contains(t, pending[0].Message.Text, "TQrZ…AbpW")
	assert.Zero(t, pending[0].Attempts)

	_, err = s.RaiseAlert(ctx, alert.Alert{Message: alert.Message{Kind: alert.KindStuck}})
	assert.Error(t, err, "an alert without a key could never be deduplicated")
}

func TestApplyRaisingWritesTheAlertWithTheChangeOnly(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	p := create(t, s, newPayout("po-a2", "10"))
	reject := payout.Change{PayoutID: p.ID, To: payout.StatusRejected, Source: payout.SourceWorkflow, Actor: "workflow",
		FailureReason: "Heleket refused the payout: not enough money"}
	alertOf := func(p payout.Payout) alert.Alert {
		return alert.ForPayout(alert.KindRejected, p.ID, "payout "+p.ID+" rejected: "+p.FailureReason, p.FailureReason)
	}

	// An alert that cannot be written takes the change with it.
	_, _, err := s.ApplyRaising(ctx, reject, func(payout.Payout) alert.Alert { return alert.Alert{} })
	require.Error(t, err)
	got, err := s.GetPayout(ctx, p.ID)
	require.NoError(t, err)
	assert.Equal(t, payout.StatusRequested, got.Status, "status and alert are one transaction")

	for range 2 { // a retried activity records the change twice
		stored, _, err := s.ApplyRaising(ctx, reject, alertOf)
		require.NoError(t, err)
		assert.Equal(t, payout.StatusRejected, stored.Status)
	}
	alerts, err := s.PayoutAlerts(ctx, p.ID)
	require.NoError(t, err)
	require.Len(t, alerts, 1)
	assert.Equal(t, alert.KindRejected, alerts[0].Message.Kind)
	assert.Contains(t, alerts[0].Message.Text, "not enough money")
	events, err := s.Events(ctx, p.ID)
	require.NoError(t, err)
	assert.Len(t, events, 2, "created, rejected")
}

func TestClaimAlertsHoldsLeasesAndTheRateLimit(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	for _, id := range []string{"po-c1", "po-c2", "po-c3"} {
		_, err := s.RaiseAlert(ctx, alert.ForPayout(alert.KindStuck, id, id+" is stuck", ""))
		require.NoError(t, err)
	}
	now := time.Now().Add(time.Minute) // after every created_at, whatever the clocks
	claim := func(at time.Time, limit int) []alert.Record {
		recs, err := s.ClaimAlerts(ctx, alert.Claim{Now: at, Max: 10, RateLimit: limit, Window: time.Minute, Lease: 2 * time.Minute})
		require.NoError(t, err)
		return recs
	}

	first := claim(now, 2)
	require.Len(t, first, 2, "two posts a minute")
	assert.Equal(t, []string{"stuck:po-c1", "stuck:po-c2"}, []string{first[0].Key, first[1].Key}, "oldest first")
	assert.Equal(t, 1, first[0].Attempts)
	assert.Empty(t, claim(now.Add(30*time.Second), 2), "the minute's budget is spent; the third waits")
	assert.Len(t, claim(now.Add(30*time.Second), 100), 1, "held alerts are not claimed twice")

	require.NoError(t, s.MarkAlertDelivered(ctx, first[0].ID, now))
	require.NoError(t, s.MarkAlertFailed(ctx, first[1].ID, "webhook answered HTTP 503", now.Add(4*time.Minute)))

	// po-c3 was claimed at +30s and never marked: its dispatcher died.
	// Its lease ends at +2m30s; po-c2 is due again at +4m.
	assert.Empty(t, claim(now.Add(2*time.Minute), 100))
	again := claim(now.Add(3*time.Minute), 100)
	require.Len(t, again, 1)
	assert.Equal(t, "stuck:po-c3", again[0].Key)
	assert.Equal(t, 2, again[0].Attempts)
	retried := claim(now.Add(4*time.Minute), 100)
	require.Len(t, retried, 1)
	assert.Equal(t, "stuck:po-c2", retried[0].Key)
	assert.Equal(t, "webhook answered HTTP 503", retried[0].LastError)

	pending, err := s.PendingAlerts(ctx, 10)
	require.NoError(t, err)
	assert.Len(t, pending, 2, "the delivered alert is not pending")
	assert.Error(t, s.MarkAlertDelivered(ctx, 999999, now), "an unknown alert")
}
