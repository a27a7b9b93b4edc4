package alert

import (
	"strings"
	"time"

	"github.com/heleket-payouts/payouts/logging"
	"github.com/heleket-payouts/payouts/metrics"
)

// Kinds of alerts raised as things happen. Reconciliation's discrepancy
// kinds (orphan, missing_at_heleket, status_mismatch, terms_mismatch, stuck,
// payout_failed) and the attention kinds in metrics are alerts too.
const (
	KindRejected        = "payout_rejected"        // Heleket refused a payout, or a second admin did
	KindAwaitingFunds   = "awaiting_funds"         // a payout waits for the merchant balance
	KindMismatch        = "heleket_mismatch"       // Heleket's payout under our order_id is not ours
	KindCallsFailing    = "heleket_calls_failing"  // a payout's Heleket calls keep failing
	KindConfiguration   = "heleket_configuration"  // a payout's calls keep failing on our configuration
	KindHeleketAuth     = "heleket_auth"           // Heleket refuses our credentials
	KindHeleketEndpoint = "heleket_endpoint"       // HELEKET_PROJECT_URL answers like no Heleket
	KindUnknownStatus   = "heleket_unknown_status" // Heleket answered a status word we do not know
	KindStuck           = "stuck"                  // an open payout older than PAYOUT_STUCK_AFTER
	KindReconcileFailed = "reconcile_run_failed"   // a reconciliation run ended failed
	KindLowBalance      = "low_balance"            // a merchant balance under LOW_BALANCE_ALERTS
)

// Kinds is every kind a metric label may take; anything else is "other".
var Kinds = []string{
	KindRejected, KindAwaitingFunds, KindMismatch, KindCallsFailing, KindConfiguration, KindHeleketAuth,
	KindHeleketEndpoint, KindUnknownStatus, KindStuck, KindReconcileFailed, KindLowBalance,
	"orphan", "missing_at_heleket", "status_mismatch", "terms_mismatch", "payout_failed",
}

// Alert is one alert as raised: the message to post and the key that
// makes it once-only. Raising the same key again changes nothing.
type Alert struct {
	Key     string
	Message Message
}

// Record is an alert as the outbox holds it.
type Record struct {
	ID          int64      `json:"id"`
	Key         string     `json:"dedupe_key"`
	Message     Message    `json:"message"`
	CreatedAt   time.Time  `json:"created_at"`
	Attempts    int        `json:"attempts"`
	LastError   string     `json:"last_error,omitempty"`
	DeliveredAt *time.Time `json:"delivered_at"`
}

// PayoutKey is the key of an alert raised once per payout and kind.
func PayoutKey(kind, payoutID string) string { return kind + ":" + payoutID }

// WindowKey is the key of an alert raised at most once per subject in each
// window (a configuration error every payout hits, a balance that stays
// low): the window is named by its start, so every worker agrees on it.
func WindowKey(kind, subject string, at time.Time, window time.Duration) string {
	return kind + ":" + subject + ":" + at.UTC().Truncate(window).Format(time.RFC3339)
}

// ForPayout is an alert about one payout, once per payout and kind.
func ForPayout(kind, payoutID, text, reason string) Alert {
	return Alert{Key: PayoutKey(kind, payoutID), Message: Message{
		Text: ":rotating_light: " + text, Kind: kind, OrderID: payoutID, PayoutID: payoutID, Reason: reason,
	}}
}

// LowBalanceEvery spaces low-balance alerts of one currency: a balance
// that stays low is said again each day, not on every check.
const LowBalanceEvery = 24 * time.Hour

// LowBalance is the alert of a merchant balance under its threshold, once
// per currency in LowBalanceEvery. Amounts are decimal strings.
func LowBalance(currency, balance, threshold string, at time.Time) Alert {
	text := "Heleket balance " + currency + " is " + balance + ", under the alert threshold " + threshold +
		": payouts may wait for funds"
	return Alert{Key: WindowKey(KindLowBalance, strings.ToUpper(currency), at, LowBalanceEvery), Message: Message{
		Text: ":warning: " + text, Kind: KindLowBalance, Reason: text,
		Ours: map[string]any{"currency": currency, "balance": balance, "threshold": threshold}, At: at,
	}}
}

// Masked is m as it may be stored and posted: wallet addresses in its
// free text (a Heleket error may quote one) cut to their ends, as in logs.
func (m Message) Masked() Message {
	m.Text, m.Reason = logging.MaskAddresses(m.Text), logging.MaskAddresses(m.Reason)
	return m
}

func init() { metrics.AlertKinds(Kinds...) }
