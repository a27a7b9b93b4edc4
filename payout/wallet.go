package payout

import "strings"

// WalletRequest is a client wallet as an admin sends it, before any checks.
type WalletRequest struct {
	ClientID  string
	Asset     string
	Network   string
	Address   string
	Memo      string
	IsDefault bool
}

// ValidateWallet checks a wallet with the same rules as a payout's
// destination, so that a default wallet never yields a payout that fails
// validation later. Codes come back normalized; on failure the returned
// request is the zero value.
func ValidateWallet(r WalletRequest) (WalletRequest, FieldErrors) {
	errs := FieldErrors{}
	v := WalletRequest{
		ClientID:  r.ClientID,
		Asset:     NormalizeAsset(r.Asset),
		Network:   NormalizeNetwork(r.Network),
		Address:   strings.TrimSpace(r.Address),
		Memo:      strings.TrimSpace(r.Memo),
		IsDefault: r.IsDefault,
	}
	checkClientID(errs, v.ClientID)
	checkAssetNetwork(errs, v.Asset, v.Network)
	if v.Address == "" {
		errs.Add(FieldAddress, "is required")
	}
	checkAddress(errs, v.Network, v.Address)
	checkMemo(errs, v.Network, v.Memo)
	if !errs.Empty() {
		return WalletRequest{}, errs
	}
	return v, nil
}

// ValidateClientID checks a client ID on its own, for routes that take
// nothing else (listing a client's wallets, filtering payouts).
func ValidateClientID(id string) FieldErrors {
	errs := FieldErrors{}
	checkClientID(errs, id)
	if errs.Empty() {
		return nil
	}
	return errs
}
