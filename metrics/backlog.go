package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"
)

// Held reasons: what a held payout waits for.
const (
	HeldApproval  = "awaiting_approval" // a second admin
	HeldFunds     = "awaiting_funds"    // a top-up of the merchant balance
	HeldAttention = "needs_attention"   // an operator (flagged, open or final)
)

// The backlog gauges are database-wide facts the worker reads every
// the worker's backlog watch (activities.BacklogWatch): every worker reports the same values, so rules take max().
var (
	payoutsStuck = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "payouts_stuck",
		Help: "Open payouts older than PAYOUT_STUCK_AFTER that are not held on purpose (approval, funds).",
	})
	payoutsHeld = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "payouts_held",
		Help: "Payouts waiting for a person, by reason: awaiting_approval, awaiting_funds, needs_attention.",
	}, []string{"reason"})
	reconcileLastSuccess = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "payouts_reconcile_last_success_timestamp_seconds",
		Help: "When the last successful reconciliation run finished (Unix time); 0 before the first.",
	})
	backlogRead = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "payouts_backlog_read_timestamp_seconds",
		Help: "When the worker last read the backlog gauges from PostgreSQL (Unix time): stale means they are.",
	})
	lowBalanceThreshold = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "payouts_heleket_balance_low_threshold",
		Help: "LOW_BALANCE_ALERTS per currency: the balance below which the worker alerts.",
	}, []string{"currency"})
)

func init() {
	Registry.MustRegister(payoutsStuck, payoutsHeld, reconcileLastSuccess, backlogRead, lowBalanceThreshold)
}

// Backlog is what the backlog gauges show (store.Backlog reads it).
type Backlog struct {
	// Stuck: open payouts older than PAYOUT_STUCK_AFTER, not held on purpose.
	Stuck int64
	// Held for a person: a second admin, a top-up, an operator.
	AwaitingApproval, AwaitingFunds, NeedsAttention int64
	// LastReconciled is when the last successful run finished; zero: never.
	LastReconciled time.Time
}

// SetBacklog sets the backlog gauges from a fresh read at time at.
func SetBacklog(b Backlog, at time.Time) {
	payoutsStuck.Set(float64(b.Stuck))
	payoutsHeld.WithLabelValues(HeldApproval).Set(float64(b.AwaitingApproval))
	payoutsHeld.WithLabelValues(HeldFunds).Set(float64(b.AwaitingFunds))
	payoutsHeld.WithLabelValues(HeldAttention).Set(float64(b.NeedsAttention))
	if !b.LastReconciled.IsZero() {
		reconcileLastSuccess.Set(float64(b.LastReconciled.Unix()))
	}
	backlogRead.Set(float64(at.Unix()))
}

// LowBalanceThresholds exports LOW_BALANCE_ALERTS, so an alert rule can
// compare payouts_heleket_balance with it.
func LowBalanceThresholds(t map[string]decimal.Decimal) {
	for cur, amount := range t {
		lowBalanceThreshold.WithLabelValues(asset(cur)).Set(amount.InexactFloat64())
	}
}
