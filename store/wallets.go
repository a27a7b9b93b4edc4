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
	// UsableFrom is when a new or changed wallet may be paid to without a
	// second admin (WALLET_CHANGE_COOLDOWN); ApprovedBy is that admin, if
	// one released it sooner. A disabled wallet is never paid to.
	UsableFrom time.Time  `json:"usable_from"`
	ApprovedBy string     `json:"approved_by,omitempty"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
	ChangedBy  string     `json:"changed_by,omitempty"`
}

// Usable says whether a payout may go to the wallet at now without a
// second admin's approval.
func (w Wallet) Usable(now time.Time) bool {
	return w.DisabledAt == nil && (w.ApprovedBy != "" || !now.Before(w.UsableFrom))
}

const walletColumns = `client_id, asset, network, address, memo, is_default, created_at, updated_at,
	usable_from, coalesce(approved_by, ''), disabled_at, changed_by`

func walletColumnsOf(alias string) string {
	return alias + ".client_id, " + alias + ".asset, " + alias + ".network, " + alias + ".address, " +
		alias + ".memo, " + alias + ".is_default, " + alias + ".created_at, " + alias + ".updated_at, " +
		alias + ".usable_from, " + alias + ".approved_by, " + alias + ".disabled_at, " + alias + ".changed_by"
}

// nullableWallet scans walletColumnsOf of an outer join.
type nullableWallet struct {
	clientID, asset, network, address, memo, approvedBy, changedBy *string
	isDefault                                                      *bool
	createdAt, updatedAt, usableFrom, disabledAt                   *time.Time
}

func (n *nullableWallet) dest() []any {
	return []any{&n.clientID, &n.asset, &n.network, &n.address, &n.memo, &n.isDefault, &n.createdAt, &n.updatedAt,
		&n.usableFrom, &n.approvedBy, &n.disabledAt, &n.changedBy}
}

func (n *nullableWallet) wallet() Wallet {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	at := func(p *time.Time) time.Time {
		if p == nil {
			return time.Time{}
		}
		return *p
	}
	return Wallet{ClientID: str(n.clientID), Asset: str(n.asset), Network: str(n.network), Address: str(n.address),
		Memo: str(n.memo), IsDefault: n.isDefault != nil && *n.isDefault, CreatedAt: at(n.createdAt),
		UpdatedAt: at(n.updatedAt), UsableFrom: at(n.usableFrom), ApprovedBy: str(n.approvedBy),
		DisabledAt: n.disabledAt, ChangedBy: str(n.changedBy)}
}

func scanWallet(row pgx.Row) (Wallet, error) {
	var w Wallet
	err := row.Scan(&w.ClientID, &w.Asset, &w.Network, &w.Address, &w.Memo, &w.IsDefault, &w.CreatedAt, &w.UpdatedAt,
		&w.UsableFrom, &w.ApprovedBy, &w.DisabledAt, &w.ChangedBy)
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
