package metrics

import "github.com/prometheus/client_golang/prometheus"

var (
	alertsRaised = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "payouts_alerts_raised_total",
		Help: "Alerts written to the outbox, by kind (a repeat of a deduplicated alert does not count).",
	}, []string{"kind"})
	alertsDelivered = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "payouts_alerts_delivered_total",
		Help: "Alerts the channel (ALERT_WEBHOOK_URL) took, by kind.",
	}, []string{"kind"})
	alertsFailed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "payouts_alerts_failed_total",
		Help: "Failed posts of alerts, by kind; each is retried with backoff until the channel takes it.",
	}, []string{"kind"})

	alertKinds []string
)

func init() { Registry.MustRegister(alertsRaised, alertsDelivered, alertsFailed) }

// AlertKinds sets the kinds alert metrics are labelled with (alert.Kinds)
// and starts their series at zero; any other kind counts as "other".
func AlertKinds(kinds ...string) {
	alertKinds = append([]string(nil), kinds...)
	for _, k := range append(kinds, other) {
		alertsRaised.WithLabelValues(k)
		alertsDelivered.WithLabelValues(k)
		alertsFailed.WithLabelValues(k)
	}
}

// AlertRaised counts an alert newly written to the outbox.
func AlertRaised(kind string) { alertsRaised.WithLabelValues(known(kind, alertKinds)).Inc() }

// AlertDelivered counts an alert the channel took.
func AlertDelivered(kind string) { alertsDelivered.WithLabelValues(known(kind, alertKinds)).Inc() }

// AlertFailed counts a failed post of an alert.
func AlertFailed(kind string) { alertsFailed.WithLabelValues(known(kind, alertKinds)).Inc() }
