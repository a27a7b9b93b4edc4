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

// Refusal is a failed use case as the API answers it. Explain makes it:
// the one place where the application layer's errors become statuses,
// for the API and the console alike.
type Refusal struct {
	Status    int
	Message   string // "" for an error no use case names (a 500)
	Fields    payout.FieldErrors
	Rows      map[int]payout.FieldErrors
	NeedRole  access.Role
	RetriedAs string
	// Denied is the role refusal, for the log.
	Denied *access.Forbidden
}

// Explain maps a use case's error to its answer.
func Explain(err error) Refusal {
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
		return Refusal{Status: http.StatusForbidden, Message: denied.Error(), NeedRole: denied.Need, Denied: denied}
	case errors.As(err, &self):
		return Refusal{Status: http.StatusConflict, Message: self.Error()}
	case errors.As(err, &nf):
		return Refusal{Status: http.StatusNotFound, Message: nf.Error()}
	case errors.As(err, &taken):
		return Refusal{Status: http.StatusConflict, Message: taken.Reason, RetriedAs: taken.RetriedAs}
	case errors.As(err, &invalid):
		return Refusal{Status: http.StatusUnprocessableEntity, Message: invalid.Message, Fields: invalid.Fields, Rows: invalid.Rows}
	case errors.As(err, &down):
		return Refusal{Status: http.StatusServiceUnavailable, Message: down.Message}
	case errors.As(err, &bad):
		return Refusal{Status: http.StatusBadGateway, Message: bad.Message}
	}
	return Refusal{Status: http.StatusInternalServerError}
}

// fail answers err. what says what was being done, for the log and for
// the answer to an error no use case names (a 500).
func (s *server) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	ref := Explain(err)
	switch {
	case ref.Denied != nil:
		s.log.WarnContext(r.Context(), "admin route refused: role missing", "admin", ref.Denied.Actor,
			"action", ref.Denied.Action, "need_role", ref.Denied.Need, "path", r.URL.Path)
	case ref.Status >= http.StatusInternalServerError:
		s.log.ErrorContext(r.Context(), what, "error", err)
	}
	if ref.Message == "" {
		ref.Message = "could not " + what
	}
	writeJSON(w, ref.Status, useCaseError{Error: ref.Message, Fields: ref.Fields, Rows: ref.Rows,
		NeedRole: ref.NeedRole, RetriedAs: ref.RetriedAs})
}
