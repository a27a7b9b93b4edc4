package httpapi

import (
	"errors"
	"net/http"

	"github.com/heleket-payouts/payouts/usecase"
)

// quoteView is the answer of POST /clients/{client_id}/payout/quote.
type quoteView struct {
	ClientID        string `json:"client_id"`
	Asset           string `json:"asset"`
	Network         string `json:"network"`
	Amount          string `json:"amount"`
	Commission      string `json:"commission"`
	RecipientAmount string `json:"recipient_amount"`
	MerchantAmount  string `json:"merchant_amount"`
	IsSubtract      bool   `json:"is_subtract"`
	// WaitsFor says why the payout would wait for a second admin.
	WaitsFor string `json:"waits_for,omitempty"`
}

func viewQuote(q usecase.Quote) quoteView {
	return quoteView{ClientID: q.ClientID, Asset: q.Asset, Network: q.Network, Amount: q.Amount.String(),
		Commission: q.Commission.String(), RecipientAmount: q.RecipientAmount.String(),
		MerchantAmount: q.MerchantAmount.String(), IsSubtract: q.IsSubtract, WaitsFor: q.Hold}
}

// quotePayout takes the create body and answers what the payout would
// cost; an Idempotency-Key, if sent, is validated but not looked up.
func (s *server) quotePayout(w http.ResponseWriter, r *http.Request) {
	req, status, refusal := readCreate(w, r)
	if status != 0 {
		writeJSON(w, status, refusal)
		return
	}
	q, err := s.Service.QuotePayout(r.Context(), req, actor(r.Context()))
	var invalid *usecase.InvalidError
	if errors.As(err, &invalid) {
		writeJSON(w, http.StatusUnprocessableEntity, createRefusal(invalid))
		return
	}
	if err != nil {
		s.fail(w, r, "quote the payout", err)
		return
	}
	writeJSON(w, http.StatusOK, viewQuote(q))
}
