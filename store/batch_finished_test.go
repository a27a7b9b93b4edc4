package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/payout"
)

// A page attempt that died after starting rows leaves them unrecorded;
// once their workflows finish, BatchRowsToStart skips them, so the retry
// must record them or the campaign counts them not started for ever
// (found by chaos.TestCampaignKillsMidStart: 9 of 300 rows).
func TestMarkFinishedBatchRowsStartedRecordsFinalRowsInRange(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	ids := storeBatch(t, s, "btf", 6)
	other := storeBatch(t, s, "btfother", 1)
	for _, id := range []string{ids[1], ids[2], ids[4], other[0]} {
		_, applied, err := s.Apply(ctx, payout.Change{PayoutID: id, To: payout.StatusCancelled, Source: payout.SourceAdmin, Actor: "alice"})
		require.NoError(t, err)
		require.True(t, applied)
	}

	n, err := s.MarkFinishedBatchRowsStarted(ctx, "btf", ids[0], ids[3])
	require.NoError(t, err)
	assert.Equal(t, 2, n, "the final rows in (ids[0], ids[3]]")
	page, err := s.BatchRowsToStart(ctx, "btf", "", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{ids[0], ids[3], ids[5]}, payoutIDs(page), "open rows are left to be started")

	n, err = s.MarkFinishedBatchRowsStarted(ctx, "btf", ids[3], "")
	require.NoError(t, err)
	assert.Equal(t, 1, n, "no upper bound: ids[4]")
	n, err = s.MarkFinishedBatchRowsStarted(ctx, "btf", "", "")
	require.NoError(t, err)
	assert.Zero(t, n, "recorded once")

	sum, err := s.BatchSummary(ctx, "btf")
	require.NoError(t, err)
	notStarted := 0
	for _, g := range sum.Groups {
		notStarted += g.NotStarted
	}
	assert.Equal(t, 3, notStarted, "the three open rows")
	sum, err = s.BatchSummary(ctx, "btfother")
	require.NoError(t, err)
	require.Len(t, sum.Groups, 1)
	assert.Equal(t, 1, sum.Groups[0].NotStarted, "another batch's rows are untouched")
}
