package httpapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/tracing"
)

const callerTraceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

// Admin requests join the caller's trace under a span named by their
// route; the webhook, from another party, starts its own trace and only
// links the caller's; health probes are not traced.
func TestRequestSpansAreNamedByRouteAndTheWebhookStartsItsOwnTrace(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := tracing.New(exp, nil)
	api := httptest.NewServer(httpapi.WithOps(httpapi.New(httpapi.Deps{Logger: slog.New(slog.DiscardHandler), Tracing: tr}), nil))
	defer api.Close()
	send := func(method, path string) {
		req, err := http.NewRequest(method, api.URL+path, strings.NewReader("not json"))
		require.NoError(t, err)
		req.Header.Set("traceparent", callerTraceparent)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	send(http.MethodGet, "/payouts/po-7f3a")
	send(http.MethodPost, "/payouts/webhook")
	send(http.MethodGet, "/healthz")
	send(http.MethodGet, "/metrics")
	api.Close() // waits for the handlers, so their spans have ended
	require.NoError(t, tr.Flush(context.Background()))

	spans := exp.GetSpans()
	require.Len(t, spans, 2, "neither the probe nor /metrics is traced")
	get, hook := spans[0], spans[1]
	if get.Name != "GET /payouts/{id}" {
		get, hook = hook, get
	}
	assert.Equal(t, "GET /payouts/{id}", get.Name, "the pattern, not the payout id")
	assert.Contains(t, get.Attributes, attribute.String("http.route", "/payouts/{id}"))
	assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", get.SpanContext.TraceID().String(), "an admin caller's trace is joined")
	assert.Equal(t, "00f067aa0ba902b7", get.Parent.SpanID().String())

	assert.Equal(t, "POST /payouts/webhook", hook.Name)
	assert.False(t, hook.Parent.IsValid(), "the webhook's span is a root")
	assert.NotEqual(t, "4bf92f3577b34da6a3ce929d0e0e4736", hook.SpanContext.TraceID().String())
	require.Len(t, hook.Links, 1)
	assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", hook.Links[0].SpanContext.TraceID().String(), "the caller's trace is only linked")
}
