package metrics

import "github.com/prometheus/client_golang/prometheus"

// gateOrigins are the label values of payouts_gate_total's origin (the
// gate package's From* names).
var gateOrigins = []string{"api", "batch_row", "schedule_run", "restart"}

var gateDecisions = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "payouts_gate_total",
	Help: "Payouts the payout gate made (terms decided), admitted (workflow allowed to start) or refused, by origin.",
}, []string{"origin", "outcome"})

func init() {
	Registry.MustRegister(gateDecisions)
	for _, o := range gateOrigins {
		for _, outcome := range []string{"made", "admitted", "refused"} {
			gateDecisions.WithLabelValues(o, outcome)
		}
	}
}

// GateMade counts a payout whose terms the gate decided.
func GateMade(origin string) { gateDecisions.WithLabelValues(known(origin, gateOrigins), "made").Inc() }

// GateAdmitted counts a payout whose workflow the gate let start.
func GateAdmitted(origin string) {
	gateDecisions.WithLabelValues(known(origin, gateOrigins), "admitted").Inc()
}

// GateRefused counts a payout the gate refused.
func GateRefused(origin string) {
	gateDecisions.WithLabelValues(known(origin, gateOrigins), "refused").Inc()
}
