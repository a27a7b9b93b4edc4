package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/go-chi/chi/v5"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/workflows"
)

type decisionRequest struct {
	Reason string `json:"reason"`
}

// decide sends an admin decision (approve, reject, cancel) to the payout's
// workflow as a Temporal Update. The workflow's validator refuses what is
// no longer possible (self-approval, cancel after submission), and then
// nothing is written: that refusal is a 409 with its reason.
func (s *server) decide(update string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body decisionRequest
		if r.ContentLength != 0 {
			if msg, ok := decodeJSON(w, r, &body); !ok {
				writeError(w, http.StatusBadRequest, msg, nil)
				return
			}
		}
		if problem := reasonProblem(body.Reason); problem != "" {
			writeError(w, http.StatusUnprocessableEntity, "invalid decision", map[string][]string{"reason": {problem}})
			return
		}
		id := chi.URLParam(r, "id")
		p, err := s.Store.GetPayout(r.Context(), id)
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusNotFound, "payout not found", nil)
			return
		}
		if err != nil {
			s.log.Error("decision: load payout", "payout_id", id, "error", err)
			writeError(w, http.StatusInternalServerError, "could not load the payout", nil)
			return
		}
		if p.Status.Final() {
			writeError(w, http.StatusConflict, "payout is already "+string(p.Status), nil)
			return
		}
		s.sendDecision(w, r, p, update, workflows.Decision{Actor: adminName(r.Context()), Reason: body.Reason})
	}
}

func (s *server) sendDecision(w http.ResponseWriter, r *http.Request, p payout.Payout, update string, d workflows.Decision) {
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	handle, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: payout.WorkflowID(p.ID), UpdateName: update, Args: []any{d},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		var st workflows.PayoutState
		err = handle.Get(ctx, &st)
	}
	var notFound *serviceerror.NotFound
	switch {
	case err == nil:
	case errors.As(err, &notFound):
		writeError(w, http.StatusConflict, "payout's workflow is not running; nothing to decide", nil)
		return
	case ctx.Err() != nil:
		s.log.Error("decision: update workflow", "payout_id", p.ID, "update", update, "error", err)
		writeError(w, http.StatusServiceUnavailable, "the decision could not be confirmed in time; check the payout before retrying", nil)
		return
	default:
		// The workflow refused: its validator's reason is the answer.
		s.log.Info("decision refused", "payout_id", p.ID, "update", update, "reason", err.Error())
		writeError(w, http.StatusConflict, refusalReason(err), nil)
		return
	}
	s.log.Info("decision recorded", "payout_id", p.ID, "update", update, "actor", d.Actor)
	stored, err := s.Store.GetPayout(r.Context(), p.ID)
	if err != nil {
		s.log.Error("decision: reload payout", "payout_id", p.ID, "error", err)
		writeError(w, http.StatusInternalServerError, "decision recorded, but the payout could not be reloaded", nil)
		return
	}
	writeJSON(w, http.StatusOK, view(stored))
}

// refusalReason is the workflow's own message, without Temporal's
// wrapping.
func refusalReason(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	return err.Error()
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
