package main

import (
	"context"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/heleket-payouts/payouts/config"
	"github.com/heleket-payouts/payouts/tracing"
)

// startTracing turns traces on when OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; stop flushes what is left,
// so it must run after the server and the worker have stopped.
func startTracing(ctx context.Context, cfg config.Config, log *slog.Logger, command string) (*tracing.Tracing, func(), error) {
	tr, err := tracing.FromEnv(ctx, "payouts-"+command, cfg.Secrets())
	if err != nil {
		return nil, nil, err
	}
	tr.SetGlobal()
	if !tr.Enabled() {
		return tr, func() {}, nil
	}
	// The endpoint is not logged: its URL or headers may hold a collector's credentials.
	log.Info("traces on: exporting over OTLP/HTTP")
	// A collector that is down costs spans, never requests: say so in the
	// service's (masked) log rather than on bare stderr.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Warn("traces not exported", "error", err) }))
	return tr, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tr.Shutdown(ctx); err != nil {
			log.Error("flush traces", "error", err)
		}
	}, nil
}
