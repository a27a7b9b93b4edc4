package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"go.temporal.io/sdk/client"

	"github.com/heleket-payouts/payouts/codec"
	"github.com/heleket-payouts/payouts/config"
	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/logging"
	"github.com/heleket-payouts/payouts/metrics"
)

// opsLogger is the service logger: JSON (or text) through the masking
// handler, which knows every configured secret.
func opsLogger(cfg config.Config) *slog.Logger {
	return logging.New(logging.Options{Level: cfg.LogLevel, Format: cfg.LogFormat, Writer: os.Stderr, Secrets: cfg.Secrets()})
}

// withOpsClientOptions adds what every Temporal client of the service
// shares: SDK metrics into /metrics and, when PAYLOAD_KEYS is set, payload
// encryption. The API and the worker must agree on the keys, or one cannot
// read what the other wrote.
func withOpsClientOptions(opts *client.Options, cfg config.Config) error {
	opts.MetricsHandler = metrics.TemporalHandler()
	compression, err := cfg.GrpcCompression()
	if err != nil {
		return err
	}
	opts.ConnectionOptions.GrpcCompression = compression
	c, err := cfg.Codec()
	if err != nil {
		return err
	}
	if c != nil {
		opts.DataConverter = c.DataConverter()
		opts.FailureConverter = c.FailureConverter()
	}
	return nil
}

// withOps serves /metrics and, with the codec on, /codec/ next to the API.
// ADMIN_TOKENS tokens work as codec bearer tokens (for the CLI's
// --codec-auth); ADMIN_TOKENS_FILE holds only digests, so its tokens do
// not (the codec compares tokens). CODEC_TOKEN also works as the path
// segment the Temporal UI uses.
func withOps(cfg config.Config, api http.Handler, adminTokens []config.AdminToken) (http.Handler, error) {
	c, err := cfg.Codec()
	if err != nil {
		return nil, err
	}
	if c == nil {
		return httpapi.WithOps(api, nil), nil
	}
	var tokens []string
	for _, t := range adminTokens {
		if t.Token != "" {
			tokens = append(tokens, t.Token)
		}
	}
	if cfg.CodecToken != "" {
		tokens = append(tokens, cfg.CodecToken)
	}
	return httpapi.WithOps(api, codec.Handler(c, codec.ServerOptions{
		Tokens: tokens, PathToken: cfg.CodecToken, Origins: cfg.CodecOrigins(),
	})), nil
}

// workerOps is the worker's own small HTTP server: /metrics and /healthz.
func workerOps() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, `{"status":"ok"}`)
	})
	return mux
}
