package httpapi

import (
	"errors"
	"io"
	"net/http"

	"go.temporal.io/api/serviceerror"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/metrics"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/workflows"
)

// webhook takes Heleket's status callbacks: verify, store in the inbox,
// wake the payout's workflow, answer 200. The workflow confirms final
// statuses with Heleket's API, so a webhook never finalises a payout alone.
func (s *server) webhook(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "webhook body too large", nil)
		return
	}
	if s.WebhookSecret != "" {
		if err := heleket.VerifyRelaySignature(raw, r.Header.Get("X-Heleket-Signature"), s.WebhookSecret); err != nil {
			s.log.WarnContext(r.Context(), "webhook refused: bad X-Heleket-Signature", "error", err)
			metrics.WebhookReceived(metrics.WebhookBadSignature)
			writeError(w, http.StatusUnauthorized, "invalid signature", nil)
			return
		}
	}
	hook, err := heleket.VerifyWebhook(raw, s.HeleketAPIKey)
	if err != nil {
		s.log.WarnContext(r.Context(), "webhook refused", "error", err)
		// A body that is not even JSON matches both kinds (it was not
		// authenticated either); it is told apart as malformed first, so
		// a truncated delivery is not reported as a forgery.
		if errors.Is(err, heleket.ErrMalformedWebhook) {
			metrics.WebhookReceived(metrics.WebhookMalformed)
			writeError(w, http.StatusBadRequest, "malformed webhook: the body must be Heleket's JSON object", nil)
		} else {
			metrics.WebhookReceived(metrics.WebhookBadSignature)
			writeError(w, http.StatusUnauthorized, "invalid signature", nil)
		}
		return
	}
	s.takeWebhook(w, r, raw, hook)
}

func (s *server) takeWebhook(w http.ResponseWriter, r *http.Request, raw []byte, hook heleket.Webhook) {
	// The body verified, so its key can be computed; should that ever
	// fail, the raw body is the key, as before.
	key, _ := heleket.WebhookDedupeKey(raw, s.HeleketAPIKey)
	got, err := s.Store.InsertWebhook(r.Context(), store.InboxEntry{
		Body: raw, Verified: true, OrderID: hook.OrderID, HeleketUUID: hook.UUID, Status: hook.Status, DedupeKey: key,
	})
	if err != nil {
		s.log.ErrorContext(r.Context(), "webhook: store in inbox", "order_id", hook.OrderID, "error", err)
		metrics.WebhookReceived(metrics.WebhookError)
		writeError(w, http.StatusServiceUnavailable, "try again", nil)
		return
	}
	if got.Duplicate && got.Processed {
		metrics.WebhookReceived(metrics.WebhookDuplicate)
		writeJSON(w, http.StatusOK, map[string]string{"status": "duplicate"})
		return
	}
	if got.PayoutID == "" {
		s.log.WarnContext(r.Context(), "webhook for an unknown order_id stored", "order_id", hook.OrderID, "inbox_id", got.ID)
		metrics.WebhookReceived(metrics.WebhookUnknown)
		s.finish(w, r, got.ID, "unknown order_id", "unknown order_id")
		return
	}
	logPayout(r, got.PayoutID)
	if err := s.signal(r, got.PayoutID, hook); err != nil {
		s.log.ErrorContext(r.Context(), "webhook: signal workflow", "error", err)
		metrics.WebhookReceived(metrics.WebhookError)
		writeError(w, http.StatusServiceUnavailable, "try again", nil)
		return
	}
	metrics.WebhookReceived(metrics.WebhookOK)
	s.finish(w, r, got.ID, "", "ok")
}

// signal wakes the workflow. A workflow that has already finished needs
// nothing more: its payout is final, and reconciliation covers the rest.
func (s *server) signal(r *http.Request, payoutID string, hook heleket.Webhook) error {
	err := s.Temporal.SignalWorkflow(r.Context(), payout.WorkflowID(payoutID), "",
		workflows.SignalHeleketUpdate, payout.UpdateFromWebhook(hook))
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		s.log.InfoContext(r.Context(), "webhook for a payout whose workflow is closed", "payout_id", payoutID)
		return nil
	}
	return err
}

// finish marks the inbox row processed and answers 200. If the mark fails
// the answer is 503, so Heleket resends and the resend marks it: a 200
// would leave the row looking unhandled for ever. Handling twice is
// harmless (the workflow drops a repeated status).
func (s *server) finish(w http.ResponseWriter, r *http.Request, id int64, note, status string) {
	if err := s.Store.MarkWebhookProcessed(r.Context(), id, note); err != nil {
		s.log.ErrorContext(r.Context(), "webhook: mark processed", "inbox_id", id, "error", err)
		writeError(w, http.StatusServiceUnavailable, "try again", nil)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": status})
}
