package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/metricstest"
	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/payout"
)

// started reads payouts_started_total for USDT on tron from one origin.
func started(t *testing.T, origin payout.Origin) float64 {
	return metricstest.Counter(t, "payouts_started_total",
		map[string]string{"asset": "USDT", "network": "tron", "origin": string(origin)})
}

// The counter is process-wide, so these tests are not parallel: parallel
// tests only run once every sequential one has finished.

func TestCreateBatchCountsEveryRowAsStartedOnce(t *testing.T) {
	s := testdb.Open(t)
	b, ps := batchOf("bt-started", "1", "2", "3", "4")
	before := started(t, payout.OriginBonus)
	_, created, err := s.CreateBatch(context.Background(), b, ps)
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, 4.0, started(t, payout.OriginBonus)-before, "a batch of 4 rows is 4 payouts started")

	_, created, err = s.CreateBatch(context.Background(), b, ps)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, 4.0, started(t, payout.OriginBonus)-before, "a repeated batch starts nothing")
}

func TestCreatePayoutCountsAStartOnceWhoeverStoresIt(t *testing.T) {
	s := testdb.Open(t)
	p := newPayout("po-started-1", "5")
	before := started(t, payout.OriginManual)
	// The API stores it, then the workflow's Persist stores it again.
	for _, actor := range []string{"api", "workflow", "api"} {
		_, _, err := s.CreatePayout(context.Background(), p, actor, nil)
		require.NoError(t, err)
	}
	require.Equal(t, 1.0, started(t, payout.OriginManual)-before)

	scheduled := newPayout("po-started-2", "5")
	scheduled.Origin = payout.OriginScheduled
	before = started(t, payout.OriginScheduled)
	_, _, err := s.CreatePayout(context.Background(), scheduled, "workflow", nil)
	require.NoError(t, err)
	require.Equal(t, 1.0, started(t, payout.OriginScheduled)-before, "a schedule run stored by Persist counts too")
}
