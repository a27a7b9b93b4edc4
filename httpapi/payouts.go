package httpapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/usecase"
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
	NeedsAttention bool `json:"needs_attention"`
	// WaitingFor says what a held payout waits for and who can release it.
	WaitingFor *payout.Waiting `json:"waiting_for,omitempty"`
	// RetryOf is the payout this one retries, RetriedAs the one retrying
	// it; null when there is none.
	RetryOf     *string    `json:"retry_of"`
	RetriedAs   *string    `json:"retried_as"`
	RequestedBy string     `json:"requested_by"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	FinalizedAt *time.Time `json:"finalized_at"`
}

func view(p payout.Payout) payoutView {
	v := payoutView{
		ID: p.ID, ClientID: p.ClientID, Asset: p.Asset, Network: p.Network, Amount: p.Amount.String(),
		Address: maskAddress(p.Address), Memo: p.Memo, Origin: p.Origin, Status: p.Status, IsSubtract: p.IsSubtract,
		HeleketUUID: optional(p.HeleketUUID), TxID: optional(p.TxID), FailureReason: p.FailureReason,
		NeedsAttention: p.NeedsAttention, RequestedBy: p.RequestedBy, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
		FinalizedAt: p.FinalizedAt, WaitingFor: p.WaitingFor, RetryOf: optional(p.RetryOf), RetriedAs: optional(p.RetriedAs),
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
	req, status, refusal := readCreate(w, r)
	if status != 0 {
		writeJSON(w, status, refusal)
		return
	}
	created, err := s.Service.CreatePayout(r.Context(), req, actor(r.Context()))
	var invalid *usecase.InvalidError
	if errors.As(err, &invalid) {
		writeJSON(w, http.StatusUnprocessableEntity, createRefusal(invalid))
		return
	}
	if err != nil {
		s.fail(w, r, "store the payout", err)
		return
	}
	p := created.Payout
	logPayout(r, p.ID)
	w.Header().Set("Location", "/payouts/"+p.ID)
	if created.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	s.log.InfoContext(r.Context(), "payout accepted", "created", !created.Replayed)
	writeJSON(w, http.StatusAccepted, view(p))
}

func (s *server) getPayout(w http.ResponseWriter, r *http.Request) {
	p, err := s.Store.GetPayout(r.Context(), chi.URLParam(r, "id"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "payout not found", nil)
		return
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "load payout", "payout_id", chi.URLParam(r, "id"), "error", err)
		writeError(w, http.StatusInternalServerError, "could not load the payout", nil)
		return
	}
	writeJSON(w, http.StatusOK, view(p))
}
