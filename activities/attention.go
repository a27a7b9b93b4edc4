package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/heleket-payouts/payouts/alert"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/metrics"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

// ErrTypeMismatch marks a create whose answer is not our payout: Heleket
// holds another payout under our order_id. Retrying would only fetch it
// again; the payout is held for an operator.
const ErrTypeMismatch = "HeleketMismatch"

// AttentionAfter is how many failed attempts of a Heleket call pass before
// the payout is flagged for a person: a blip retries quietly, an outage or
// an answer we cannot read does not stay silent.
const AttentionAfter = 5

// operatorAlertEvery spaces alerts about our own Heleket configuration
// (credentials, base URL): every payout hits the same wall, one alert per
// kind in this window says it.
const operatorAlertEvery = 15 * time.Minute

// KindCallsFailing is the attention kind of a payout whose Heleket calls
// keep failing; the workflow flags it (metrics.AttentionHeleketCalls).
const KindCallsFailing = metrics.AttentionHeleketCalls

// AttentionRequest flags a payout for a person.
type AttentionRequest struct {
	PayoutID string         `json:"payout_id"`
	Kind     string         `json:"kind"` // a metrics.Attention* kind
	Reason   string         `json:"reason"`
	Details  map[string]any `json:"details,omitempty"`
}

// FlagAttention sets needs_attention with its audit row, counts it and
// alerts, once per payout and kind: a repeated flag changes nothing. The
// alert is raised whether or not this call set the flag, so a retry after
// a crash between the two still raises it; the outbox keeps it once.
func (a *Activities) FlagAttention(ctx context.Context, req AttentionRequest) error {
	changed, err := a.Store.MarkAttention(ctx, store.Attention{PayoutID: req.PayoutID, Flag: true,
		Source: payout.SourceWorkflow, Actor: "workflow", Reason: req.Reason, Details: req.Details})
	if err != nil {
		return fmt.Errorf("flag payout %s for attention: %w", req.PayoutID, err)
	}
	if changed {
		metrics.PayoutFlagged(req.Kind)
		a.log().Error("payout needs attention", "payout_id", req.PayoutID, "kind", req.Kind, "reason", req.Reason)
	}
	err = a.raise(ctx, alert.ForPayout(req.Kind, req.PayoutID, "payout "+req.PayoutID+" needs attention: "+req.Reason, req.Reason))
	if err != nil {
		return fmt.Errorf("flag payout %s for attention: %w", req.PayoutID, err)
	}
	return nil
}

// checkTerms holds a create answered with somebody else's payout: flagged
// with what differs (Heleket's side masked), alerted, and refused to the
// workflow as ErrTypeMismatch so it is never recorded as ours.
func (a *Activities) checkTerms(ctx context.Context, p payout.Payout, hp heleket.Payout) error {
	diff := payout.Mismatches(p, hp)
	if len(diff) == 0 {
		return nil
	}
	reason := fmt.Sprintf("Heleket holds a different payout under order_id %s (%s differ): "+
		"the order_id belongs to another payout, not recorded as ours", p.ID, strings.Join(diff, ", "))
	err := a.FlagAttention(ctx, AttentionRequest{PayoutID: p.ID, Kind: metrics.AttentionMismatch, Reason: reason,
		Details: map[string]any{"differs": diff, "heleket_uuid": hp.UUID, "heleket": theirTerms(hp)}})
	if err != nil {
		return err // retried: the flag must be written before the payout is held
	}
	return temporal.NewNonRetryableApplicationError(reason, ErrTypeMismatch, nil, diff)
}

// theirTerms is what Heleket answered, for the audit row: the address
// masked like everywhere else.
func theirTerms(hp heleket.Payout) map[string]any {
	return map[string]any{"amount": hp.Amount.String(), "currency": hp.Currency, "network": hp.Network,
		"address_masked": payout.MaskAddress(hp.Address), "status": hp.Status}
}

// afterFailure reacts to a failed Heleket call of a payout: configuration
// errors alert at once (spaced), and a call failing for the
// AttentionAfter-th time flags the payout. attempt counts from 1.
func (a *Activities) afterFailure(ctx context.Context, payoutID string, attempt int32, err error) {
	if heleket.NeedsOperator(err) {
		a.operatorAlert(ctx, payoutID, err)
	}
	if attempt != AttentionAfter || errors.Is(err, context.Canceled) {
		return
	}
	kind := metrics.AttentionHeleketCalls
	if heleket.NeedsOperator(err) {
		kind = metrics.AttentionOperator
	}
	req := AttentionRequest{PayoutID: payoutID, Kind: kind,
		Reason: fmt.Sprintf("Heleket call failed %d times, still retrying: %v", attempt, err)}
	var malformed *heleket.MalformedError
	if errors.As(err, &malformed) {
		req.Details = map[string]any{"heleket_answer": payout.MaskAnswer(malformed.Raw)}
	}
	if ferr := a.FlagAttention(ctx, req); ferr != nil {
		a.log().Error("flag payout after failed Heleket calls", "payout_id", payoutID, "error", ferr)
	}
}

// operatorAlert raises at most one alert per kind of configuration error
// in each operatorAlertEvery window: every payout hits the same wall, one
// alert says it. The window is in the alert's key, so all workers and
// restarts agree; the spacing in memory only saves the outbox a write per
// failed call.
func (a *Activities) operatorAlert(ctx context.Context, payoutID string, err error) {
	kind := alert.KindHeleketEndpoint
	var ae *heleket.AuthError
	if errors.As(err, &ae) {
		kind = alert.KindHeleketAuth
	}
	now := time.Now()
	if !a.operatorAlerts.due(kind, now) {
		return
	}
	a.log().Error("Heleket refuses our configuration", "kind", kind, "payout_id", payoutID, "error", err)
	text := "Heleket refuses our configuration (" + kind + "): " + err.Error() + "; payouts keep retrying until it is fixed"
	rerr := a.raise(ctx, alert.Alert{Key: alert.WindowKey(kind, "heleket", now, operatorAlertEvery), Message: alert.Message{
		Text: ":rotating_light: " + text, Kind: kind, PayoutID: payoutID, OrderID: payoutID, Reason: err.Error(), At: now.UTC()}})
	if rerr != nil {
		// The next failed call tries again; the payout's own retries go on.
		a.log().Error("raise Heleket configuration alert", "kind", kind, "error", rerr)
		return
	}
	a.operatorAlerts.done(kind, now)
}

// spacing lets one event per key through in each window. The zero value
// is ready to use.
type spacing struct {
	mu   sync.Mutex
	last map[string]time.Time
}

func (s *spacing) due(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.last[key]
	return !ok || now.Sub(t) >= operatorAlertEvery
}

func (s *spacing) done(key string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last == nil {
		s.last = map[string]time.Time{}
	}
	s.last[key] = now
}

// attempt is the current activity attempt, or 1 outside an activity.
func attempt(ctx context.Context) int32 {
	if !activity.IsActivity(ctx) {
		return 1
	}
	return activity.GetInfo(ctx).Attempt
}

func (a *Activities) log() *slog.Logger {
	if a.Logger == nil {
		return slog.Default()
	}
	return a.Logger
}
