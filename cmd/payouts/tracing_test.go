package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/heleket-payouts/payouts/config"
	"github.com/heleket-payouts/payouts/internal/testdb"
)

func TestWithoutAnOTLPEndpointNothingIsTraced(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	log := slog.New(slog.DiscardHandler)
	tr, stop, err := startTracing(context.Background(), config.Config{}, log, "api")
	require.NoError(t, err)
	defer stop()
	assert.False(t, tr.Enabled())
	opts, err := temporalOptions(config.Config{}, log, tr)
	require.NoError(t, err)
	assert.Empty(t, opts.Interceptors, "no tracing interceptor on the Temporal client")
}

// The api command's wiring: with OTEL_EXPORTER_OTLP_ENDPOINT set, the
// Temporal client gets the tracing interceptor, a request to the API is a
// span named by its route, and stopping flushes it to the collector under
// the command's service name.
func TestWithAnOTLPEndpointTheAPIsSpansReachTheCollectorOnStop(t *testing.T) {
	var mu sync.Mutex
	var names, services []string
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		assert.NoError(t, err)
		req := &coltrace.ExportTraceServiceRequest{}
		assert.NoError(t, proto.Unmarshal(body, req))
		mu.Lock()
		defer mu.Unlock()
		for _, rs := range req.GetResourceSpans() {
			for _, kv := range rs.GetResource().GetAttributes() {
				if kv.GetKey() == "service.name" {
					services = append(services, kv.GetValue().GetStringValue())
				}
			}
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					names = append(names, s.GetName())
				}
			}
		}
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	t.Setenv("OTEL_SERVICE_NAME", "")
	log := slog.New(slog.DiscardHandler)
	cfg := config.Config{HeleketAPIKey: "api-test-payout-key-0123456789"}

	tr, stop, err := startTracing(context.Background(), cfg, log, "api")
	require.NoError(t, err)
	require.True(t, tr.Enabled())
	opts, err := temporalOptions(cfg, log, tr)
	require.NoError(t, err)
	assert.Len(t, opts.Interceptors, 1, "the Temporal client traces")
	h, err := newAPI(cfg, testdb.Open(t), nil, log, tr)
	require.NoError(t, err)
	api := httptest.NewServer(h)
	resp, err := http.Get(api.URL + "/payouts/po-7f3a")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	api.Close()
	stop()

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"GET /payouts/{id}"}, names)
	assert.Equal(t, []string{"payouts-api"}, services)
}
