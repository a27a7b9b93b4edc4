package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/heleket-payouts/payouts/alert"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/metrics"
	"github.com/heleket-payouts/payouts/usecase"
)

// webhook takes Heleket's status callbacks: verify, store in the inbox,
// wake the payout's workflow, answer 200. The workflow confirms final
// statuses with Heleket's API, so a webhook never finalises a payout alone.
// Every refusal is counted by its reason.
func (s *server) webhook(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		metrics.WebhookReceived(metrics.WebhookTooLarge)
		writeError(w, http.StatusRequestEntityTooLarge, "webhook body too large", nil)
		return
	}
	if s.WebhookSecret != "" && !s.relaySigned(w, r, raw) {
		return
	}
	hook, err := heleket.VerifyWebhook(raw, s.HeleketAPIKey)
	switch {
	case err == nil && isPayoutWebhook(hook.Type):
		s.takeWebhook(w, r, raw, hook)
	case err == nil:
		s.ignoreWebhook(w, r, raw, hook)
	case authenticButUndecodable(err) && !isPayoutWebhook(looseHook(raw).Type):
		// Another kind of webhook may carry fields a payout's never does
		// in that shape; it is authentic, so Heleket must get its 200.
		s.ignoreWebhook(w, r, raw, looseHook(raw))
	default:
		s.refuseWebhook(w, r, err)
	}
}

// refuseWebhook answers a body that did not verify. A body that is not
// even JSON matches both kinds (it was not authenticated either); it is
// told apart as malformed first, so a truncated delivery is not reported
// as a forgery.
func (s *server) refuseWebhook(w http.ResponseWriter, r *http.Request, err error) {
	s.log.WarnContext(r.Context(), "webhook refused", "error", err)
	if errors.Is(err, heleket.ErrMalformedWebhook) {
		metrics.WebhookReceived(metrics.WebhookMalformed)
		writeError(w, http.StatusBadRequest, "malformed webhook: the body must be Heleket's JSON object", nil)
		return
	}
	metrics.WebhookReceived(metrics.WebhookBadSignature)
	writeError(w, http.StatusUnauthorized, "invalid signature", nil)
}

// isPayoutWebhook: only payout webhooks may touch a payout. Payment and
// wallet webhooks (and refunds, signed with the payout key) reach the same
// URL, and one without a type is no payout's either.
func isPayoutWebhook(typ string) bool { return strings.EqualFold(typ, "payout") }

// authenticButUndecodable is a body whose sign verified but whose content
// does not decode as a payout webhook.
func authenticButUndecodable(err error) bool {
	return errors.Is(err, heleket.ErrMalformedWebhook) && !errors.Is(err, heleket.ErrBadSignature)
}

// looseHook reads what the inbox keeps of a body that does not decode as
// a payout webhook: its type, order_id, uuid and status, where they are
// strings.
func looseHook(raw []byte) heleket.Webhook {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m) // the sign verified, so raw is a JSON object
	str := func(k string) string {
		var v string
		_ = json.Unmarshal(m[k], &v) // a member that is no string is left empty
		return v
	}
	return heleket.Webhook{Type: str("type"), OrderID: str("order_id"), UUID: str("uuid"), Status: str("status")}
}

// ignoreWebhook keeps an authentic webhook of another kind as evidence,
// never linked to a payout and never signalled, and answers 200 so that
// Heleket stops resending it.
func (s *server) ignoreWebhook(w http.ResponseWriter, r *http.Request, raw []byte, hook heleket.Webhook) {
	typ := strconv.Quote(firstRunes(hook.Type, 32))
	in, ok := s.ingest(w, r, usecase.Webhook{Raw: raw, Hook: hook, NotPayout: true, Note: "not a payout webhook (type " + typ + ")"})
	if !ok {
		return
	}
	s.log.InfoContext(r.Context(), "webhook of another type stored and ignored", "type", typ, "order_id", hook.OrderID, "inbox_id", in.InboxID)
	metrics.WebhookReceived(metrics.WebhookIgnoredType)
	writeJSON(w, http.StatusOK, map[string]string{"status": "ignored"})
}

func (s *server) takeWebhook(w http.ResponseWriter, r *http.Request, raw []byte, hook heleket.Webhook) {
	in, ok := s.ingest(w, r, usecase.Webhook{Raw: raw, Hook: hook})
	if !ok {
		return
	}
	switch in.Outcome {
	case usecase.WebhookUnknown:
		s.log.WarnContext(r.Context(), "webhook for an unknown order_id stored", "order_id", hook.OrderID, "inbox_id", in.InboxID)
		metrics.WebhookReceived(metrics.WebhookUnknown)
		writeJSON(w, http.StatusOK, map[string]string{"status": "unknown order_id"})
	default:
		metrics.WebhookReceived(metrics.WebhookOK)
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}
}

// ingest hands a verified webhook to the use case. ok is false when it
// has answered already: a duplicate of a webhook that was handled, or a
// failure, answered 503 so that Heleket resends.
func (s *server) ingest(w http.ResponseWriter, r *http.Request, wh usecase.Webhook) (usecase.Ingested, bool) {
	// The body verified, so its key can be computed; should that ever
	// fail, the raw body is the key, as before.
	wh.DedupeKey, _ = heleket.WebhookDedupeKey(wh.Raw, s.HeleketAPIKey)
	in, err := s.Service.IngestWebhook(r.Context(), wh)
	if in.PayoutID != "" {
		logPayout(r, in.PayoutID)
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "webhook not handled", "order_id", wh.Hook.OrderID, "error", err)
		metrics.WebhookReceived(metrics.WebhookError)
		writeError(w, http.StatusServiceUnavailable, "try again", nil)
		return in, false
	}
	if in.Outcome == usecase.WebhookDuplicate {
		metrics.WebhookReceived(metrics.WebhookDuplicate)
		writeJSON(w, http.StatusOK, map[string]string{"status": "duplicate"})
		return in, false
	}
	return in, true
}

// firstRunes keeps at most n characters of s, for values that reach logs
// and notes from outside.
func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i] + "…"
		}
		n--
	}
	return s
}

// relayWarning is logged when the API starts with HELEKET_WEBHOOK_SECRET.
const relayWarning = "HELEKET_WEBHOOK_SECRET is set: every webhook must carry X-Heleket-Signature, " +
	"and Heleket itself does not send X-Heleket-Signature. Set it only behind a relay that adds the header; " +
	"otherwise every genuine Heleket webhook is refused (401) and payouts fall back to polling"

// relayAlertEvery bounds how often the refusal of genuine webhooks is
// alerted: the first refusal posts at once, later ones only once an hour,
// so a misconfigured deployment is neither silent nor flooding the channel.
const relayAlertEvery = time.Hour

// relaySigned checks X-Heleket-Signature, which only a relay adds, and
// answers the refusal when it does not verify.
func (s *server) relaySigned(w http.ResponseWriter, r *http.Request, raw []byte) bool {
	header := r.Header.Get("X-Heleket-Signature")
	err := heleket.VerifyRelaySignature(raw, header, s.WebhookSecret)
	if err == nil {
		return true
	}
	if strings.TrimSpace(header) != "" {
		s.log.WarnContext(r.Context(), "webhook refused: bad X-Heleket-Signature", "error", err)
		metrics.WebhookReceived(metrics.WebhookRelaySignatureBad)
		writeError(w, http.StatusUnauthorized, "invalid signature", nil)
		return false
	}
	metrics.WebhookReceived(metrics.WebhookRelaySignatureMissing)
	if hook, err := heleket.VerifyWebhook(raw, s.HeleketAPIKey); err == nil {
		s.genuineRefused(r, hook)
	} else {
		s.log.WarnContext(r.Context(), "webhook refused: no X-Heleket-Signature", "error", err)
	}
	writeError(w, http.StatusUnauthorized, "missing X-Heleket-Signature header", nil)
	return false
}

// genuineRefused reports a webhook Heleket signed that was refused only
// for want of the relay header: the deployment is misconfigured, and
// payouts wait for polling until it is fixed.
func (s *server) genuineRefused(r *http.Request, hook heleket.Webhook) {
	s.log.ErrorContext(r.Context(), "genuine Heleket webhook refused: "+relayWarning, "order_id", hook.OrderID)
	if !s.relayAlarm.take(time.Now()) {
		return
	}
	// The refusal does not wait on Heleket's connection: the alert is
	// posted even if Heleket hangs up.
	ctx := context.WithoutCancel(r.Context())
	err := s.Alerter.Post(ctx, alert.Message{
		Text: ":rotating_light: Genuine Heleket webhooks are being refused because HELEKET_WEBHOOK_SECRET is set: " +
			"Heleket does not send X-Heleket-Signature. Payouts fall back to polling. Unset HELEKET_WEBHOOK_SECRET " +
			"unless a relay in front of the API adds the header.",
		Kind: "webhook_relay_signature_missing", OrderID: hook.OrderID,
		Reason: "HELEKET_WEBHOOK_SECRET is set and the webhook has no X-Heleket-Signature", At: time.Now().UTC(),
	})
	if err != nil {
		s.log.ErrorContext(r.Context(), "alert: genuine webhooks refused", "error", err)
		s.relayAlarm.release()
	}
}

// alarm lets one alert through per period.
type alarm struct {
	mu    sync.Mutex
	every time.Duration
	next  time.Time
}

// take reports whether an alert may be posted now, and if so closes the
// gate for the period.
func (a *alarm) take(now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if now.Before(a.next) {
		return false
	}
	a.next = now.Add(a.every)
	return true
}

// release reopens the gate after a post that failed, so the next refusal
// tries again.
func (a *alarm) release() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.next = time.Time{}
}
