package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
)

// Lists with no rows stay nil, as they were before the store used
// pgx.CollectRows (which gives an empty slice): what a caller encodes or
// tests for nil does not change.
func TestListsOfNothingAreNil(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()

	wallets, err := s.ListWallets(ctx, "nobody")
	require.NoError(t, err)
	assert.Nil(t, wallets)
	schedules, err := s.ListSchedules(ctx, "nobody")
	require.NoError(t, err)
	assert.Nil(t, schedules)
	found, err := s.Discrepancies(ctx, "no-such-run", 0, 10)
	require.NoError(t, err)
	assert.Nil(t, found)
	failed, err := s.FailedSince(ctx, time.Now(), "", 10)
	require.NoError(t, err)
	assert.Nil(t, failed)
}
