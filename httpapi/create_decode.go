package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/heleket-payouts/payouts/payout"
)

// readCreate decodes and validates a create-payout request without touching
// the database or Temporal: a non-zero status is the refusal to send, with
// its body. It is separate from the handler so that the fuzz test can drive
// every outside input of the route (path, header, body) through it.
func (s *server) readCreate(w http.ResponseWriter, r *http.Request) (payout.Valid, int, apiError) {
	var body createRequest
	if msg, ok := decodeJSON(w, r, &body); !ok {
		return payout.Valid{}, http.StatusBadRequest, apiError{Error: msg}
	}
	req := payout.Request{
		ClientID: chi.URLParam(r, "client_id"), Asset: body.Asset, Network: body.Network, Amount: body.Amount,
		Address: body.Address, Memo: body.Memo, Origin: body.Origin, IdempotencyKey: r.Header.Get("Idempotency-Key"),
	}
	valid, fields := payout.Validate(req, s.Limits)
	if fields.Empty() {
		return valid, 0, apiError{}
	}
	// The key comes from a header, so the error names the header.
	if _, missing := fields[payout.FieldIdempotencyKey]; missing {
		fields["Idempotency-Key"] = fields[payout.FieldIdempotencyKey]
		delete(fields, payout.FieldIdempotencyKey)
	}
	return payout.Valid{}, http.StatusUnprocessableEntity, apiError{Error: "invalid payout request", Fields: fields}
}
