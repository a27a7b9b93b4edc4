package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/store"
)

type total struct {
	Status, Asset string
	Count         int64
	Amount        string
}

func totals(st store.Stats) []total {
	out := []total{}
	for _, t := range st.Totals {
		out = append(out, total{string(t.Status), t.Asset, t.Count, t.Amount.String()})
	}
	return out
}

func TestStatsAggregatesByStatusAndAsset(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	seed(t, s,
		seeded{id: "a", client: "c1", asset: "USDT", origin: "manual", status: "paid", amount: "1.000001", created: t0, final: time.Minute},
		seeded{id: "b", client: "c1", asset: "USDT", origin: "manual", status: "processing", amount: "2", created: t0.Add(time.Hour)},
		seeded{id: "c", client: "c2", asset: "TRX", origin: "bonus", status: "failed", amount: "3", created: t0.Add(2 * time.Hour), final: 2 * time.Minute, attention: true},
		seeded{id: "d", client: "c2", asset: "USDT", origin: "manual", status: "paid", amount: "4.5", created: t0.Add(3 * time.Hour), final: 5 * time.Minute},
		seeded{id: "e", client: "c3", asset: "USDT", origin: "manual", status: "paid", amount: "10", created: t0.Add(-time.Hour), final: 10 * time.Second, attention: true},
	)

	period, err := s.Stats(ctx, t0, t0.Add(4*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, []total{
		{"failed", "TRX", 1, "3"},
		{"paid", "USDT", 2, "5.500001"},
		{"processing", "USDT", 1, "2"},
	}, totals(period))
	// percentile_cont interpolates: over 60s, 120s, 300s the 95th is 120 + 0.9 * 180.
	assert.Equal(t, "120", period.P50Seconds.Decimal.String())
	assert.Equal(t, "282", period.P95Seconds.Decimal.String())
	assert.Equal(t, int64(2), period.NeedsAttention, "attention ignores the period")

	all, err := s.Stats(ctx, time.Time{}, time.Time{})
	require.NoError(t, err)
	assert.Equal(t, []total{
		{"failed", "TRX", 1, "3"},
		{"paid", "USDT", 3, "15.500001"},
		{"processing", "USDT", 1, "2"},
	}, totals(all))
	assert.Equal(t, "90", all.P50Seconds.Decimal.String())
	assert.Equal(t, "273", all.P95Seconds.Decimal.String())
}

func TestStatsOfAnEmptyPeriod(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	st, err := s.Stats(context.Background(), t0, t0.Add(time.Hour))
	require.NoError(t, err)
	assert.Empty(t, st.Totals)
	assert.False(t, st.P50Seconds.Valid)
	assert.False(t, st.P95Seconds.Valid)
	assert.Zero(t, st.NeedsAttention)
}

// The reconciliation_runs table comes from another migration; the figures
// must not depend on it being there.
func TestStatsLastReconciliationWithAndWithoutItsTable(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	st, err := s.Stats(ctx, time.Time{}, time.Time{})
	require.NoError(t, err)
	assert.Nil(t, st.LastReconciliation, "no run yet")

	_, err = s.Pool().Exec(ctx, `
		INSERT INTO reconciliation_runs (id, trigger, workflow_id, status, requested_at, started_at, finished_at) VALUES
			('r1', 'schedule', 'wf', 'succeeded', $1, $1, $2),
			('r2', 'manual', 'wf', 'running', $3, $3, NULL),
			('r3', 'manual', 'wf', 'skipped', $4, $4, $4)`,
		t0, t0.Add(time.Minute), t0.Add(time.Hour), t0.Add(2*time.Hour))
	require.NoError(t, err)
	st, err = s.Stats(ctx, time.Time{}, time.Time{})
	require.NoError(t, err)
	require.NotNil(t, st.LastReconciliation)
	assert.Equal(t, "r2", st.LastReconciliation.ID, "a skipped run does not hide the running one")
	assert.Equal(t, "running", st.LastReconciliation.Status)
	assert.True(t, t0.Add(time.Hour).Equal(st.LastReconciliation.RequestedAt))
	require.NotNil(t, st.LastReconciliation.StartedAt)
	assert.True(t, t0.Add(time.Hour).Equal(*st.LastReconciliation.StartedAt))
	assert.Nil(t, st.LastReconciliation.FinishedAt)

	_, err = s.Pool().Exec(ctx, `DROP TABLE reconciliation_runs CASCADE`)
	require.NoError(t, err)
	st, err = s.Stats(ctx, time.Time{}, time.Time{})
	require.NoError(t, err)
	assert.Nil(t, st.LastReconciliation, "a schema without the table reports no run")
}
