// Package tracing sets up OpenTelemetry traces: exported over OTLP/HTTP
// when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
// is set, a no-op provider otherwise. Every exported span passes through
// the redacting exporter (redact.go): no wallet address, secret or query
// string leaves the service in a trace.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"os"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Propagator is W3C trace context only: baggage from a caller is not
// carried into workflows, where it would be stored in their history.
var Propagator propagation.TextMapPropagator = propagation.TraceContext{}

// Tracing is the service's tracer provider and what it takes to flush it.
type Tracing struct {
	Provider trace.TracerProvider
	sdk      *sdktrace.TracerProvider
}

// Configured reports whether the environment names an OTLP endpoint, the
// switch that turns traces on.
func Configured() bool {
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// FromEnv returns the OTLP/HTTP provider when Configured, the no-op one
// (no exporter, no goroutine) otherwise. service is the default
// service.name; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override
// it. secrets are redacted wherever a span would carry them.
func FromEnv(ctx context.Context, service string, secrets []string) (*Tracing, error) {
	if !Configured() {
		return Off(), nil
	}
	// The exporter reads the other OTEL_EXPORTER_OTLP_* settings itself
	// (headers, timeout, TLS, compression).
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	res, err := resource.New(ctx, resource.WithAttributes(semconv.ServiceName(service)),
		resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("trace resource (OTEL_RESOURCE_ATTRIBUTES?): %w", err)
	}
	return New(exp, secrets, sdktrace.WithResource(res)), nil
}

// Off is tracing switched off.
func Off() *Tracing { return &Tracing{Provider: noop.NewTracerProvider()} }

// New batches spans to exp through the redacting exporter; tests give it
// an in-memory exporter.
func New(exp sdktrace.SpanExporter, secrets []string, opts ...sdktrace.TracerProviderOption) *Tracing {
	opts = append(opts, sdktrace.WithBatcher(Redacting(exp, secrets)))
	tp := sdktrace.NewTracerProvider(opts...)
	return &Tracing{Provider: tp, sdk: tp}
}

// Enabled is false for the no-op provider, so callers can leave the
// instrumentation out entirely.
func (t *Tracing) Enabled() bool { return t != nil && t.sdk != nil }

// SetGlobal makes the provider and the propagator OpenTelemetry's
// globals, for libraries that instrument themselves.
func (t *Tracing) SetGlobal() {
	otel.SetTextMapPropagator(Propagator)
	if t.Enabled() {
		otel.SetTracerProvider(t.Provider)
	}
}

// Flush exports every span ended so far.
func (t *Tracing) Flush(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	return t.sdk.ForceFlush(ctx)
}

// Shutdown flushes and stops the exporter; spans started after it are
// dropped.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	if err := t.sdk.Shutdown(ctx); err != nil {
		return fmt.Errorf("shut down tracing: %w", err)
	}
	return nil
}
