package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/metrics"
	"github.com/heleket-payouts/payouts/payout"
)

func families(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	got, err := metrics.Registry.Gather()
	require.NoError(t, err)
	out := map[string]*dto.MetricFamily{}
	for _, f := range got {
		out[f.GetName()] = f
	}
	return out
}

func labels(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// find returns the metric of the family whose labels include want.
func find(t *testing.T, name string, want map[string]string) *dto.Metric {
	t.Helper()
	f := families(t)[name]
	require.NotNil(t, f, "family %s", name)
	for _, m := range f.GetMetric() {
		l := labels(m)
		match := true
		for k, v := range want {
			match = match && l[k] == v
		}
		if match {
			return m
		}
	}
	t.Fatalf("%s has no series with %v", name, want)
	return nil
}

func TestTemporalHandlerExportsCountersGaugesAndTimers(t *testing.T) {
	h := metrics.TemporalHandler().WithTags(map[string]string{"namespace": "ns-unit", "task_queue": "q"})
	h.Counter("temporal_unit_request").Inc(2)
	h.WithTags(map[string]string{"operation": "StartWorkflow"}).Counter("temporal_unit_request").Inc(1)
	h.Gauge("temporal_unit_slots").Update(7)
	timer := h.Timer("temporal_unit_latency")
	timer.Record(20 * time.Millisecond)
	timer.Record(2 * time.Minute) // beyond the last bucket

	plain := find(t, "temporal_unit_request_total", map[string]string{"namespace": "ns-unit", "operation": ""})
	assert.Equal(t, 2.0, plain.GetCounter().GetValue(), "a tag a series lacks is exported empty")
	op := find(t, "temporal_unit_request_total", map[string]string{"operation": "StartWorkflow"})
	assert.Equal(t, 1.0, op.GetCounter().GetValue())
	assert.Equal(t, 7.0, find(t, "temporal_unit_slots", map[string]string{"task_queue": "q"}).GetGauge().GetValue())

	hist := find(t, "temporal_unit_latency_seconds", map[string]string{"namespace": "ns-unit"}).GetHistogram()
	assert.Equal(t, uint64(2), hist.GetSampleCount())
	assert.InDelta(t, 120.02, hist.GetSampleSum(), 1e-9)
	for _, b := range hist.GetBucket() {
		if b.GetUpperBound() == 0.025 {
			assert.Equal(t, uint64(1), b.GetCumulativeCount())
		}
		if b.GetUpperBound() == 60 {
			assert.Equal(t, uint64(1), b.GetCumulativeCount(), "two minutes is only in +Inf")
		}
	}
}

func TestPayoutMetricsUseBoundedLabels(t *testing.T) {
	created := time.Now().Add(-90 * time.Second)
	final := created.Add(90 * time.Second)
	p := payout.Payout{ID: "unit-id-should-never-be-a-label", Asset: "USDT", Network: "tron", Origin: payout.OriginManual,
		Status: payout.StatusPaid, Amount: decimal.RequireFromString("1"), CreatedAt: created, FinalizedAt: &final}
	metrics.PayoutStarted(p)
	metrics.PayoutFinished(p)
	odd := p
	odd.Asset, odd.Network, odd.Origin = "NOTACOIN", "mars", "weird"
	metrics.PayoutStarted(odd)

	find(t, "payouts_started_total", map[string]string{"asset": "USDT", "network": "tron", "origin": "manual"})
	find(t, "payouts_started_total", map[string]string{"asset": "other", "network": "other", "origin": "other"})
	find(t, "payouts_finished_total", map[string]string{"status": "paid", "asset": "USDT", "network": "tron"})
	h := find(t, "payouts_time_to_final_seconds", map[string]string{"status": "paid", "asset": "USDT"}).GetHistogram()
	assert.GreaterOrEqual(t, h.GetSampleSum(), 90.0)
	for _, f := range families(t) {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				assert.NotContains(t, l.GetValue(), p.ID)
			}
		}
	}
}

func TestWebhookAndReconcileCounters(t *testing.T) {
	for _, o := range metrics.WebhookOutcomes {
		find(t, "payouts_webhooks_received_total", map[string]string{"outcome": string(o)})
	}
	before := find(t, "payouts_webhooks_received_total", map[string]string{"outcome": "duplicate"}).GetCounter().GetValue()
	metrics.WebhookReceived(metrics.WebhookDuplicate)
	after := find(t, "payouts_webhooks_received_total", map[string]string{"outcome": "duplicate"}).GetCounter().GetValue()
	assert.Equal(t, before+1, after)

	metrics.ReconcileDiscrepancy("status_mismatch")
	metrics.ReconcileDiscrepancy("Payout 1234 differs!") // free text is not a label value
	find(t, "payouts_reconcile_discrepancies_total", map[string]string{"kind": "status_mismatch"})
	find(t, "payouts_reconcile_discrepancies_total", map[string]string{"kind": "other"})
}

func TestHeleketTransportLabelsEndpointAndOutcome(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/base/v1/payout":
			w.WriteHeader(http.StatusUnprocessableEntity)
		case "/base/v1/payout/info":
			w.WriteHeader(http.StatusOK)
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	c := metrics.HeleketHTTPClient()
	for _, p := range []string{"/base/v1/payout", "/base/v1/payout/info", "/base/v1/payout/" + strings.Repeat("x", 20)} {
		resp, err := c.Post(srv.URL+p, "application/json", nil)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	_, err := c.Get("http://127.0.0.1:1/v1/payout/info") // nothing listens on port 1
	require.Error(t, err)

	find(t, "payouts_heleket_request_duration_seconds", map[string]string{"endpoint": "/v1/payout", "outcome": "rejected"})
	find(t, "payouts_heleket_request_duration_seconds", map[string]string{"endpoint": "/v1/payout/info", "outcome": "ok"})
	find(t, "payouts_heleket_request_duration_seconds", map[string]string{"endpoint": "other", "outcome": "server_error"})
	find(t, "payouts_heleket_request_duration_seconds", map[string]string{"endpoint": "/v1/payout/info", "outcome": "transport_error"})
}

func TestHandlerServesTextFormat(t *testing.T) {
	srv := httptest.NewServer(metrics.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Contains(t, string(b), "payouts_webhooks_received_total{outcome=\"ok\"}")
	assert.Contains(t, string(b), "go_goroutines")
}
