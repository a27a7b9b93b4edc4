package tracing_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/heleket-payouts/payouts/tracing"
)

const (
	apiKey  = "heleket-api-key-0123456789"
	address = "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"
)

func TestWithoutAnEndpointTracingIsANoOp(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	tr, err := tracing.FromEnv(context.Background(), "payouts-test", nil)
	require.NoError(t, err)
	assert.False(t, tr.Enabled())
	assert.IsType(t, noop.TracerProvider{}, tr.Provider)
	_, span := tr.Provider.Tracer("t").Start(context.Background(), "x")
	assert.False(t, span.IsRecording())
	c := &http.Client{}
	assert.Same(t, c, tr.HTTPClient(c), "the Heleket client is left as it is")
	assert.NoError(t, tr.Shutdown(context.Background()))
}

// With OTEL_EXPORTER_OTLP_ENDPOINT set, spans arrive at the collector over
// OTLP/HTTP, redacted, under the service's name, by the time Shutdown
// returns.
func TestWithAnEndpointSpansReachTheCollector(t *testing.T) {
	var mu sync.Mutex
	var got []*coltrace.ExportTraceServiceRequest
	var paths []string
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		assert.NoError(t, err)
		req := &coltrace.ExportTraceServiceRequest{}
		assert.NoError(t, proto.Unmarshal(body, req))
		mu.Lock()
		got, paths = append(got, req), append(paths, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	t.Setenv("OTEL_SERVICE_NAME", "")

	tr, err := tracing.FromEnv(context.Background(), "payouts-test", []string{apiKey})
	require.NoError(t, err)
	require.True(t, tr.Enabled())
	_, span := tr.Provider.Tracer("t").Start(context.Background(), "POST /v1/payout")
	span.SetAttributes(attribute.String("note", "key "+apiKey))
	span.End()
	require.NoError(t, tr.Shutdown(context.Background()))

	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"POST /v1/traces"}, paths)
	rs := got[0].GetResourceSpans()
	require.Len(t, rs, 1)
	var service string
	for _, kv := range rs[0].GetResource().GetAttributes() {
		if kv.GetKey() == "service.name" {
			service = kv.GetValue().GetStringValue()
		}
	}
	assert.Equal(t, "payouts-test", service)
	spans := rs[0].GetScopeSpans()[0].GetSpans()
	require.Len(t, spans, 1)
	assert.Equal(t, "POST /v1/payout", spans[0].GetName())
	assert.Equal(t, "key [REDACTED]", spans[0].GetAttributes()[0].GetValue().GetStringValue())
}

func TestOTELServiceNameOverridesTheDefault(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:1/v1/traces")
	t.Setenv("OTEL_SERVICE_NAME", "payouts-eu")
	tr, err := tracing.FromEnv(context.Background(), "payouts-api", nil)
	require.NoError(t, err)
	require.True(t, tr.Enabled(), "the traces endpoint alone turns traces on")
	// Never ended, so Shutdown has nothing to send to the closed port.
	_, span := tr.Provider.Tracer("t").Start(context.Background(), "x")
	service, ok := span.(sdktrace.ReadOnlySpan).Resource().Set().Value("service.name")
	assert.True(t, ok)
	assert.Equal(t, "payouts-eu", service.AsString())
	require.NoError(t, tr.Shutdown(context.Background()))
}

// Whatever an instrumentation records, the exporter never sees a secret,
// an address, a header, a query string or a mangled workflow id.
func TestExportedSpansAreRedacted(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.New(exp, []string{apiKey})
	_, span := tr.Provider.Tracer("t").Start(context.Background(), "POST /v1/payout/info", trace.WithAttributes(
		attribute.String("url.full", "https://api.heleket.com/v1/payout/info?order_id=1&sign=abc"),
		attribute.String("url.query", "order_id=1"),
		attribute.String("http.request.header.authorization", "Bearer admin-token-0123456789"),
		attribute.String("temporalWorkflowID", "payout-3LmQ8x"),
		attribute.StringSlice("destinations", []string{address}),
		attribute.Int("http.response.status_code", 200),
	))
	span.RecordError(errors.New("heleket refused the payout to " + address + " with key " + apiKey))
	span.SetStatus(codes.Error, "Bearer admin-token-0123456789 was refused")
	span.End()
	require.NoError(t, tr.Flush(context.Background()))

	spans := exp.GetSpans()
	require.Len(t, spans, 1)
	s := spans[0]
	assert.ElementsMatch(t, []attribute.KeyValue{
		attribute.String("url.full", "https://api.heleket.com/v1/payout/info"),
		attribute.String("temporalWorkflowID", "payout-3LmQ8x"),
		attribute.StringSlice("destinations", []string{"TQrZ…AbpW"}),
		attribute.Int("http.response.status_code", 200),
	}, s.Attributes)
	require.Len(t, s.Events, 1)
	assert.Contains(t, s.Events[0].Attributes,
		attribute.String("exception.message", "heleket refused the payout to TQrZ…AbpW with key [REDACTED]"))
	assert.Equal(t, "Bearer [REDACTED] was refused", s.Status.Description)
}
