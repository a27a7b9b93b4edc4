package metrics

import "github.com/prometheus/client_golang/prometheus"

// gateOrigins are the label values of payouts_gate_total's origin (the
// gate package's From* names).
var gateOrigins = []string{"api", "batch_row", "schedule_run", "restart", "retry"}

var gateDecisions = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "payouts_gate_total",
	Help: "Payouts the payout gate made (terms decided), admitted (workflow allowed to start) or refused, by origin.",
}, []string{"origin", "outcome"})

// gateRefusalKinds are the gate package's Refused* names.
var gateRefusalKinds = []string{"denylist", "client_daily_limit", "daily_outflow_limit", "new_address", "wallet_disabled"}

var gateRefusals = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "payouts_gate_refusals_total",
	Help: "Payouts the payout gate refused under a money control, by kind (denylist, caps, destination rules).",
}, []string{"kind"})

// GateRefusal counts a refusal under a money control.
func GateRefusal(kind string) { gateRefusals.WithLabelValues(known(kind, gateRefusalKinds)).Inc() }

func init() {
	Registry.MustRegister(gateDecisions, gateRefusals)
	for _, k := range gateRefusalKinds {
		gateRefusals.WithLabelValues(k)
	}
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
