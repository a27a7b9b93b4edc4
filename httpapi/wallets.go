package httpapi

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/usecase"
)

// walletRequest is the body of PUT /clients/{client_id}/wallets. Default is
// a pointer because it is required: a PUT that only meant to change a memo
// must not demote the client's default wallet by leaving the field out.
type walletRequest struct {
	Asset   string `json:"asset"`
	Network string `json:"network"`
	Address string `json:"address"`
	Memo    string `json:"memo"`
	Default *bool  `json:"default"`
}

// walletView shows a wallet the way payoutView shows a payout's
// destination: masked. There is no hash of the full address either: wallet
// addresses are public on chain, so a hash would confirm any guess.
type walletView struct {
	ClientID  string    `json:"client_id"`
	Asset     string    `json:"asset"`
	Network   string    `json:"network"`
	Address   string    `json:"address_masked"`
	Memo      string    `json:"memo,omitempty"`
	Default   bool      `json:"default"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// UsableFrom: paid to without a second admin from then on (or now,
	// approved by ApprovedBy); a disabled wallet is never paid.
	UsableFrom time.Time  `json:"usable_from"`
	ApprovedBy string     `json:"approved_by,omitempty"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
	ChangedBy  string     `json:"changed_by,omitempty"`
}

func walletViewOf(w store.Wallet) walletView {
	return walletView{
		ClientID: w.ClientID, Asset: w.Asset, Network: w.Network, Address: payout.MaskAddress(w.Address),
		Memo: w.Memo, Default: w.IsDefault, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt,
		UsableFrom: w.UsableFrom, ApprovedBy: w.ApprovedBy, DisabledAt: w.DisabledAt, ChangedBy: w.ChangedBy,
	}
}

// putWallet creates a client's wallet or updates its memo and default
// flag (usecase.PutWallet).
func (s *server) putWallet(w http.ResponseWriter, r *http.Request) {
	var body walletRequest
	if msg, ok := decodeJSON(w, r, &body); !ok {
		writeError(w, http.StatusBadRequest, msg, nil)
		return
	}
	stored, err := s.Service.PutWallet(r.Context(), usecase.WalletRequest{
		ClientID: chi.URLParam(r, "client_id"), Asset: body.Asset, Network: body.Network,
		Address: body.Address, Memo: body.Memo, Default: body.Default,
	}, actor(r.Context()))
	if err != nil {
		s.fail(w, r, "save the wallet", err)
		return
	}
	writeJSON(w, http.StatusOK, walletViewOf(stored))
}

func (s *server) listWallets(w http.ResponseWriter, r *http.Request) {
	clientID := chi.URLParam(r, "client_id")
	if fields := payout.ValidateClientID(clientID); fields != nil {
		writeError(w, http.StatusUnprocessableEntity, "invalid client id", fields)
		return
	}
	wallets, err := s.Store.ListWallets(r.Context(), clientID)
	if err != nil {
		s.log.ErrorContext(r.Context(), "list wallets", "client_id", clientID, "error", err)
		writeError(w, http.StatusInternalServerError, "could not load the wallets", nil)
		return
	}
	items := make([]walletView, 0, len(wallets))
	for _, wallet := range wallets {
		items = append(items, walletViewOf(wallet))
	}
	writeJSON(w, http.StatusOK, map[string]any{"client_id": clientID, "items": items})
}

// walletChange is the body naming a wallet to approve, disable or delete:
// the address goes in the body, never in a URL that access logs keep.
type walletChange struct {
	Asset   string `json:"asset"`
	Network string `json:"network"`
	Address string `json:"address"`
}

// changeWallet approves, disables or deletes one of a client's wallets.
func (s *server) changeWallet(change string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body walletChange
		if msg, ok := decodeJSON(w, r, &body); !ok {
			writeError(w, http.StatusBadRequest, msg, nil)
			return
		}
		stored, err := s.Service.ChangeWallet(r.Context(), usecase.WalletAt{ClientID: chi.URLParam(r, "client_id"),
			Asset: body.Asset, Network: body.Network, Address: body.Address}, change, actor(r.Context()))
		if err != nil {
			s.fail(w, r, change+" the wallet", err)
			return
		}
		writeJSON(w, http.StatusOK, walletViewOf(stored))
	}
}
