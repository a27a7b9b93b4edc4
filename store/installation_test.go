package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// Each database is its own installation: two fresh ones never share an ID,
// the ID is stable, and nothing can change it under running payouts.
func TestInstallationIDPerDatabase(t *testing.T) {
	ctx := context.Background()
	a, b := openStore(t, testdb.New(t)), openStore(t, testdb.New(t))
	idA, err := a.Installation(ctx)
	require.NoError(t, err)
	idB, err := b.Installation(ctx)
	require.NoError(t, err)
	require.True(t, payout.ValidInstallation(idA.ID), idA.ID)
	require.NotEqual(t, idA.ID, idB.ID)
	again, err := a.Installation(ctx)
	require.NoError(t, err)
	require.Equal(t, idA, again)

	_, err = a.Pool().Exec(ctx, `UPDATE installation SET id = 'ffffffffffffffffffffffff'`)
	require.ErrorContains(t, err, "never changes")
	_, err = a.Pool().Exec(ctx, `DELETE FROM installation`)
	require.ErrorContains(t, err, "never changes")
}

func openStore(t *testing.T, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}
