// Package metrics holds the Prometheus registry served on /metrics: the
// Temporal SDK's metrics and the product's own. Every label has a bounded
// set of values (statuses, assets, endpoints, outcomes); ids never become
// labels.
package metrics

import (
	"net/http"
	"regexp"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/heleket-payouts/payouts/payout"
)

// Registry is what /metrics serves. A private registry (not the global
// default) keeps imported libraries from adding series behind our back.
var Registry = prometheus.NewRegistry()

// other replaces a label value outside its known set.
const other = "other"

var (
	payoutsStarted = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "payouts_started_total",
		Help: "Payouts accepted and stored (each payout counts once).",
	}, []string{"asset", "network", "origin"})

	payoutsFinished = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "payouts_finished_total",
		Help: "Payouts that reached a final status.",
	}, []string{"status", "asset", "network"})

	timeToFinal = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "payouts_time_to_final_seconds",
		Help: "Time from a payout's creation to its final status.",
		// From a refused submit (a second) to polling for days.
		Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400, 259200, 604800},
	}, []string{"status", "asset"})

	webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "payouts_webhooks_received_total",
		Help: "Heleket webhooks received, by outcome.",
	}, []string{"outcome"})

	heleketRequests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "payouts_heleket_request_duration_seconds",
		Help:    "Calls to Heleket's API by endpoint and outcome; _count is the number of calls.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30},
	}, []string{"endpoint", "outcome"})

	reconcileDiscrepancies = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "payouts_reconcile_discrepancies_total",
		Help: "Differences between our records and Heleket's found by reconciliation, by kind.",
	}, []string{"kind"})
)

func init() {
	Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		payoutsStarted, payoutsFinished, timeToFinal, webhooks, heleketRequests, reconcileDiscrepancies,
		temporal,
	)
	// Known outcomes start at zero, so a rate() works before the first one.
	for _, o := range WebhookOutcomes {
		webhooks.WithLabelValues(string(o))
	}
}

// Handler serves the registry in the Prometheus text format.
func Handler() http.Handler {
	return promhttp.HandlerFor(Registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// PayoutStarted counts a newly stored payout.
func PayoutStarted(p payout.Payout) {
	origin := string(p.Origin)
	if !p.Origin.Valid() {
		origin = other
	}
	payoutsStarted.WithLabelValues(asset(p.Asset), network(p.Network), origin).Inc()
}

// PayoutFinished counts a payout that has just reached its final status
// and observes how long it took. Call it once, where the final status is
// applied.
func PayoutFinished(p payout.Payout) {
	status := string(p.Status)
	if !p.Status.Valid() {
		status = other
	}
	payoutsFinished.WithLabelValues(status, asset(p.Asset), network(p.Network)).Inc()
	end := time.Now()
	if p.FinalizedAt != nil {
		end = *p.FinalizedAt
	}
	if !p.CreatedAt.IsZero() && !end.Before(p.CreatedAt) {
		timeToFinal.WithLabelValues(status, asset(p.Asset)).Observe(end.Sub(p.CreatedAt).Seconds())
	}
}

// WebhookOutcome is what became of a received webhook. Every refusal has
// an outcome of its own, so an operator can tell a forgery from a
// misconfiguration (relay_signature_missing is what HELEKET_WEBHOOK_SECRET
// does to Heleket's own webhooks).
type WebhookOutcome string

// The webhook outcomes: taken or answered 200...
const (
	WebhookOK          WebhookOutcome = "ok"
	WebhookDuplicate   WebhookOutcome = "duplicate"
	WebhookUnknown     WebhookOutcome = "unknown"
	WebhookIgnoredType WebhookOutcome = "ignored_type" // authentic, not a payout webhook: stored, never applied
	WebhookError       WebhookOutcome = "error"        // not taken (storage or signal failure); Heleket retries
)

// ...and refused.
const (
	WebhookBadSignature          WebhookOutcome = "bad_signature"
	WebhookMalformed             WebhookOutcome = "malformed"
	WebhookRelaySignatureMissing WebhookOutcome = "relay_signature_missing"
	WebhookRelaySignatureBad     WebhookOutcome = "relay_signature_bad"
	WebhookSourceRefused         WebhookOutcome = "source_refused"
	WebhookRateLimited           WebhookOutcome = "rate_limited"
	WebhookTooLarge              WebhookOutcome = "too_large"
)

// WebhookOutcomes lists every outcome.
var WebhookOutcomes = []WebhookOutcome{WebhookOK, WebhookDuplicate, WebhookUnknown, WebhookIgnoredType, WebhookError,
	WebhookBadSignature, WebhookMalformed, WebhookRelaySignatureMissing, WebhookRelaySignatureBad,
	WebhookSourceRefused, WebhookRateLimited, WebhookTooLarge}

// WebhookReceived counts a webhook by outcome.
func WebhookReceived(o WebhookOutcome) { webhooks.WithLabelValues(string(o)).Inc() }

var kindPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// ReconcileDiscrepancy counts one discrepancy. kind must come from the
// caller's fixed set of constants (e.g. "status_mismatch", "unknown_at_heleket");
// anything that does not look like one is counted as "other".
func ReconcileDiscrepancy(kind string) {
	if !kindPattern.MatchString(kind) {
		kind = other
	}
	reconcileDiscrepancies.WithLabelValues(kind).Inc()
}

func asset(a string) string {
	if !payout.KnownAsset(a) {
		return other
	}
	return payout.NormalizeAsset(a)
}

func network(n string) string {
	if !payout.KnownNetwork(n) {
		return other
	}
	return payout.NormalizeNetwork(n)
}
