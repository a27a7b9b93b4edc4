package httpapi

import (
	"net/http"
	"strings"
	"unicode"

	"github.com/go-chi/chi/v5"
)

type decisionRequest struct {
	Reason string `json:"reason"`
}

// decide takes an admin decision (approve, reject, cancel) on a payout.
// What is no longer possible (self-approval, cancel after submission) is a
// 409 with its reason, and nothing is written.
func (s *server) decide(decision string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		reason, ok := readDecision(w, r)
		if !ok {
			return
		}
		p, err := s.Service.Decide(r.Context(), chi.URLParam(r, "id"), decision, actor(r.Context()), reason)
		if err != nil {
			s.fail(w, r, "record the decision", err)
			return
		}
		writeJSON(w, http.StatusOK, view(p))
	}
}

// readDecision reads a decision's optional body, {"reason": "..."}; on a
// refusal it has answered and ok is false.
func readDecision(w http.ResponseWriter, r *http.Request) (reason string, ok bool) {
	var body decisionRequest
	if r.ContentLength != 0 {
		if msg, ok := decodeJSON(w, r, &body); !ok {
			writeError(w, http.StatusBadRequest, msg, nil)
			return "", false
		}
	}
	if problem := reasonProblem(body.Reason); problem != "" {
		writeError(w, http.StatusUnprocessableEntity, "invalid decision", map[string][]string{"reason": {problem}})
		return "", false
	}
	return body.Reason, true
}

// reasonProblem checks a decision's reason before it reaches the workflow,
// which writes it into the audit trail: PostgreSQL refuses a NUL in text
// and jsonb, so a reason carrying one would fail that write on every retry
// and leave the payout stuck. Line breaks and tabs are fine.
func reasonProblem(reason string) string {
	if len(reason) > 500 {
		return "at most 500 characters"
	}
	if strings.ContainsFunc(reason, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) {
		return "must be text without control characters other than line breaks and tabs"
	}
	return ""
}
