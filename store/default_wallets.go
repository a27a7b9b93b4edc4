package store

import (
	"context"
	"fmt"
)

// WalletKey names a client's default wallet for one asset on one network.
type WalletKey struct {
	ClientID, Asset, Network string
}

// DefaultWallets looks up many default wallets in one query, for requests
// with many rows (a bonus campaign) where one query per row would be slow.
// Keys without a default wallet are absent from the result.
func (s *Store) DefaultWallets(ctx context.Context, keys []WalletKey) (map[WalletKey]Wallet, error) {
	out := make(map[WalletKey]Wallet, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	clients, assets, networks := make([]string, len(keys)), make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		clients[i], assets[i], networks[i] = k.ClientID, k.Asset, k.Network
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+walletColumns+` FROM client_wallets
		WHERE is_default AND (client_id, asset, network) IN (
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))`,
		clients, assets, networks)
	if err != nil {
		return nil, fmt.Errorf("store: default wallets (%d keys): %w", len(keys), err)
	}
	list, err := collect(rows, rowTo(scanWallet))
	if err != nil {
		return nil, fmt.Errorf("store: default wallets: %w", err)
	}
	for _, w := range list {
		out[WalletKey{w.ClientID, w.Asset, w.Network}] = w
	}
	return out, nil
}
