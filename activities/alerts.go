package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/heleket-payouts/payouts/alert"
	"github.com/heleket-payouts/payouts/payout"
)

// Alerter is the alerts outbox (store.Store): an alert raised here is
// posted by the worker's dispatcher until the channel takes it, once per
// dedupe key whoever raises it and however often. A status change that
// causes an alert writes it in its own transaction (ApplyRaising), so a
// crash between the two cannot lose it.
type Alerter interface {
	RaiseAlert(ctx context.Context, a alert.Alert) (bool, error)
	ApplyRaising(ctx context.Context, c payout.Change, alertOf func(payout.Payout) alert.Alert) (payout.Payout, bool, error)
}

// raise writes an alert to the outbox. Its error is the caller's to
// return, so that the activity is retried until the alert is stored.
func (a *Activities) raise(ctx context.Context, al alert.Alert) error {
	return raiseIn(ctx, a.Alerts, al)
}

func raiseIn(ctx context.Context, outbox Alerter, al alert.Alert) error {
	if outbox == nil {
		return nil // unit tests without a store
	}
	if al.Message.At.IsZero() {
		al.Message.At = time.Now().UTC()
	}
	if _, err := outbox.RaiseAlert(ctx, al); err != nil {
		return fmt.Errorf("raise %s alert: %w", al.Message.Kind, err)
	}
	return nil
}

// applyRaising records a status change and, when it is applied, the alert
// alertOf makes of the payout, in one transaction.
func (a *Activities) applyRaising(ctx context.Context, c payout.Change, alertOf func(payout.Payout) alert.Alert) (payout.Payout, bool, error) {
	if a.Alerts == nil {
		return a.Store.Apply(ctx, c)
	}
	return a.Alerts.ApplyRaising(ctx, c, alertOf)
}

// alertingChange is the alert a status change causes, if any: a payout
// rejected (by Heleket, or by a second admin) or held for funds.
func alertingChange(c payout.Change) (func(payout.Payout) alert.Alert, bool) {
	switch c.To {
	case payout.StatusRejected:
		return func(p payout.Payout) alert.Alert {
			reason := firstNonEmpty(p.FailureReason, "no reason given")
			return alert.ForPayout(alert.KindRejected, p.ID, fmt.Sprintf("payout %s rejected (%s %s on %s, client %s): %s",
				p.ID, p.Asset, p.Amount, p.Network, p.ClientID, reason), reason)
		}, true
	case payout.StatusAwaitingFunds:
		return func(p payout.Payout) alert.Alert {
			reason := "the merchant balance does not cover it"
			if p.WaitingFor != nil && p.WaitingFor.Reason != "" {
				reason = p.WaitingFor.Reason
			}
			text := fmt.Sprintf("payout %s (%s %s on %s) awaits funds: %s; it is sent again once the balance covers it, "+
				"or cancel it (POST /payouts/%s/cancel)", p.ID, p.Asset, p.Amount, p.Network, reason, p.ID)
			return alert.Alert{Key: alert.PayoutKey(alert.KindAwaitingFunds, p.ID), Message: alert.Message{
				Text: ":moneybag: " + text, Kind: alert.KindAwaitingFunds, OrderID: p.ID, PayoutID: p.ID, Reason: reason}}
		}, true
	}
	return nil, false
}

// unknownStatus raises the alert of a status word from Heleket this
// service does not know, once per payout: the payout keeps its status and
// goes on being polled, and a person should look at what Heleket means.
func unknownStatus(ctx context.Context, outbox Alerter, payoutID, status string) error {
	if _, ok := payout.FromHeleket(status, false); ok || status == "" {
		return nil
	}
	if len(status) > 64 {
		status = status[:64] + "…" // Heleket's input, bounded
	}
	reason := fmt.Sprintf("Heleket reports status %q, which this service does not know", status)
	return raiseIn(ctx, outbox, alert.ForPayout(alert.KindUnknownStatus, payoutID,
		"payout "+payoutID+": "+reason+"; its status here is unchanged and it is still followed", reason))
}
