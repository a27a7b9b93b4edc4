package metrics

import "github.com/prometheus/client_golang/prometheus"

// Kinds of payouts flagged for attention by the workflow side.
const (
	AttentionMismatch     = "heleket_mismatch"      // Heleket's payout under our order_id is not ours
	AttentionHeleketCalls = "heleket_calls_failing" // a Heleket call keeps failing
	AttentionOperator     = "heleket_configuration" // Heleket refuses our credentials or route
)

var attentionKinds = []string{AttentionMismatch, AttentionHeleketCalls, AttentionOperator}

var payoutsFlagged = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "payouts_flagged_total",
	Help: "Payouts flagged for attention by their workflow, by kind (each payout and kind counts once).",
}, []string{"kind"})

func init() {
	Registry.MustRegister(payoutsFlagged)
	for _, k := range attentionKinds {
		payoutsFlagged.WithLabelValues(k)
	}
}

// PayoutFlagged counts a payout newly flagged for attention.
func PayoutFlagged(kind string) { payoutsFlagged.WithLabelValues(known(kind, attentionKinds)).Inc() }

func known(v string, set []string) string {
	for _, s := range set {
		if v == s {
			return v
		}
	}
	return other
}
