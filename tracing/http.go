package tracing

import (
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Handler traces every request to h but the health probes, which would
// bury the requests that matter. The span is named by the method until
// the router names it by its route pattern (httpapi's nameSpan): a raw
// path would carry payout and client ids into the name.
func Handler(h http.Handler, tp trace.TracerProvider) http.Handler {
	return otelhttp.NewHandler(h, "http.server",
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(Propagator),
		// HTTP metrics are the prometheus ones already; none twice.
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
		otelhttp.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/healthz" && r.URL.Path != "/readyz" }),
	)
}

// Transport traces the calls made through base, named by method and
// path. The trace context is not sent: the callee (Heleket) is another
// party, and our trace ids are no business of theirs.
func Transport(base http.RoundTripper, tp trace.TracerProvider) http.RoundTripper {
	return otelhttp.NewTransport(base,
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(propagation.NewCompositeTextMapPropagator()),
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }),
	)
}

// HTTPClient returns c with its transport traced when t is on, c itself
// when off.
func (t *Tracing) HTTPClient(c *http.Client) *http.Client {
	if !t.Enabled() {
		return c
	}
	traced := *c
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	traced.Transport = Transport(base, t.Provider)
	return &traced
}
