package store_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

func batchOf(id string, amounts ...string) (store.Batch, []payout.Payout) {
	ps := make([]payout.Payout, len(amounts))
	for i, a := range amounts {
		p := newPayout(fmt.Sprintf("%s-r%d", id, i), a)
		p.Origin, p.Status, p.IdempotencyKey = payout.OriginBonus, payout.StatusRequested, ""
		ps[i] = p
	}
	return store.Batch{ID: id, IdempotencyKey: "key-" + id, Fingerprint: bytes.Repeat([]byte{1}, 32),
		RowCount: len(ps), RequestedBy: "alice"}, ps
}

func countRows(t *testing.T, s *store.Store, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, s.Pool().QueryRow(context.Background(), query, args...).Scan(&n))
	return n
}

func TestCreateBatchWritesEveryRowWithItsAuditRowOnce(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	b, ps := batchOf("bt1", "1.5", "2", "0.000001")
	ps[2].Status = payout.StatusAwaitingApproval

	var wg sync.WaitGroup
	created := make([]bool, 4)
	for i := range created {
		wg.Go(func() {
			_, c, err := s.CreateBatch(ctx, b, ps)
			assert.NoError(t, err)
			created[i] = c
		})
	}
	wg.Wait()
	assert.ElementsMatch(t, []bool{true, false, false, false}, created, "concurrent identical requests: one writer")

	for _, p := range ps {
		got, err := s.GetPayout(ctx, p.ID)
		require.NoError(t, err)
		assert.True(t, p.Amount.Equal(got.Amount))
		assert.Equal(t, payout.OriginBonus, got.Origin)
		assert.Equal(t, p.Address, got.Address)
		events, err := s.Events(ctx, p.ID)
		require.NoError(t, err)
		require.Len(t, events, 1)
		assert.Equal(t, p.Status, events[0].To)
		assert.Equal(t, "bt1", events[0].Details["batch_id"])
		assert.Equal(t, "alice", events[0].Actor)
	}
	assert.Equal(t, 3, countRows(t, s, "select count(*) from payout_batch_items where batch_id = 'bt1'"))

	stored, err := s.GetBatch(ctx, "bt1")
	require.NoError(t, err)
	assert.Equal(t, b.Fingerprint, stored.Fingerprint)
	assert.Equal(t, 3, stored.RowCount)
}

func TestCreateBatchRefusesToAdoptExistingPayouts(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	b, ps := batchOf("bt2", "1", "2")
	create(t, s, newPayout(ps[1].ID, "9"))

	_, _, err := s.CreateBatch(ctx, b, ps)
	require.ErrorContains(t, err, "a payout ID of the batch already exists")
	_, err = s.GetBatch(ctx, "bt2")
	require.ErrorIs(t, err, store.ErrNotFound, "the whole batch rolled back")
	_, err = s.GetPayout(ctx, ps[0].ID)
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestBatchProgress(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	b, ps := batchOf("bt3", "1.25", "2.5", "3")
	_, _, err := s.CreateBatch(ctx, b, ps)
	require.NoError(t, err)

	todo, err := s.BatchRowsToStart(ctx, "bt3", "", 100)
	require.NoError(t, err)
	want := []string{ps[0].ID, ps[1].ID, ps[2].ID}
	slices.Sort(want)
	assert.Equal(t, want, ids(todo), "every row, in payout ID order")
	require.NoError(t, s.MarkBatchStarted(ctx, "bt3", []string{ps[0].ID}))
	_, _, err = s.Apply(ctx, payout.Change{PayoutID: ps[1].ID, To: payout.StatusRejected, Source: payout.SourceWorkflow})
	require.NoError(t, err)
	todo, err = s.BatchRowsToStart(ctx, "bt3", "", 100)
	require.NoError(t, err)
	assert.Equal(t, []string{ps[2].ID}, ids(todo), "started and final rows are left alone")

	sum, err := s.BatchSummary(ctx, "bt3")
	require.NoError(t, err)
	assert.Equal(t, "alice", sum.RequestedBy)
	require.Len(t, sum.Groups, 2)
	byStatus := map[payout.Status]store.BatchGroup{}
	for _, g := range sum.Groups {
		byStatus[g.Status] = g
	}
	assert.Equal(t, 2, byStatus[payout.StatusRequested].Count)
	assert.True(t, decimal.RequireFromString("4.25").Equal(byStatus[payout.StatusRequested].Amount))
	assert.Equal(t, 1, byStatus[payout.StatusRequested].NotStarted)
	assert.Equal(t, 1, byStatus[payout.StatusRejected].NotStarted)

	_, err = s.BatchSummary(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestDefaultWalletsInOneQuery(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	for _, w := range []store.Wallet{
		{ClientID: "a", Asset: "USDT", Network: "tron", Address: "T-a-default", IsDefault: true},
		{ClientID: "a", Asset: "USDT", Network: "tron", Address: "T-a-other"},
		{ClientID: "b", Asset: "TON", Network: "ton", Address: "EQ-b", Memo: "m", IsDefault: true},
	} {
		_, err := s.UpsertWallet(ctx, w)
		require.NoError(t, err)
	}
	got, err := s.DefaultWallets(ctx, []store.WalletKey{
		{ClientID: "a", Asset: "USDT", Network: "tron"}, {ClientID: "b", Asset: "TON", Network: "ton"},
		{ClientID: "c", Asset: "USDT", Network: "tron"},
	})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "T-a-default", got[store.WalletKey{ClientID: "a", Asset: "USDT", Network: "tron"}].Address)
	assert.Equal(t, "m", got[store.WalletKey{ClientID: "b", Asset: "TON", Network: "ton"}].Memo)
}

func TestSchedules(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	sc := store.Schedule{ID: "payout-schedule-42-monthly", ClientID: "42", Name: "monthly", Asset: "USDT",
		Network: "tron", Amount: decimal.RequireFromString("10.5"), IsSubtract: true,
		Spec: []byte(`{"cron":"0 9 1 * *"}`), CreatedBy: "alice"}
	stored, created, err := s.CreateSchedule(ctx, sc)
	require.NoError(t, err)
	require.True(t, created)
	assert.Equal(t, "", stored.Address, "NULL address: the default wallet")
	assert.JSONEq(t, `{"cron":"0 9 1 * *"}`, string(stored.Spec))

	other := sc
	other.Amount = decimal.RequireFromString("11")
	again, created, err := s.CreateSchedule(ctx, other)
	require.NoError(t, err)
	assert.False(t, created)
	assert.True(t, sc.Amount.Equal(again.Amount), "the stored terms come back for comparison")

	list, err := s.ListSchedules(ctx, "42")
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.NoError(t, s.DeleteSchedule(ctx, sc.ID))
	require.NoError(t, s.DeleteSchedule(ctx, sc.ID))
	list, err = s.ListSchedules(ctx, "42")
	require.NoError(t, err)
	assert.Empty(t, list)
	deleted, err := s.GetSchedule(ctx, sc.ID)
	require.NoError(t, err)
	assert.NotNil(t, deleted.DeletedAt)

	require.NoError(t, s.PurgeSchedule(ctx, sc.ID))
	_, err = s.GetSchedule(ctx, sc.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
}
