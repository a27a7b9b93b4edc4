// Package temporaltrace is Temporal's OpenTelemetry interceptor as the
// service uses it. It is apart from package tracing so that the HTTP
// layer, which uses tracing, imports no Temporal package.
package temporaltrace

import (
	"fmt"

	"go.opentelemetry.io/otel/trace"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"

	"github.com/heleket-payouts/payouts/tracing"
)

// Interceptors are the client interceptors that trace starting workflows
// and, in workers built on that client, running workflows and activities:
// none when t is off.
func Interceptors(t *tracing.Tracing) ([]interceptor.ClientInterceptor, error) {
	if !t.Enabled() {
		return nil, nil
	}
	i, err := Interceptor(t.Provider)
	if err != nil {
		return nil, err
	}
	return []interceptor.ClientInterceptor{i}, nil
}

// Interceptor is Temporal's tracing interceptor on tp. It puts the trace
// context in Temporal headers only; it records ids and types, never
// payloads, and adds no workflow command, so histories replay the same
// with it or without it (workflows/replay_test.go replays both ways).
func Interceptor(tp trace.TracerProvider) (interceptor.Interceptor, error) {
	i, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{
		Tracer:            tp.Tracer("temporal-sdk-go"),
		TextMapPropagator: tracing.Propagator,
		DisableBaggage:    true,
	})
	if err != nil {
		return nil, fmt.Errorf("temporal tracing interceptor: %w", err)
	}
	return i, nil
}
