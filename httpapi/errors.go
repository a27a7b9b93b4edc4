package httpapi

import (
	"errors"
	"net/http"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/usecase"
)

// useCaseError is an answer to a failed use case: the one place where the
// application layer's errors become HTTP statuses.
type useCaseError struct {
	Error  string                     `json:"error"`
	Fields payout.FieldErrors         `json:"fields,omitempty"`
	Rows   map[int]payout.FieldErrors `json:"rows,omitempty"`
	// NeedRole is the role a 403 asks for.
	NeedRole access.Role `json:"need_role,omitempty"`
	// RetriedAs is the payout that already retries the one a 409 is about.
	RetriedAs string `json:"retried_as,omitempty"`
}

// fail answers err. what says what was being done, for the log and for
// the answer to an error no use case names (a 500).
func (s *server) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	var (
		nf      *usecase.NotFoundError
		taken   *usecase.ConflictError
		invalid *usecase.InvalidError
		down    *usecase.UnavailableError
		bad     *usecase.UpstreamError
		denied  *access.Forbidden
		self    *access.SelfApproval
	)
	switch {
	case errors.As(err, &denied):
		// The use case refused before reading or writing anything.
		s.log.WarnContext(r.Context(), "admin route refused: role missing", "admin", denied.Actor,
			"action", denied.Action, "need_role", denied.Need, "path", r.URL.Path)
		writeJSON(w, http.StatusForbidden, useCaseError{Error: denied.Error(), NeedRole: denied.Need})
	case errors.As(err, &self):
		writeError(w, http.StatusConflict, self.Error(), nil)
	case errors.As(err, &nf):
		writeError(w, http.StatusNotFound, nf.Error(), nil)
	case errors.As(err, &taken):
		writeJSON(w, http.StatusConflict, useCaseError{Error: taken.Reason, RetriedAs: taken.RetriedAs})
	case errors.As(err, &invalid):
		writeJSON(w, http.StatusUnprocessableEntity, useCaseError{Error: invalid.Message, Fields: invalid.Fields, Rows: invalid.Rows})
	case errors.As(err, &down):
		s.log.ErrorContext(r.Context(), what, "error", err)
		writeError(w, http.StatusServiceUnavailable, down.Message, nil)
	case errors.As(err, &bad):
		s.log.ErrorContext(r.Context(), what, "error", err)
		writeError(w, http.StatusBadGateway, bad.Message, nil)
	default:
		s.log.ErrorContext(r.Context(), what, "error", err)
		writeError(w, http.StatusInternalServerError, "could not "+what, nil)
	}
}
