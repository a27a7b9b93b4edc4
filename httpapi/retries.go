package httpapi

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/heleket-payouts/payouts/usecase"
)

func (s *server) retryRoutes(r chi.Router) {
	r.Post("/payouts/{id}/retry", s.retryPayout)
	r.Post("/payouts/batches/{id}/retry-failed", s.retryFailedBatchRows)
}

// retryPayout retries a failed, rejected or expired payout as a new one.
// The request is its path and its Idempotency-Key: it takes no body.
func (s *server) retryPayout(w http.ResponseWriter, r *http.Request) {
	if !noBody(w, r) {
		return
	}
	created, err := s.Service.RetryPayout(r.Context(), chi.URLParam(r, "id"), r.Header.Get("Idempotency-Key"), actor(r.Context()))
	if err != nil {
		s.fail(w, r, "retry the payout", headerKey(err))
		return
	}
	p := created.Payout
	logPayout(r, p.ID)
	w.Header().Set("Location", "/payouts/"+p.ID)
	if created.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, http.StatusAccepted, view(p))
}

// retryFailedBatchRows retries a campaign's failed, rejected and expired
// rows not retried yet.
func (s *server) retryFailedBatchRows(w http.ResponseWriter, r *http.Request) {
	if !noBody(w, r) {
		return
	}
	done, err := s.Service.RetryFailedBatchRows(r.Context(), chi.URLParam(r, "id"), r.Header.Get("Idempotency-Key"), actor(r.Context()))
	if err != nil {
		s.fail(w, r, "retry the campaign's failed payouts", headerKey(err))
		return
	}
	writeJSON(w, http.StatusOK, done)
}

// noBody refuses a body on a route that takes none, so that a client
// believing it sends terms learns it does not.
func noBody(w http.ResponseWriter, r *http.Request) bool {
	if r.ContentLength != 0 { // -1 is a body of unknown length (chunked)
		writeError(w, http.StatusBadRequest, "this route takes no request body", nil)
		return false
	}
	return true
}

// headerKey names the Idempotency-Key header in a 422 about the key, as
// the create route does: the key is no body field.
func headerKey(err error) error {
	var bad *usecase.InvalidError
	if !errors.As(err, &bad) {
		return err
	}
	renamed := *bad
	renamed.Fields = createRefusal(bad).Fields
	return &renamed
}
