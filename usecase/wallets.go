package usecase

import (
	"context"
	"errors"
	"fmt"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// WalletRequest is a wallet to create or update. Default is a pointer
// because it is required: a request that only meant to change a memo must
// not demote the client's default wallet by leaving it out.
type WalletRequest struct {
	ClientID, Asset, Network, Address, Memo string
	Default                                 *bool
}

// PutWallet creates a client's wallet or updates its memo and default
// flag; the wallet is identified by client, asset, network and address.
// It is checked like a payout's destination, written with its audit row,
// and a new or changed wallet waits out WALLET_CHANGE_COOLDOWN.
func (s *Service) PutWallet(ctx context.Context, req WalletRequest, actor access.Actor) (store.Wallet, error) {
	if err := access.Need(actor, access.Initiator, "change a wallet"); err != nil {
		return store.Wallet{}, err
	}
	valid, fields := payout.ValidateWallet(payout.WalletRequest{
		ClientID: req.ClientID, Asset: req.Asset, Network: req.Network,
		Address: req.Address, Memo: req.Memo, IsDefault: req.Default != nil && *req.Default,
	})
	if req.Default == nil {
		if fields == nil {
			fields = payout.FieldErrors{}
		}
		fields.Add("default", "is required: true makes this the client's default wallet for the asset on the network")
	}
	if !fields.Empty() {
		return store.Wallet{}, invalid("invalid wallet", fields)
	}
	stored, err := s.store.PutWallet(ctx, store.Wallet{
		ClientID: valid.ClientID, Asset: valid.Asset, Network: valid.Network, Address: valid.Address,
		Memo: valid.Memo, IsDefault: valid.IsDefault,
	}, actor.Name, s.gate.Policy.WalletCooldown)
	if err != nil {
		return store.Wallet{}, fmt.Errorf("save wallet of client %s (%s on %s): %w", valid.ClientID, valid.Asset, valid.Network, err)
	}
	s.log.InfoContext(ctx, "wallet saved", "client_id", stored.ClientID, "asset", stored.Asset, "network", stored.Network,
		"default", stored.IsDefault, "actor", actor.Name)
	return stored, nil
}

// Wallet changes after it is saved.
const (
	WalletApprove = "approve"
	WalletDisable = "disable"
	WalletDelete  = "delete"
)

// WalletAt names one of a client's wallets.
type WalletAt struct{ ClientID, Asset, Network, Address string }

// ChangeWallet approves a wallet inside its cooldown (an approver other
// than the admin who changed it), disables it (never a default, never
// paid) or deletes it (its audit trail stays); each change is audited and
// repeating it changes nothing more.
func (s *Service) ChangeWallet(ctx context.Context, k WalletAt, change string, actor access.Actor) (store.Wallet, error) {
	need := map[string]access.Role{WalletApprove: access.Approver, WalletDisable: access.Initiator, WalletDelete: access.Initiator}[change]
	if need == "" {
		return store.Wallet{}, fmt.Errorf("change wallet: unknown change %q", change)
	}
	if err := access.Need(actor, need, change+" a wallet"); err != nil {
		return store.Wallet{}, err
	}
	valid, fields := payout.ValidateWallet(payout.WalletRequest{ClientID: k.ClientID, Asset: k.Asset, Network: k.Network, Address: k.Address})
	if !fields.Empty() {
		return store.Wallet{}, invalid("invalid wallet", fields)
	}
	at := store.WalletAt{ClientID: valid.ClientID, Asset: valid.Asset, Network: valid.Network, Address: valid.Address}
	current, err := s.store.GetWallet(ctx, at)
	if errors.Is(err, store.ErrNotFound) {
		return store.Wallet{}, notFound("wallet")
	}
	if err != nil {
		return store.Wallet{}, err
	}
	var w store.Wallet
	switch change {
	case WalletApprove:
		if err := access.NotInitiator(actor, current.ChangedBy); err != nil {
			return store.Wallet{}, err
		}
		w, err = s.store.ApproveWallet(ctx, at, actor.Name)
		if errors.Is(err, store.ErrWalletDisabled) {
			return store.Wallet{}, conflict("the wallet is disabled: put it again to enable it")
		}
	case WalletDisable:
		w, err = s.store.DisableWallet(ctx, at, actor.Name)
	case WalletDelete:
		w, err = s.store.DeleteWallet(ctx, at, actor.Name)
	}
	if err != nil {
		return store.Wallet{}, err
	}
	s.log.InfoContext(ctx, "wallet changed: "+change, "client_id", at.ClientID, "asset", at.Asset, "network", at.Network, "actor", actor.Name)
	return w, nil
}
