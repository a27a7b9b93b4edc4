package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/metrics"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/reconcile"
)

func TestBacklogCountsStuckAndHeldPayouts(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()

	empty, err := s.Backlog(ctx, time.Now())
	require.NoError(t, err)
	assert.Equal(t, metrics.Backlog{}, empty, "nothing open, no run: all zero")

	created := time.Now()
	create(t, s, newPayout("old-requested", "1"))
	create(t, s, newPayout("old-processing", "1"))
	_, _, err = s.Apply(ctx, payout.Change{PayoutID: "old-processing", To: payout.StatusProcessing, Source: payout.SourceWebhook})
	require.NoError(t, err)
	approval := newPayout("approval", "1")
	approval.Status = payout.StatusAwaitingApproval
	create(t, s, approval)
	create(t, s, newPayout("funds", "1"))
	_, _, err = s.Apply(ctx, payout.Change{PayoutID: "funds", To: payout.StatusAwaitingFunds, Source: payout.SourceWorkflow})
	require.NoError(t, err)
	create(t, s, newPayout("paid-disputed", "1"))
	_, _, err = s.Apply(ctx, payout.Change{PayoutID: "paid-disputed", To: payout.StatusPaid, Source: payout.SourcePoll})
	require.NoError(t, err)
	require.NoError(t, s.SetNeedsAttention(ctx, "paid-disputed", true, payout.SourceReconcile, "status mismatch"))
	require.NoError(t, s.SetNeedsAttention(ctx, "old-processing", true, payout.SourceReconcile, "stuck"))
	b, ps := batchOf("bt-backlog", "1", "2")
	_, _, err = s.CreateBatch(ctx, b, ps)
	require.NoError(t, err)

	// Creation times are immutable: move the cutoff instead.
	young, err := s.Backlog(ctx, created.Add(-time.Hour))
	require.NoError(t, err)
	assert.Zero(t, young.Stuck, "created after the cutoff: not stuck yet")
	got, err := s.Backlog(ctx, time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, int64(2), got.Stuck, "open and older than the cutoff, not held, not a campaign row waiting for its start")
	assert.Equal(t, int64(1), got.AwaitingApproval)
	assert.Equal(t, int64(1), got.AwaitingFunds)
	assert.Equal(t, int64(2), got.NeedsAttention, "flagged, open or final")
	assert.True(t, got.LastReconciled.IsZero())

	_, err = s.BeginRun(ctx, start("run-ok"), lease)
	require.NoError(t, err)
	_, err = s.FinishRun(ctx, reconcile.Finish{RunID: "run-ok", Status: reconcile.StatusSucceeded})
	require.NoError(t, err)
	_, err = s.BeginRun(ctx, start("run-bad"), lease)
	require.NoError(t, err)
	_, err = s.FinishRun(ctx, reconcile.Finish{RunID: "run-bad", Status: reconcile.StatusFailed, Error: "boom"})
	require.NoError(t, err)
	ok, err := s.GetRun(ctx, "run-ok")
	require.NoError(t, err)
	got, err = s.Backlog(ctx, time.Now())
	require.NoError(t, err)
	require.NotNil(t, ok.FinishedAt)
	assert.WithinDuration(t, *ok.FinishedAt, got.LastReconciled, time.Millisecond, "the last successful run, not the later failed one")
}
