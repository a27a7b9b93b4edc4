package httpapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/starter"
	"github.com/heleket-payouts/payouts/store"
)

// createRequest is the body of POST /clients/{client_id}/payout. Amount is
// a string: money never passes through a float.
type createRequest struct {
	Asset   string `json:"asset"`
	Network string `json:"network"`
	Amount  string `json:"amount"`
	Address string `json:"address"`
	Memo    string `json:"memo"`
	Origin  string `json:"origin"`
}

// payoutView is a payout as the API shows it: the address masked, amounts
// as strings.
type payoutView struct {
	ID            string           `json:"id"`
	ClientID      string           `json:"client_id"`
	Asset         string           `json:"asset"`
	Network       string           `json:"network"`
	Amount        string           `json:"amount"`
	Address       string           `json:"address_masked"`
	Memo          string           `json:"memo,omitempty"`
	Origin        payout.Origin    `json:"origin"`
	Status        payout.Status    `json:"status"`
	IsSubtract    bool             `json:"is_subtract"`
	HeleketUUID   *string          `json:"heleket_uuid"`
	TxID          *string          `json:"txid"`
	Commission    *decimal.Decimal `json:"commission"`
	FailureReason string           `json:"failure_reason,omitempty"`
	// NeedsAttention is always shown: false is an answer too.
	NeedsAttention bool       `json:"needs_attention"`
	RequestedBy    string     `json:"requested_by"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	FinalizedAt    *time.Time `json:"finalized_at"`
}

func view(p payout.Payout) payoutView {
	v := payoutView{
		ID: p.ID, ClientID: p.ClientID, Asset: p.Asset, Network: p.Network, Amount: p.Amount.String(),
		Address: maskAddress(p.Address), Memo: p.Memo, Origin: p.Origin, Status: p.Status, IsSubtract: p.IsSubtract,
		HeleketUUID: optional(p.HeleketUUID), TxID: optional(p.TxID), FailureReason: p.FailureReason,
		NeedsAttention: p.NeedsAttention, RequestedBy: p.RequestedBy, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
		FinalizedAt: p.FinalizedAt,
	}
	if p.Commission.Valid {
		v.Commission = &p.Commission.Decimal
	}
	return v
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// maskAddress keeps just enough of a wallet address for an operator to
// recognise it.
func maskAddress(a string) string { return payout.MaskAddress(a) }

func (s *server) createPayout(w http.ResponseWriter, r *http.Request) {
	valid, status, refusal := s.readCreate(w, r)
	if status != 0 {
		writeJSON(w, status, refusal)
		return
	}
	p, status, refusal := s.newPayout(r, valid)
	if status != 0 {
		writeJSON(w, status, refusal)
		return
	}
	s.submit(w, r, p)
}

// newPayout fills in the default wallet when no address was given.
func (s *server) newPayout(r *http.Request, v payout.Valid) (payout.Payout, int, apiError) {
	if v.Address == "" {
		wallet, err := s.Store.DefaultWallet(r.Context(), v.ClientID, v.Asset, v.Network)
		if errors.Is(err, store.ErrNotFound) {
			return payout.Payout{}, http.StatusUnprocessableEntity, noDefaultWallet(v.Asset, v.Network)
		}
		if err != nil {
			s.log.Error("load default wallet", "client_id", v.ClientID, "error", err)
			return payout.Payout{}, http.StatusInternalServerError, apiError{Error: "could not load the client's wallet"}
		}
		v.Address, v.Memo = wallet.Address, firstNonEmpty(v.Memo, wallet.Memo)
	}
	return payout.Payout{
		ID: payout.DeriveID(s.Installation, "api", v.ClientID, v.IdempotencyKey), ClientID: v.ClientID, Asset: v.Asset,
		Network: v.Network, Amount: v.Amount, Address: v.Address, Memo: v.Memo, Origin: v.Origin,
		Status: s.initialStatus(v), IsSubtract: s.FeeFromBalance, RequestedBy: adminName(r.Context()),
		IdempotencyKey: v.IdempotencyKey,
	}, 0, apiError{}
}

// initialStatus puts payouts above their asset's threshold on hold for a
// second admin.
func (s *server) initialStatus(v payout.Valid) payout.Status {
	if limit, ok := s.ApprovalThresholds[v.Asset]; ok && v.Amount.GreaterThan(limit) {
		return payout.StatusAwaitingApproval
	}
	return payout.StatusRequested
}

// submit stores the payout, then starts its workflow. Both steps are
// idempotent, so a client that retries after any failure converges on the
// same payout and the same workflow.
func (s *server) submit(w http.ResponseWriter, r *http.Request, p payout.Payout) {
	ctx := r.Context()
	logPayout(r, p.ID)
	stored, created, err := s.Store.CreatePayout(ctx, p, p.RequestedBy, map[string]any{"via": "api"})
	if err != nil {
		s.log.ErrorContext(ctx, "store payout", "error", err)
		writeError(w, http.StatusInternalServerError, "could not store the payout", nil)
		return
	}
	if !created && !samePayout(stored, p) {
		writeError(w, http.StatusConflict, "Idempotency-Key already used for a different payout request", nil)
		return
	}
	if !stored.Status.Final() {
		_, err := s.Starter.Start(ctx, stored)
		var conflict *starter.ConflictError
		if errors.As(err, &conflict) {
			s.log.ErrorContext(ctx, "payout workflow ID taken by another payout", "error", err)
			writeError(w, http.StatusConflict, "payout not started: "+conflict.Error(), nil)
			return
		}
		if err != nil {
			// The row is stored as requested: a retry of this request, or
			// reconciliation, starts the workflow later.
			s.log.ErrorContext(ctx, "start payout workflow", "error", err)
			writeError(w, http.StatusServiceUnavailable, "payout recorded but not started yet; retry the request with the same Idempotency-Key", nil)
			return
		}
	}
	w.Header().Set("Location", "/payouts/"+stored.ID)
	if !created {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	s.log.InfoContext(ctx, "payout accepted", "created", created)
	writeJSON(w, http.StatusAccepted, view(stored))
}

func samePayout(a, b payout.Payout) bool {
	return a.ClientID == b.ClientID && a.Asset == b.Asset && a.Network == b.Network &&
		a.Amount.Equal(b.Amount) && a.Address == b.Address && a.Memo == b.Memo && a.Origin == b.Origin
}

func (s *server) getPayout(w http.ResponseWriter, r *http.Request) {
	p, err := s.Store.GetPayout(r.Context(), chi.URLParam(r, "id"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "payout not found", nil)
		return
	}
	if err != nil {
		s.log.Error("load payout", "payout_id", chi.URLParam(r, "id"), "error", err)
		writeError(w, http.StatusInternalServerError, "could not load the payout", nil)
		return
	}
	writeJSON(w, http.StatusOK, view(p))
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
