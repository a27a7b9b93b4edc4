package httpapi

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/usecase"
	"github.com/heleket-payouts/payouts/views"
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

// payoutView is a payout as the API (and its outbound events) show it.
type payoutView = views.Payout

func view(p payout.Payout) payoutView { return views.NewPayout(p) }

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
