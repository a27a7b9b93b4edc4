package tracing

import (
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Routes tell Handler which requests are not traced and which come from
// another party.
type Routes struct {
	// Untraced requests (health probes) would bury those that matter.
	Untraced func(*http.Request) bool
	// Public requests come from outside (Heleket's webhook): their
	// traceparent, if any, is linked to, not adopted as the parent, so a
	// caller cannot join or forge our traces.
	Public func(*http.Request) bool
}

// Handler traces the requests to h. The span is named by the method until
// the router names it by its route pattern (httpapi's nameSpan): a raw
// path would carry payout and client ids into the name.
func Handler(h http.Handler, tp trace.TracerProvider, routes Routes) http.Handler {
	opts := []otelhttp.Option{
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(Propagator),
		// HTTP metrics are the prometheus ones already; none twice.
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
	}
	if routes.Untraced != nil {
		opts = append(opts, otelhttp.WithFilter(func(r *http.Request) bool { return !routes.Untraced(r) }))
	}
	if routes.Public != nil {
		opts = append(opts, otelhttp.WithPublicEndpointFn(routes.Public))
	}
	traced := otelhttp.NewHandler(h, "http.server", opts...)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// otelhttp renames the span after the request by the pattern of an
		// enclosing ServeMux (httpapi.WithOps's "/"), over the router's name.
		if r.Pattern != "" {
			r = r.WithContext(r.Context())
			r.Pattern = ""
		}
		traced.ServeHTTP(w, r)
	})
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
