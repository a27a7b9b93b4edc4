package store_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// storeBatch writes a batch of n rows of 1 USDT each, after edit (if any)
// adjusts them, and returns its payout IDs in ID order.
func storeBatch(t *testing.T, s *store.Store, id string, n int, edit ...func([]payout.Payout)) []string {
	t.Helper()
	amounts := make([]string, n)
	for i := range amounts {
		amounts[i] = "1"
	}
	b, ps := batchOf(id, amounts...)
	for _, e := range edit {
		e(ps)
	}
	_, created, err := s.CreateBatch(context.Background(), b, ps)
	require.NoError(t, err)
	require.True(t, created)
	ids := make([]string, n)
	for i, p := range ps {
		ids[i] = p.ID
	}
	sort.Strings(ids)
	return ids
}

func TestSetBatchStateMovesAuditsAndRefusesLeavingFinalStates(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	storeBatch(t, s, "bts1", 1)

	b, err := s.GetBatch(ctx, "bts1")
	require.NoError(t, err)
	assert.Equal(t, store.BatchStarting, b.State, "a new batch is being started")
	created := b.UpdatedAt

	changed, err := s.SetBatchState(ctx, "bts1", store.BatchPaused, "paused", "alice", map[string]any{"note": "budget"})
	require.NoError(t, err)
	assert.True(t, changed)
	changed, err = s.SetBatchState(ctx, "bts1", store.BatchPaused, "paused", "bob", nil)
	require.NoError(t, err)
	assert.False(t, changed, "pausing a paused batch is a no-op")

	b, err = s.GetBatch(ctx, "bts1")
	require.NoError(t, err)
	assert.Equal(t, store.BatchPaused, b.State)
	assert.True(t, b.UpdatedAt.After(created) || b.UpdatedAt.Equal(created))

	_, err = s.SetBatchState(ctx, "bts1", store.BatchStarting, "paused", "alice", nil)
	assert.ErrorIs(t, err, store.ErrBatchMove, "a resume must be audited as resumed")
	assert.NotErrorIs(t, err, store.ErrBatchFinal)
	_, err = s.SetBatchState(ctx, "bts1", store.BatchStarted, "started", "workflow", nil)
	assert.ErrorIs(t, err, store.ErrBatchMove, "a paused batch starts no more rows, so it cannot have started them all")
	assert.NotErrorIs(t, err, store.ErrBatchFinal)

	changed, err = s.SetBatchState(ctx, "bts1", store.BatchStarting, "resumed", "alice", nil)
	require.NoError(t, err)
	assert.True(t, changed)
	changed, err = s.SetBatchState(ctx, "bts1", store.BatchCancelled, "cancelled", "carol", map[string]any{"reason": "fraud"})
	require.NoError(t, err)
	assert.True(t, changed)
	changed, err = s.SetBatchState(ctx, "bts1", store.BatchCancelled, "cancelled", "carol", nil)
	require.NoError(t, err)
	assert.False(t, changed, "cancelling a cancelled batch is a no-op")

	for _, to := range []store.BatchState{store.BatchStarting, store.BatchPaused, store.BatchStarted} {
		action := map[store.BatchState]string{store.BatchStarting: "resumed", store.BatchPaused: "paused", store.BatchStarted: "started"}[to]
		_, err = s.SetBatchState(ctx, "bts1", to, action, "alice", nil)
		assert.ErrorIs(t, err, store.ErrBatchFinal, "cancelled -> %s", to)
	}

	events, err := s.BatchEvents(ctx, "bts1")
	require.NoError(t, err)
	require.Len(t, events, 3, "one event per change, none for no-ops or refusals")
	assert.Equal(t, []string{"paused", "resumed", "cancelled"}, []string{events[0].Action, events[1].Action, events[2].Action})
	assert.Equal(t, []string{"alice", "alice", "carol"}, []string{events[0].Actor, events[1].Actor, events[2].Actor})
	assert.Equal(t, map[string]any{"note": "budget"}, events[0].Details)
	assert.Equal(t, map[string]any{}, events[1].Details, "no details are stored as {}")
	assert.Equal(t, map[string]any{"reason": "fraud"}, events[2].Details)
	for _, e := range events {
		assert.Equal(t, "bts1", e.BatchID)
		assert.False(t, e.At.IsZero())
	}
	b, err = s.GetBatch(ctx, "bts1")
	require.NoError(t, err)
	assert.Equal(t, store.BatchCancelled, b.State)

	_, err = s.Pool().Exec(ctx, `UPDATE payout_batch_events SET actor = 'mallory'`)
	assert.Error(t, err, "the batch audit trail is append-only")
	_, err = s.Pool().Exec(ctx, `DELETE FROM payout_batch_events`)
	assert.Error(t, err, "the batch audit trail is append-only")
}

func TestSetBatchStateStartedIsFinal(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	storeBatch(t, s, "bts2", 1)

	changed, err := s.SetBatchState(ctx, "bts2", store.BatchStarted, "started", "workflow", map[string]any{"rows": 1})
	require.NoError(t, err)
	assert.True(t, changed)
	changed, err = s.SetBatchState(ctx, "bts2", store.BatchStarted, "started", "workflow", nil)
	require.NoError(t, err)
	assert.False(t, changed)
	_, err = s.SetBatchState(ctx, "bts2", store.BatchPaused, "paused", "alice", nil)
	assert.ErrorIs(t, err, store.ErrBatchFinal)
	_, err = s.SetBatchState(ctx, "bts2", store.BatchCancelled, "cancelled", "alice", nil)
	assert.ErrorIs(t, err, store.ErrBatchFinal)

	sum, err := s.BatchSummary(ctx, "bts2")
	require.NoError(t, err)
	assert.Equal(t, store.BatchStarted, sum.State)
	events, err := s.BatchEvents(ctx, "bts2")
	require.NoError(t, err)
	require.Len(t, events, 1)
	assert.Equal(t, map[string]any{"rows": float64(1)}, events[0].Details)

	_, err = s.SetBatchState(ctx, "nope", store.BatchPaused, "paused", "alice", nil)
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.SetBatchState(ctx, "bts2", store.BatchState("gone"), "paused", "alice", nil)
	assert.Error(t, err)
}

func TestBatchRowsToStartPagesUnstartedOpenRows(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	ids := storeBatch(t, s, "btr", 7)
	storeBatch(t, s, "btother", 2)

	require.NoError(t, s.MarkBatchStarted(ctx, "btr", []string{ids[1], ids[4]}))
	_, applied, err := s.Apply(ctx, payout.Change{PayoutID: ids[2], To: payout.StatusCancelled, Source: payout.SourceAdmin, Actor: "alice"})
	require.NoError(t, err)
	require.True(t, applied)

	var got []string
	after := ""
	for {
		page, err := s.BatchRowsToStart(ctx, "btr", after, 2)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), 2)
		if len(page) == 0 {
			break
		}
		got = append(got, payoutIDs(page)...)
		after = page[len(page)-1].ID
	}
	assert.Equal(t, []string{ids[0], ids[3], ids[5], ids[6]}, got,
		"neither started rows, nor final ones, nor another batch's")

	_, err = s.BatchRowsToStart(ctx, "btr", "", 0)
	assert.Error(t, err)
}

func TestCancelUnstartedBatchRowsCancelsAuditsOnceAndLeavesStartedRows(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	// More than one chunk, so the paging between statements is exercised.
	const n = 2503
	awaiting := "btc-r42"
	ids := storeBatch(t, s, "btc", n, func(ps []payout.Payout) {
		ps[42].Status = payout.StatusAwaitingApproval
	})
	storeBatch(t, s, "btc2", 3)

	started := []string{ids[0], ids[1500], ids[n-1]}
	require.NoError(t, s.MarkBatchStarted(ctx, "btc", started))
	// An unstarted row already final is not touched again.
	_, applied, err := s.Apply(ctx, payout.Change{PayoutID: ids[7], To: payout.StatusRejected, Source: payout.SourceAdmin, Actor: "bob"})
	require.NoError(t, err)
	require.True(t, applied)
	require.NotContains(t, append(started, ids[7]), awaiting)

	// Every row but the started ones and the rejected one.
	want := n - len(started) - 1
	cancelled, err := s.CancelUnstartedBatchRows(ctx, "btc", "carol", "campaign cancelled")
	require.NoError(t, err)
	assert.Equal(t, want, cancelled)

	again, err := s.CancelUnstartedBatchRows(ctx, "btc", "carol", "campaign cancelled")
	require.NoError(t, err)
	assert.Zero(t, again, "a second call cancels nothing")

	for _, id := range started {
		p, err := s.GetPayout(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, payout.StatusRequested, p.Status, "a started row is its workflow's")
	}
	p, err := s.GetPayout(ctx, ids[7])
	require.NoError(t, err)
	assert.Equal(t, payout.StatusRejected, p.Status)

	for _, id := range []string{ids[2], ids[1499], ids[n-2], awaiting} {
		p, err := s.GetPayout(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, payout.StatusCancelled, p.Status, id)
		assert.Equal(t, "campaign cancelled", p.FailureReason)
		assert.NotNil(t, p.FinalizedAt)
		events, err := s.Events(ctx, id)
		require.NoError(t, err)
		require.Len(t, events, 2, "creation and one cancellation, also after the second call")
		e := events[1]
		assert.Equal(t, payout.StatusCancelled, e.To)
		assert.Equal(t, payout.SourceAdmin, e.Source)
		assert.Equal(t, "carol", e.Actor)
		assert.Equal(t, map[string]any{"batch_id": "btc", "reason": "campaign cancelled"}, e.Details)
	}
	events, err := s.Events(ctx, awaiting)
	require.NoError(t, err)
	assert.Equal(t, payout.StatusAwaitingApproval, events[len(events)-1].From, "awaiting approval is cancellable too")

	assert.Equal(t, want, countRows(t, s, `
		SELECT count(*) FROM payout_events e JOIN payout_batch_items i ON i.payout_id = e.payout_id
		WHERE i.batch_id = 'btc' AND e.to_status = 'cancelled'`), "one audit row per cancelled row")
	assert.Zero(t, countRows(t, s, `
		SELECT count(*) FROM payouts p JOIN payout_batch_items i ON i.payout_id = p.id
		WHERE i.batch_id = 'btc2' AND p.status <> 'requested'`), "another batch's rows are untouched")

	none, err := s.CancelUnstartedBatchRows(ctx, "nope", "carol", "x")
	require.NoError(t, err)
	assert.Zero(t, none)
}

func TestListBatchesPagesNewestFirst(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	for _, id := range []string{"btl1", "btl2", "btl3"} {
		storeBatch(t, s, id, 1)
	}
	// Two batches created at the same instant are told apart by ID.
	at := time.Now().Add(-time.Hour).Truncate(time.Microsecond)
	_, err := s.Pool().Exec(ctx, `UPDATE payout_batches SET created_at = $1 WHERE id IN ('btl1', 'btl2')`, at)
	require.NoError(t, err)

	first, next, err := s.ListBatches(ctx, nil, 2)
	require.NoError(t, err)
	require.NotNil(t, next)
	assert.Equal(t, []string{"btl3", "btl2"}, batchIDs(first))
	assert.Equal(t, store.BatchPageKey{CreatedAt: first[1].CreatedAt, ID: "btl2"}, *next)
	assert.Equal(t, store.BatchStarting, first[0].State)

	second, last, err := s.ListBatches(ctx, next, 2)
	require.NoError(t, err)
	assert.Nil(t, last, "the last page has no next key")
	assert.Equal(t, []string{"btl1"}, batchIDs(second))

	exact, end, err := s.ListBatches(ctx, nil, 3)
	require.NoError(t, err)
	assert.Nil(t, end, "a page that holds exactly the rest is the last")
	assert.Len(t, exact, 3)

	_, _, err = s.ListBatches(ctx, nil, 0)
	assert.Error(t, err)
}

func batchIDs(bs []store.Batch) []string {
	out := []string{}
	for _, b := range bs {
		out = append(out, b.ID)
	}
	return out
}

func TestBatchPayoutsPagePagesEveryRowByID(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	ids := storeBatch(t, s, "btp", 5)
	storeBatch(t, s, "btp2", 2)
	require.NoError(t, s.MarkBatchStarted(ctx, "btp", ids[:2]))

	page, err := s.BatchPayoutsPage(ctx, "btp", "", 3)
	require.NoError(t, err)
	assert.Equal(t, ids[:3], payoutIDs(page), "started or not")
	assert.Equal(t, "1", page[0].Amount.String())
	page, err = s.BatchPayoutsPage(ctx, "btp", page[2].ID, 3)
	require.NoError(t, err)
	assert.Equal(t, ids[3:], payoutIDs(page))
	page, err = s.BatchPayoutsPage(ctx, "btp", ids[4], 3)
	require.NoError(t, err)
	assert.Empty(t, page)
	page, err = s.BatchPayoutsPage(ctx, "nope", "", 3)
	require.NoError(t, err)
	assert.Empty(t, page)
}

func TestOpenPayoutsSkipsUnstartedBatchRows(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	ids := storeBatch(t, s, "bto", 4)
	single := create(t, s, newPayout("single", "3"))
	require.NoError(t, s.MarkBatchStarted(ctx, "bto", []string{ids[1], ids[3]}))

	open, err := s.OpenPayouts(ctx, time.Now().Add(time.Minute), "", 100)
	require.NoError(t, err)
	assert.Equal(t, []string{ids[1], ids[3], single.ID}, payoutIDs(open),
		"started batch rows and single payouts are reconciled; unstarted rows are their batch workflow's")

	open, err = s.OpenPayouts(ctx, time.Now().Add(time.Minute), ids[1], 1)
	require.NoError(t, err)
	assert.Equal(t, []string{ids[3]}, payoutIDs(open), "paging skips them too")
}

// Exactly one chunk's worth of rows: the first statement sees a full page,
// so a second one must run and find the end.
func TestCancelUnstartedBatchRowsExactlyOneChunk(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	storeBatch(t, s, "btx", 1000)
	n, err := s.CancelUnstartedBatchRows(ctx, "btx", "carol", "stop")
	require.NoError(t, err)
	assert.Equal(t, 1000, n)
	rest, err := s.BatchRowsToStart(ctx, "btx", "", 10)
	require.NoError(t, err)
	assert.Empty(t, payoutIDs(rest), "cancelled rows are not started")
}

// Concurrent pauses (two admins, or a retried activity next to its first
// attempt) change the batch once and record one event.
func TestSetBatchStateConcurrentPausesChangeOnce(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	storeBatch(t, s, "btcc", 1)

	changed := make([]bool, 8)
	var wg sync.WaitGroup
	for i := range changed {
		wg.Go(func() {
			c, err := s.SetBatchState(ctx, "btcc", store.BatchPaused, "paused", fmt.Sprintf("admin%d", i), nil)
			assert.NoError(t, err)
			changed[i] = c
		})
	}
	wg.Wait()
	assert.Equal(t, 1, countTrue(changed))
	events, err := s.BatchEvents(ctx, "btcc")
	require.NoError(t, err)
	assert.Len(t, events, 1)
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
