package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/usecase"
)

// readCreate decodes a create-payout request without touching the database
// or Temporal: a non-zero status is the refusal to send, with its body. The
// rules and limits are the payout gate's (in the use case). It is separate
// from the handler so that the fuzz test can drive every outside input of
// the route (path, header, body) through it.
func readCreate(w http.ResponseWriter, r *http.Request) (payout.Request, int, apiError) {
	var body createRequest
	if msg, ok := decodeJSON(w, r, &body); !ok {
		return payout.Request{}, http.StatusBadRequest, apiError{Error: msg}
	}
	return payout.Request{
		ClientID: chi.URLParam(r, "client_id"), Asset: body.Asset, Network: body.Network, Amount: body.Amount,
		Address: body.Address, Memo: body.Memo, Origin: body.Origin, IdempotencyKey: r.Header.Get("Idempotency-Key"),
	}, 0, apiError{}
}

// createRefusal is the 422 of a create: the key comes from a header, so
// its error names the header.
func createRefusal(e *usecase.InvalidError) apiError {
	fields := e.Fields
	if msgs, ok := fields[payout.FieldIdempotencyKey]; ok {
		fields = payout.FieldErrors{}
		for k, v := range e.Fields {
			fields[k] = v
		}
		fields["Idempotency-Key"] = msgs
		delete(fields, payout.FieldIdempotencyKey)
	}
	return apiError{Error: e.Message, Fields: fields}
}
