package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/reconcile"
	"github.com/heleket-payouts/payouts/store"
)

func addDiscrepancy(t *testing.T, s *store.Store, runID, orderID, payoutID string, kind reconcile.Kind) store.Discrepancy {
	t.Helper()
	d, created, err := s.AddDiscrepancy(context.Background(), store.Discrepancy{RunID: runID, OrderID: orderID,
		PayoutID: payoutID, Kind: kind, Reason: "test"})
	require.NoError(t, err)
	require.True(t, created)
	return d
}

func discrepancyIDs(ds []store.Discrepancy) []int64 {
	out := make([]int64, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

// Every filter selects what it says, newest first, and paging walks the
// whole selection once without repeats.
func TestListDiscrepanciesFiltersAndPages(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	_, err := s.BeginRun(ctx, start("ra"), lease)
	require.NoError(t, err)
	_, err = s.Pool().Exec(ctx, `INSERT INTO reconciliation_runs (id, trigger, workflow_id, status) VALUES ('rb', 'test', 'wf-rb', 'pending')`)
	require.NoError(t, err)
	reach(t, s, "pa", payout.StatusProcessing)
	reach(t, s, "pb", payout.StatusFailed)

	var all []store.Discrepancy
	for i := range 7 {
		all = append(all, addDiscrepancy(t, s, "ra", fmt.Sprint("orphan-", i), "", reconcile.KindOrphan))
	}
	stuck := addDiscrepancy(t, s, "rb", "pa", "pa", reconcile.KindStuck)
	failed := addDiscrepancy(t, s, "rb", "pb", "pb", reconcile.KindPayoutFailed)
	_, err = s.ResolveDiscrepancy(ctx, store.Resolve{ID: all[2].ID, Resolution: reconcile.ResolutionFalsePositive, Note: "test order", Actor: "otto"})
	require.NoError(t, err)

	list := func(f store.DiscrepancyFilter) []int64 {
		t.Helper()
		got, next, err := s.ListDiscrepancies(ctx, f, 0, 100)
		require.NoError(t, err)
		assert.Zero(t, next)
		return discrepancyIDs(got)
	}
	yes, no := true, false
	assert.Equal(t, []int64{failed.ID, stuck.ID}, list(store.DiscrepancyFilter{RunID: "rb"}))
	assert.Equal(t, []int64{stuck.ID}, list(store.DiscrepancyFilter{PayoutID: "pa"}))
	assert.Equal(t, []int64{failed.ID}, list(store.DiscrepancyFilter{Kind: reconcile.KindPayoutFailed}))
	assert.Equal(t, []int64{all[2].ID}, list(store.DiscrepancyFilter{Open: &no}))
	assert.Len(t, list(store.DiscrepancyFilter{Open: &yes}), 8)
	assert.Equal(t, []int64{all[1].ID, all[0].ID}, list(store.DiscrepancyFilter{Open: &yes, Kind: reconcile.KindOrphan, RunID: "ra"})[4:])

	var walked []int64
	before := int64(0)
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10)
		got, next, err := s.ListDiscrepancies(ctx, store.DiscrepancyFilter{Open: &yes}, before, 3)
		require.NoError(t, err)
		walked = append(walked, discrepancyIDs(got)...)
		if next == 0 {
			break
		}
		before = next
	}
	assert.Equal(t, list(store.DiscrepancyFilter{Open: &yes}), walked, "pages of 3 walk the open ones once, newest first")
}

// A payout's needs_attention clears when its last open discrepancy is
// resolved, not before; each resolution is an audit row on the
// discrepancy and on the payout; a repeat writes nothing; another
// resolution of a resolved one is refused.
func TestResolvingTheLastOpenDiscrepancyClearsNeedsAttention(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	_, err := s.BeginRun(ctx, start("run"), lease)
	require.NoError(t, err)
	reach(t, s, "p1", payout.StatusProcessing)
	require.NoError(t, s.SetNeedsAttention(ctx, "p1", true, payout.SourceReconcile, "stuck"))
	stuck := addDiscrepancy(t, s, "run", "p1", "p1", reconcile.KindStuck)
	mismatch := addDiscrepancy(t, s, "run", "p1", "p1", reconcile.KindTermsMismatch)

	first, err := s.ResolveDiscrepancy(ctx, store.Resolve{ID: stuck.ID, Resolution: reconcile.ResolutionAccepted, Note: "slow chain", Actor: "otto"})
	require.NoError(t, err)
	assert.False(t, first.AttentionCleared, "another discrepancy of the payout is open")
	assert.Equal(t, "otto", first.Discrepancy.ResolvedBy)
	assert.Equal(t, "accepted", first.Discrepancy.Resolution)
	assert.Equal(t, "slow chain", first.Discrepancy.Note)
	require.NotNil(t, first.Discrepancy.ResolvedAt)
	p, err := s.GetPayout(ctx, "p1")
	require.NoError(t, err)
	assert.True(t, p.NeedsAttention)

	last, err := s.ResolveDiscrepancy(ctx, store.Resolve{ID: mismatch.ID, Resolution: reconcile.ResolutionFixed, Note: "corrected", Actor: "otto"})
	require.NoError(t, err)
	assert.True(t, last.AttentionCleared)
	p, err = s.GetPayout(ctx, "p1")
	require.NoError(t, err)
	assert.False(t, p.NeedsAttention, "nothing open for the payout any more")

	events, err := s.Events(ctx, "p1")
	require.NoError(t, err)
	var notes []map[string]any
	for _, e := range events {
		if e.Details["action"] == "discrepancy_resolved" {
			assert.Equal(t, payout.StatusProcessing, e.From)
			assert.Equal(t, e.From, e.To, "a resolution keeps the status")
			assert.Equal(t, "otto", e.Actor)
			notes = append(notes, e.Details)
		}
	}
	require.Len(t, notes, 2)
	assert.Equal(t, "accepted", notes[0]["resolution"])
	assert.Nil(t, notes[0]["needs_attention"])
	assert.Equal(t, "fixed", notes[1]["resolution"])
	assert.Equal(t, false, notes[1]["needs_attention"])

	audit, err := s.DiscrepancyEvents(ctx, mismatch.ID)
	require.NoError(t, err)
	require.Len(t, audit, 1)
	assert.Equal(t, "resolved", audit[0].Action)
	assert.Equal(t, "otto", audit[0].Actor)
	assert.Equal(t, "corrected", audit[0].Details["note"])

	again, err := s.ResolveDiscrepancy(ctx, store.Resolve{ID: mismatch.ID, Resolution: reconcile.ResolutionFixed, Note: "corrected", Actor: "otto"})
	require.NoError(t, err)
	assert.True(t, again.Replayed)
	audit, err = s.DiscrepancyEvents(ctx, mismatch.ID)
	require.NoError(t, err)
	assert.Len(t, audit, 1, "a repeat writes nothing")

	_, err = s.ResolveDiscrepancy(ctx, store.Resolve{ID: mismatch.ID, Resolution: reconcile.ResolutionAccepted, Note: "other", Actor: "otto"})
	var done *store.AlreadyResolvedError
	require.ErrorAs(t, err, &done)
	_, err = s.ResolveDiscrepancy(ctx, store.Resolve{ID: 999999, Resolution: reconcile.ResolutionFixed, Note: "x", Actor: "otto"})
	require.ErrorIs(t, err, store.ErrNotFound)

	_, err = s.Pool().Exec(ctx, `DELETE FROM reconciliation_discrepancy_events`)
	require.Error(t, err, "the discrepancy audit trail is append-only")
}

// An orphan has no payout: resolving it writes its own audit row only.
func TestResolvingAnOrphanTouchesNoPayout(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	_, err := s.BeginRun(ctx, start("run"), lease)
	require.NoError(t, err)
	orphan := addDiscrepancy(t, s, "run", "theirs-1", "", reconcile.KindOrphan)
	res, err := s.ResolveDiscrepancy(ctx, store.Resolve{ID: orphan.ID, Resolution: reconcile.ResolutionFalsePositive, Note: "test payout at Heleket", Actor: "otto"})
	require.NoError(t, err)
	assert.False(t, res.AttentionCleared)
	var n int
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM payout_events`).Scan(&n))
	assert.Zero(t, n)
	audit, err := s.DiscrepancyEvents(ctx, orphan.ID)
	require.NoError(t, err)
	assert.Len(t, audit, 1)
}
