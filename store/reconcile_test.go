package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/reconcile"
	"github.com/heleket-payouts/payouts/store"
)

var lease = store.Lease{TTL: 10 * time.Minute, Overlap: time.Hour, Lookback: 72 * time.Hour}

func start(id string) store.RunStart {
	return store.RunStart{ID: id, Trigger: "test", WorkflowID: "wf-" + id}
}

func TestRunsTakeTurnsAndWindowsFollowTheWatermark(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()

	first, err := s.BeginRun(ctx, start("r1"), lease)
	require.NoError(t, err)
	assert.Equal(t, reconcile.StatusRunning, first.Status)
	require.NotNil(t, first.WindowFrom)
	assert.InDelta(t, lease.Lookback.Seconds(), first.WindowTo.Sub(*first.WindowFrom).Seconds(), 1, "the first run looks back")

	again, err := s.BeginRun(ctx, start("r1"), lease)
	require.NoError(t, err)
	assert.Equal(t, first.WindowFrom, again.WindowFrom, "beginning twice is one beginning")

	other, err := s.BeginRun(ctx, start("r2"), lease)
	require.NoError(t, err)
	assert.Equal(t, reconcile.StatusSkipped, other.Status)
	assert.Equal(t, "r1", other.HeldBy)
	assert.NotNil(t, other.FinishedAt)

	require.NoError(t, s.ProgressRun(ctx, "r1", reconcile.PhaseOpen, reconcile.Counts{HeleketItems: 5}))
	done, err := s.FinishRun(ctx, reconcile.Finish{RunID: "r1", Status: reconcile.StatusSucceeded, Counts: reconcile.Counts{HeleketItems: 7}})
	require.NoError(t, err)
	assert.Equal(t, reconcile.StatusSucceeded, done.Status)
	assert.Equal(t, 7, done.Counts.HeleketItems)
	assert.Equal(t, reconcile.PhaseDone, done.Phase)

	next, err := s.BeginRun(ctx, start("r3"), lease)
	require.NoError(t, err)
	assert.Equal(t, reconcile.StatusRunning, next.Status)
	assert.True(t, first.WindowTo.Add(-lease.Overlap).Equal(*next.WindowFrom), "from the watermark minus the overlap")

	runs, err := s.ListRuns(ctx, "", 2)
	require.NoError(t, err)
	require.Len(t, runs, 2)
	assert.Equal(t, "r3", runs[0].ID)
	older, err := s.ListRuns(ctx, runs[1].ID, 10)
	require.NoError(t, err)
	require.Len(t, older, 1)
	assert.Equal(t, "r1", older[0].ID)
}

func TestASilentRunLosesTheLease(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	_, err := s.BeginRun(ctx, start("dead"), lease)
	require.NoError(t, err)
	_, err = s.Pool().Exec(ctx, `UPDATE reconciliation_runs SET heartbeat_at = now() - interval '1 hour' WHERE id = 'dead'`)
	require.NoError(t, err)
	_, err = s.RunningRun(ctx, lease.TTL)
	require.ErrorIs(t, err, store.ErrNotFound, "a silent run is not live")

	taker, err := s.BeginRun(ctx, start("taker"), lease)
	require.NoError(t, err)
	assert.Equal(t, reconcile.StatusRunning, taker.Status)
	dead, err := s.GetRun(ctx, "dead")
	require.NoError(t, err)
	assert.Equal(t, reconcile.StatusFailed, dead.Status)
	assert.Contains(t, dead.Error, "abandoned")

	err = s.ProgressRun(ctx, "dead", reconcile.PhaseHeleket, reconcile.Counts{})
	require.ErrorIs(t, err, store.ErrLeaseLost, "the old run learns it must stop")
	closed, err := s.FinishRun(ctx, reconcile.Finish{RunID: "dead", Status: reconcile.StatusSucceeded})
	require.NoError(t, err)
	assert.Equal(t, reconcile.StatusFailed, closed.Status, "a closed run keeps its first ending")
}

func TestARequestedRunBecomesRunning(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	first, err := s.RequestRun(ctx, store.RunStart{ID: "m1", Trigger: "admin:alice", WorkflowID: "manual"})
	require.NoError(t, err)
	assert.True(t, first)
	first, err = s.RequestRun(ctx, store.RunStart{ID: "m1", Trigger: "admin:bob", WorkflowID: "manual"})
	require.NoError(t, err)
	assert.False(t, first, "the second trigger joins")
	pending, err := s.GetRun(ctx, "m1")
	require.NoError(t, err)
	assert.Equal(t, reconcile.StatusPending, pending.Status)

	run, err := s.BeginRun(ctx, store.RunStart{ID: "m1", Trigger: "admin:bob", WorkflowID: "manual"}, lease)
	require.NoError(t, err)
	assert.Equal(t, reconcile.StatusRunning, run.Status)
	assert.Equal(t, "admin:alice", run.Trigger, "the first trigger is kept")
	assert.Equal(t, 2, run.ManualTriggers)
	live, err := s.RunningRun(ctx, lease.TTL)
	require.NoError(t, err)
	assert.Equal(t, "m1", live.ID)

	// The worker may begin a run before its trigger records it.
	_, err = s.BeginRun(ctx, start("m2"), lease)
	require.NoError(t, err)
	first, err = s.RequestRun(ctx, store.RunStart{ID: "m2", Trigger: "cli", WorkflowID: "manual"})
	require.NoError(t, err)
	assert.True(t, first, "the first trigger of a run already begun")
}

func TestDiscrepanciesAreRecordedOnceAndResolveThemselves(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	_, err := s.BeginRun(ctx, start("r1"), lease)
	require.NoError(t, err)
	create(t, s, newPayout("po1", "10"))

	stuck := store.Discrepancy{RunID: "r1", OrderID: "po1", PayoutID: "po1", Kind: reconcile.KindStuck,
		Ours: map[string]any{"status": "requested", "amount": "10"}, Reason: "requested for 2h"}
	d, created, err := s.AddDiscrepancy(ctx, stuck)
	require.NoError(t, err)
	assert.True(t, created)
	again, created, err := s.AddDiscrepancy(ctx, stuck)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, d.ID, again.ID)
	assert.Nil(t, again.AlertedAt)
	require.NoError(t, s.MarkAlerted(ctx, d.ID))

	orphan := store.Discrepancy{RunID: "r1", OrderID: "po2", Kind: reconcile.KindOrphan, Theirs: map[string]any{"status": "paid"}}
	_, created, err = s.AddDiscrepancy(ctx, orphan)
	require.NoError(t, err)
	assert.True(t, created)

	n, err := s.ResolveSettled(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing settled yet")

	_, _, err = s.Apply(ctx, payout.Change{PayoutID: "po1", To: payout.StatusPaid, Source: payout.SourceReconcile})
	require.NoError(t, err)
	create(t, s, newPayout("po2", "10"))
	n, err = s.ResolveSettled(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n)

	found, err := s.Discrepancies(ctx, "r1", 0, 10)
	require.NoError(t, err)
	require.Len(t, found, 2)
	assert.NotNil(t, found[0].AlertedAt)
	assert.Equal(t, "payout reached paid", found[0].Resolution)
	assert.Equal(t, "payout now known here", found[1].Resolution)
	assert.Equal(t, "10", found[0].Ours["amount"])
}

func TestOpenAndFailedPayoutListsPage(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c", "d"} {
		create(t, s, newPayout(id, "1"))
	}
	_, _, err := s.Apply(ctx, payout.Change{PayoutID: "b", To: payout.StatusFailed, Source: payout.SourcePoll, FailureReason: "heleket status fail"})
	require.NoError(t, err)
	now := time.Now().Add(time.Minute)

	open, err := s.OpenPayouts(ctx, now, "", 2)
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "c"}, payoutIDs(open))
	open, err = s.OpenPayouts(ctx, now, "c", 2)
	require.NoError(t, err)
	assert.Equal(t, []string{"d"}, payoutIDs(open))
	open, err = s.OpenPayouts(ctx, time.Now().Add(-time.Hour), "", 10)
	require.NoError(t, err)
	assert.Empty(t, open, "payouts created after the run began are not its business")

	failed, err := s.FailedSince(ctx, time.Now().Add(-time.Hour), "", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{"b"}, payoutIDs(failed))
	byID, err := s.PayoutsByID(ctx, []string{"a", "b", "zz"})
	require.NoError(t, err)
	assert.Len(t, byID, 2)
	assert.Equal(t, payout.StatusFailed, byID["b"].Status)
}

func payoutIDs(ps []payout.Payout) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}
