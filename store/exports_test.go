package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/reconcile"
	"github.com/heleket-payouts/payouts/store"
)

func TestExportPayoutsHasEveryMatchingRowInTheListsOrder(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	for i := range 5 {
		status := "requested"
		if i%2 == 1 {
			status = "paid"
		}
		seed(t, s, seeded{id: fmt.Sprintf("e%d", i), client: "c1", asset: "USDT", origin: "manual", status: status,
			amount: "0.000000000000000001", created: t0.Add(time.Duration(i/2) * time.Minute)})
	}
	f := store.PayoutFilter{Statuses: []payout.Status{payout.StatusRequested}}
	var got []payout.Payout
	require.NoError(t, s.ExportPayouts(ctx, f, func(p payout.Payout) error { got = append(got, p); return nil }))
	list, _, err := s.ListPayouts(ctx, f, nil, 100)
	require.NoError(t, err)
	assert.Equal(t, ids(list), ids(got))
	assert.Equal(t, []string{"e4", "e2", "e0"}, ids(got))
	assert.Equal(t, "0.000000000000000001", got[0].Amount.String(), "amounts stay exact")
}

func TestExportStopsAtTheCallersError(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	for i := range 3 {
		seed(t, s, seeded{id: fmt.Sprintf("x%d", i), client: "c1", asset: "USDT", origin: "manual", status: "requested",
			amount: "1", created: t0.Add(time.Duration(i) * time.Minute)})
	}
	gone := errors.New("client gone")
	calls := 0
	err := s.ExportPayouts(context.Background(), store.PayoutFilter{}, func(payout.Payout) error { calls++; return gone })
	assert.Same(t, gone, err, "the caller's own error comes back unwrapped")
	assert.Equal(t, 1, calls)
}

func TestExportEventsIsTheAuditTrailOldestFirst(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	create(t, s, newPayout("ev1", "5"))
	_, applied, err := s.Apply(ctx, payout.Change{PayoutID: "ev1", To: payout.StatusCancelled, Source: payout.SourceAPI,
		Actor: "admin@example.com"})
	require.NoError(t, err)
	require.True(t, applied)
	var got []payout.Event
	require.NoError(t, s.ExportEvents(ctx, "ev1", func(e payout.Event) error { got = append(got, e); return nil }))
	want, err := s.Events(ctx, "ev1")
	require.NoError(t, err)
	assert.Equal(t, want, got)
	require.Len(t, got, 2)
	assert.Equal(t, payout.StatusCancelled, got[1].To)
}

func TestExportDiscrepanciesOfOneRun(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	for _, id := range []string{"ra", "rb"} {
		_, err := s.BeginRun(ctx, start(id), lease)
		require.NoError(t, err)
		_, err = s.FinishRun(ctx, reconcile.Finish{RunID: id, Status: reconcile.StatusSucceeded})
		require.NoError(t, err)
	}
	for i, run := range []string{"ra", "rb", "ra"} {
		_, _, err := s.AddDiscrepancy(ctx, store.Discrepancy{RunID: run, OrderID: fmt.Sprintf("o%d", i),
			Kind: reconcile.KindOrphan, Theirs: map[string]any{"amount": "1.50"}})
		require.NoError(t, err)
	}
	var got []store.Discrepancy
	require.NoError(t, s.ExportDiscrepancies(ctx, "ra", func(d store.Discrepancy) error { got = append(got, d); return nil }))
	want, err := s.Discrepancies(ctx, "ra", 0, 100)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	require.Len(t, got, 2)
	assert.Equal(t, []string{"o0", "o2"}, []string{got[0].OrderID, got[1].OrderID})
}
