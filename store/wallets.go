package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Wallet is a client's payout destination for one asset on one network.
type Wallet struct {
	ClientID  string    `json:"client_id"`
	Asset     string    `json:"asset"`
	Network   string    `json:"network"`
	Address   string    `json:"-"` // see payout.Payout.Address
	Memo      string    `json:"memo,omitempty"`
	IsDefault bool      `json:"is_default"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

const walletColumns = `client_id, asset, network, address, memo, is_default, created_at, updated_at`

func scanWallet(row pgx.Row) (Wallet, error) {
	var w Wallet
	err := row.Scan(&w.ClientID, &w.Asset, &w.Network, &w.Address, &w.Memo, &w.IsDefault, &w.CreatedAt, &w.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Wallet{}, ErrNotFound
	}
	return w, err
}

// UpsertWallet creates or updates a wallet. Making it the default demotes
// the previous default of the same client, asset and network in the same
// transaction.
func (s *Store) UpsertWallet(ctx context.Context, w Wallet) (Wallet, error) {
	var stored Wallet
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Two concurrent "make default" calls would otherwise both demote
		// nothing and one would fail on the one-default index.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
			"client_wallets\x1f"+w.ClientID+"\x1f"+w.Asset+"\x1f"+w.Network); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if w.IsDefault {
			if _, err := tx.Exec(ctx, `
				UPDATE client_wallets SET is_default = false, updated_at = now()
				WHERE client_id = $1 AND asset = $2 AND network = $3 AND is_default AND address <> $4`,
				w.ClientID, w.Asset, w.Network, w.Address); err != nil {
				return fmt.Errorf("demote previous default: %w", err)
			}
		}
		var err error
		stored, err = scanWallet(tx.QueryRow(ctx, `
			INSERT INTO client_wallets (client_id, asset, network, address, memo, is_default)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (client_id, asset, network, address)
				DO UPDATE SET memo = EXCLUDED.memo, is_default = EXCLUDED.is_default, updated_at = now()
			RETURNING `+walletColumns,
			w.ClientID, w.Asset, w.Network, w.Address, w.Memo, w.IsDefault))
		return err
	})
	if err != nil {
		return Wallet{}, fmt.Errorf("store: upsert %s/%s wallet of client %s: %w", w.Asset, w.Network, w.ClientID, err)
	}
	return stored, nil
}

// ListWallets returns a client's wallets, defaults first within each asset
// and network.
func (s *Store) ListWallets(ctx context.Context, clientID string) ([]Wallet, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+walletColumns+` FROM client_wallets WHERE client_id = $1
		ORDER BY asset, network, is_default DESC, created_at, address`, clientID)
	if err != nil {
		return nil, fmt.Errorf("store: list wallets of client %s: %w", clientID, err)
	}
	out, err := collect(rows, rowTo(scanWallet))
	if err != nil {
		return nil, fmt.Errorf("store: list wallets of client %s: %w", clientID, err)
	}
	return out, nil
}

// DefaultWallet returns the default wallet or ErrNotFound.
func (s *Store) DefaultWallet(ctx context.Context, clientID, asset, network string) (Wallet, error) {
	w, err := scanWallet(s.pool.QueryRow(ctx, `
		SELECT `+walletColumns+` FROM client_wallets
		WHERE client_id = $1 AND asset = $2 AND network = $3 AND is_default`,
		clientID, asset, network))
	if err != nil {
		return Wallet{}, fmt.Errorf("store: default %s/%s wallet of client %s: %w", asset, network, clientID, err)
	}
	return w, nil
}
