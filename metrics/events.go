package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// EventOutcomes label payouts_event_deliveries_total: an attempt the
// receiver took, refused (non-2xx), did not answer in time or at all, and
// a delivery given up after its window.
var EventOutcomes = []string{"delivered", "refused", "unreachable", "gave_up"}

var (
	eventDeliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "payouts_event_deliveries_total",
		Help: "Attempts to deliver outbound events to endpoints, by outcome.",
	}, []string{"outcome"})
	eventDeliverySeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "payouts_event_delivery_seconds",
		Help:    "How long endpoints took to answer an outbound event (or to time out).",
		Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10},
	})
	eventOutbox = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "payouts_event_deliveries_pending",
		Help: "Deliveries not yet made: 'outbox' not yet handed to Temporal, 'pending' all not yet delivered nor given up.",
	}, []string{"stage"})
)

func init() {
	Registry.MustRegister(eventDeliveries, eventDeliverySeconds, eventOutbox)
	for _, o := range EventOutcomes {
		eventDeliveries.WithLabelValues(o)
	}
}

// EventDelivery counts one delivery attempt and how long it took.
func EventDelivery(outcome string, took time.Duration) {
	eventDeliveries.WithLabelValues(known(outcome, EventOutcomes)).Inc()
	if outcome != "gave_up" {
		eventDeliverySeconds.Observe(took.Seconds())
	}
}

// EventOutbox sets the pending-deliveries gauges.
func EventOutbox(unhanded, pending int64) {
	eventOutbox.WithLabelValues("outbox").Set(float64(unhanded))
	eventOutbox.WithLabelValues("pending").Set(float64(pending))
}
