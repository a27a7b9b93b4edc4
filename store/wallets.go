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

// UpsertWallet creates or updates a wallet with no cooldown, by the system
// (fixtures, tests); admins' changes go through PutWallet.
func (s *Store) UpsertWallet(ctx context.Context, w Wallet) (Wallet, error) {
	return s.PutWallet(ctx, w, "system", 0)
}

// PutWallet creates or updates a wallet with its audit row. Making it the
// default demotes the previous default of the same client, asset and
// network in the same transaction. A new wallet, a changed memo or a
// disabled wallet put back is usable only after cooldown (or a second
// admin's approval); making a usable wallet the default changes nothing
// about where money goes, so it keeps its standing.
func (s *Store) PutWallet(ctx context.Context, w Wallet, actor string, cooldown time.Duration) (Wallet, error) {
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
		before, err := scanWallet(tx.QueryRow(ctx, `SELECT `+walletColumns+` FROM client_wallets
			WHERE client_id = $1 AND asset = $2 AND network = $3 AND address = $4 FOR UPDATE`,
			w.ClientID, w.Asset, w.Network, w.Address))
		found := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("load wallet: %w", err)
		}
		stored, err = scanWallet(tx.QueryRow(ctx, `
			INSERT INTO client_wallets (client_id, asset, network, address, memo, is_default, usable_from, changed_by)
			VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7), $8)
			ON CONFLICT (client_id, asset, network, address)
				DO UPDATE SET memo = EXCLUDED.memo, is_default = EXCLUDED.is_default, updated_at = now(),
					changed_by = CASE WHEN client_wallets.memo <> EXCLUDED.memo OR client_wallets.disabled_at IS NOT NULL
						THEN EXCLUDED.changed_by ELSE client_wallets.changed_by END,
					usable_from = CASE WHEN client_wallets.memo <> EXCLUDED.memo OR client_wallets.disabled_at IS NOT NULL
						THEN EXCLUDED.usable_from ELSE client_wallets.usable_from END,
					approved_by = CASE WHEN client_wallets.memo <> EXCLUDED.memo OR client_wallets.disabled_at IS NOT NULL
						THEN NULL ELSE client_wallets.approved_by END,
					disabled_at = NULL, deleted_at = NULL
			RETURNING `+walletColumns,
			w.ClientID, w.Asset, w.Network, w.Address, w.Memo, w.IsDefault, cooldown.Seconds(), actor))
		if err != nil {
			return err
		}
		action := "added"
		switch {
		case found && before.DisabledAt != nil:
			action = "enabled"
		case found && before.Memo != w.Memo:
			action = "changed"
		case found && before.IsDefault != w.IsDefault:
			action = "default_changed"
		case found:
			return nil // the same wallet again: nothing changed, nothing to audit
		}
		return walletEvent(ctx, tx, stored, action, actor, map[string]any{"default": stored.IsDefault,
			"usable_from": stored.UsableFrom})
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
		SELECT `+walletColumns+` FROM client_wallets WHERE client_id = $1 AND deleted_at IS NULL
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

// WalletAt names one wallet: a client's address for an asset on a network.
type WalletAt struct{ ClientID, Asset, Network, Address string }

// ErrWalletDisabled refuses approving a disabled wallet.
var ErrWalletDisabled = errors.New("the wallet is disabled")

// DisableWallet stops payouts to a wallet (it is no longer the default),
// with its audit row. Disabling a disabled wallet changes nothing.
func (s *Store) DisableWallet(ctx context.Context, k WalletAt, actor string) (Wallet, error) {
	return s.changeWallet(ctx, k, actor, "disabled", `UPDATE client_wallets SET disabled_at = now(), is_default = false,
		updated_at = now(), changed_by = $5 WHERE client_id = $1 AND asset = $2 AND network = $3 AND address = $4
		AND disabled_at IS NULL RETURNING `+walletColumns)
}

// ApproveWallet lets a wallet inside its cooldown be paid to now, by a
// second admin (the caller checks it is not the one who changed it).
func (s *Store) ApproveWallet(ctx context.Context, k WalletAt, actor string) (Wallet, error) {
	return s.changeWallet(ctx, k, actor, "approved", `UPDATE client_wallets SET approved_by = $5, updated_at = now()
		WHERE client_id = $1 AND asset = $2 AND network = $3 AND address = $4
		AND approved_by IS NULL AND disabled_at IS NULL RETURNING `+walletColumns)
}

// DeleteWallet removes a wallet from the client's list. It stays as a
// disabled tombstone with its audit rows, so its address is refused, not
// new: deleting a disabled wallet must not make it payable again. Putting
// it again brings it back, under the cooldown.
func (s *Store) DeleteWallet(ctx context.Context, k WalletAt, actor string) (Wallet, error) {
	return s.changeWallet(ctx, k, actor, "deleted", `UPDATE client_wallets SET deleted_at = now(),
		disabled_at = coalesce(disabled_at, now()), is_default = false, updated_at = now(), changed_by = $5
		WHERE client_id = $1 AND asset = $2 AND network = $3 AND address = $4 AND deleted_at IS NULL RETURNING `+walletColumns)
}

// GetWallet returns one wallet or ErrNotFound.
func (s *Store) GetWallet(ctx context.Context, k WalletAt) (Wallet, error) {
	w, err := scanWallet(s.pool.QueryRow(ctx, `SELECT `+walletColumns+` FROM client_wallets
		WHERE client_id = $1 AND asset = $2 AND network = $3 AND address = $4`, k.ClientID, k.Asset, k.Network, k.Address))
	if err != nil {
		return Wallet{}, fmt.Errorf("store: wallet of client %s: %w", k.ClientID, err)
	}
	return w, nil
}

// changeWallet runs one wallet statement and its audit row in one
// transaction. A statement that changes nothing (already in that state)
// returns the wallet as it is and records nothing; no wallet is
// ErrNotFound.
func (s *Store) changeWallet(ctx context.Context, k WalletAt, actor, action, sql string) (Wallet, error) {
	var out Wallet
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		w, err := scanWallet(tx.QueryRow(ctx, sql, k.ClientID, k.Asset, k.Network, k.Address, actor))
		if errors.Is(err, ErrNotFound) {
			out, err = scanWallet(tx.QueryRow(ctx, `SELECT `+walletColumns+` FROM client_wallets
				WHERE client_id = $1 AND asset = $2 AND network = $3 AND address = $4`, k.ClientID, k.Asset, k.Network, k.Address))
			if err == nil && action == "approved" && out.DisabledAt != nil {
				return ErrWalletDisabled
			}
			return err
		}
		if err != nil {
			return err
		}
		out = w
		return walletEvent(ctx, tx, w, action, actor, map[string]any{})
	})
	if err != nil {
		return Wallet{}, fmt.Errorf("store: %s wallet of client %s: %w", action, k.ClientID, err)
	}
	return out, nil
}

func walletEvent(ctx context.Context, tx pgx.Tx, w Wallet, action, actor string, details map[string]any) error {
	raw, err := encodeDetails(details)
	if err != nil {
		return fmt.Errorf("wallet event: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO client_wallet_events (client_id, asset, network, address, action, actor, details)
		VALUES ($1, $2, $3, $4, $5, $6, coalesce($7::jsonb, '{}'))`, w.ClientID, w.Asset, w.Network, w.Address, action, actor, raw); err != nil {
		return fmt.Errorf("record wallet %s: %w", action, err)
	}
	return nil
}

// WalletEvent is one audited change of a client's wallets.
type WalletEvent struct {
	Asset   string         `json:"asset"`
	Network string         `json:"network"`
	Address string         `json:"-"`
	Action  string         `json:"action"`
	Actor   string         `json:"actor"`
	Details map[string]any `json:"details,omitempty"`
	At      time.Time      `json:"at"`
}

// WalletEvents returns the audited changes of a client's wallets, oldest
// first.
func (s *Store) WalletEvents(ctx context.Context, clientID string) ([]WalletEvent, error) {
	rows, err := s.pool.Query(ctx, `SELECT asset, network, address, action, actor, details, at FROM client_wallet_events
		WHERE client_id = $1 ORDER BY id`, clientID)
	if err != nil {
		return nil, fmt.Errorf("store: wallet events of client %s: %w", clientID, err)
	}
	out, err := collect(rows, func(row pgx.CollectableRow) (WalletEvent, error) {
		var e WalletEvent
		return e, row.Scan(&e.Asset, &e.Network, &e.Address, &e.Action, &e.Actor, &e.Details, &e.At)
	})
	if err != nil {
		return nil, fmt.Errorf("store: wallet events of client %s: %w", clientID, err)
	}
	return out, nil
}
