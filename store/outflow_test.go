package store_test

import (
	"context"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// A payout made 25 hours ago and still held for funds can go out any time,
// and one made 30 hours ago but paid an hour ago went out inside the 24
// hours: both count in the client's 24 h total; a failed one does not.
func TestOutflowCountsHeldAndLatePaidPayouts(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	old := func(id string, hoursAgo int, to ...payout.Status) {
		_, err := s.Pool().Exec(ctx, `INSERT INTO payouts (id, client_id, asset, network, amount, address, origin, status,
			is_subtract, requested_by, created_at) VALUES ($1, 'c1', 'USDT', 'tron', 100, 'TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW',
			'manual', 'requested', true, 'alice', now() - make_interval(hours => $2))`, id, hoursAgo)
		require.NoError(t, err)
		for _, st := range to {
			_, applied, err := s.Apply(ctx, payout.Change{PayoutID: id, To: st, Source: payout.SourceWorkflow, Actor: "workflow"})
			require.NoError(t, err)
			require.True(t, applied, "%s -> %s", id, st)
		}
	}
	old("held", 25, payout.StatusAwaitingFunds)
	old("late", 30, payout.StatusSubmitted, payout.StatusPaid)
	old("cancelled", 26, payout.StatusCancelled)
	old("failed", 1, payout.StatusFailed)
	old("recent", 2)

	var seen store.Outflow
	p := payout.Payout{ID: "new", ClientID: "c1", Asset: "USDT", Network: "tron", Amount: decimal.NewFromInt(1),
		Address: "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW", Origin: payout.OriginManual, IsSubtract: true, RequestedBy: "alice"}
	_, created, err := s.CreatePayoutChecked(ctx, p, "alice", nil, store.Check{ClientTotal: true, AllTotal: true,
		Decide: func(p payout.Payout, f store.Facts) (payout.Payout, error) { seen = f.Outflow; return p, nil }})
	require.NoError(t, err)
	require.True(t, created)
	assert.Equal(t, "300", seen.Client.String(), "held, paid late and recent; not the failed or cancelled ones")
	assert.Equal(t, "300", seen.All.String())
}
