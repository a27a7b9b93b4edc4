package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/store"
)

func wallet(address string, isDefault bool) store.Wallet {
	return store.Wallet{ClientID: "c1", Asset: "USDT", Network: "tron", Address: address, IsDefault: isDefault}
}

func TestWalletDefaultSwitching(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()

	_, err := s.DefaultWallet(ctx, "c1", "USDT", "tron")
	require.ErrorIs(t, err, store.ErrNotFound)

	a, err := s.UpsertWallet(ctx, wallet("TA", true))
	require.NoError(t, err)
	assert.True(t, a.IsDefault)
	_, err = s.UpsertWallet(ctx, wallet("TB", false))
	require.NoError(t, err)
	def, err := s.DefaultWallet(ctx, "c1", "USDT", "tron")
	require.NoError(t, err)
	assert.Equal(t, "TA", def.Address)

	b := wallet("TB", true)
	b.Memo = "new memo"
	_, err = s.UpsertWallet(ctx, b)
	require.NoError(t, err)
	def, err = s.DefaultWallet(ctx, "c1", "USDT", "tron")
	require.NoError(t, err)
	assert.Equal(t, "TB", def.Address)
	assert.Equal(t, "new memo", def.Memo)

	// Another network keeps its own default.
	eth := store.Wallet{ClientID: "c1", Asset: "USDT", Network: "eth", Address: "0xE", IsDefault: true}
	_, err = s.UpsertWallet(ctx, eth)
	require.NoError(t, err)

	list, err := s.ListWallets(ctx, "c1")
	require.NoError(t, err)
	require.Len(t, list, 3)
	got := map[string]bool{}
	for _, w := range list {
		got[w.Network+"/"+w.Address] = w.IsDefault
	}
	assert.Equal(t, map[string]bool{"eth/0xE": true, "tron/TA": false, "tron/TB": true}, got)
	assert.Equal(t, "eth", list[0].Network)

	empty, err := s.ListWallets(ctx, "nobody")
	require.NoError(t, err)
	assert.Empty(t, empty)
}

func TestWalletConcurrentDefaultsLeaveOne(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	addresses := []string{"T1", "T2", "T3", "T4", "T5", "T6"}
	var wg sync.WaitGroup
	errs := make([]error, len(addresses))
	start := make(chan struct{})
	for i, addr := range addresses {
		wg.Go(func() {
			<-start
			_, errs[i] = s.UpsertWallet(ctx, wallet(addr, true))
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	var defaults int
	require.NoError(t, s.Pool().QueryRow(ctx,
		`SELECT count(*) FROM client_wallets WHERE client_id = 'c1' AND is_default`).Scan(&defaults))
	assert.Equal(t, 1, defaults)
}
