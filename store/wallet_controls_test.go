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

// A new wallet waits out its cooldown, a second admin can release it, a
// memo change starts the cooldown again, a disabled wallet is no one's
// default, and every change has its audit row.
func TestWalletCooldownApprovalDisableDelete(t *testing.T) {
	t.Parallel()
	s := testdb.Open(t)
	ctx := context.Background()
	k := store.WalletAt{ClientID: "w1", Asset: "TON", Network: "ton", Address: "EQDtFpEwcFAEcRe5mLVh2N6C0x-_hJEM7W61_JLnSF74p4q2"}
	w, err := s.PutWallet(ctx, store.Wallet{ClientID: k.ClientID, Asset: k.Asset, Network: k.Network, Address: k.Address,
		Memo: "1", IsDefault: true}, "alice", time.Hour)
	require.NoError(t, err)
	assert.False(t, w.Usable(time.Now()), "inside its cooldown")
	assert.True(t, w.Usable(time.Now().Add(61*time.Minute)))
	assert.Equal(t, "alice", w.ChangedBy)

	again, err := s.PutWallet(ctx, store.Wallet{ClientID: k.ClientID, Asset: k.Asset, Network: k.Network, Address: k.Address,
		Memo: "1", IsDefault: true}, "alice", time.Hour)
	require.NoError(t, err)
	assert.Equal(t, w.UsableFrom, again.UsableFrom, "the same wallet again changes nothing")

	approved, err := s.ApproveWallet(ctx, k, "bob")
	require.NoError(t, err)
	assert.True(t, approved.Usable(time.Now()))
	changed, err := s.PutWallet(ctx, store.Wallet{ClientID: k.ClientID, Asset: k.Asset, Network: k.Network, Address: k.Address,
		Memo: "2", IsDefault: true}, "alice", time.Hour)
	require.NoError(t, err)
	assert.False(t, changed.Usable(time.Now()), "a new memo is a new destination")
	assert.Empty(t, changed.ApprovedBy)

	disabled, err := s.DisableWallet(ctx, k, "carol")
	require.NoError(t, err)
	assert.NotNil(t, disabled.DisabledAt)
	assert.False(t, disabled.IsDefault)
	_, err = s.DefaultWallet(ctx, k.ClientID, k.Asset, k.Network)
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.ApproveWallet(ctx, k, "bob")
	assert.ErrorIs(t, err, store.ErrWalletDisabled)

	_, err = s.DeleteWallet(ctx, k, "carol")
	require.NoError(t, err)
	tomb, err := s.GetWallet(ctx, k)
	require.NoError(t, err, "a deleted wallet stays as a tombstone")
	assert.NotNil(t, tomb.DisabledAt, "still refused, never new again")
	list, err := s.ListWallets(ctx, k.ClientID)
	require.NoError(t, err)
	assert.Empty(t, list, "gone from the client's list")

	events, err := s.WalletEvents(ctx, k.ClientID)
	require.NoError(t, err)
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action+":"+e.Actor)
	}
	assert.Equal(t, []string{"added:alice", "approved:bob", "changed:alice", "disabled:carol", "deleted:carol"}, actions)
}
