package testenv

import (
	"bytes"
	"log/slog"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/heleket-payouts/payouts/codec"
	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/logging"
	"github.com/heleket-payouts/payouts/metrics"
	"github.com/heleket-payouts/payouts/tracing/temporaltrace"
)

const (
	// CodecToken is the codec server's path token (the Web UI's way in).
	CodecToken = "test-codec-token-0123456789"
	// UIOrigin is the browser origin the codec server allows.
	UIOrigin = "http://127.0.0.1:8233"
)

// LogBuffer collects log lines written concurrently by the API, the worker
// and the SDK.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logger is the environment's logger: production's masking JSON logger at
// debug level when Options.Logs is set, the quiet one otherwise.
func (o Options) logger() *slog.Logger {
	if o.Logs == nil {
		return quietLogger()
	}
	return logging.New(logging.Options{Level: "debug", Writer: o.Logs,
		Secrets: []string{APIKey, AdminToken, SecondAdminToken, CodecToken}})
}

// clientOptions mirror production's: SDK metrics, the codec and tracing
// when on.
func clientOptions(t *testing.T, o Options, log *slog.Logger) client.Options {
	interceptors, err := temporaltrace.Interceptors(o.Tracing)
	require.NoError(t, err)
	opts := client.Options{HostPort: o.TemporalAddress, Logger: tlog.NewStructuredLogger(log), MetricsHandler: metrics.TemporalHandler(),
		Interceptors: interceptors}
	if o.Codec != nil {
		opts.DataConverter = o.Codec.DataConverter()
		opts.FailureConverter = o.Codec.FailureConverter()
	}
	return opts
}

// withOps adds /metrics and, with the codec on, /codec/ as production does:
// AdminToken as bearer, CodecToken as path token, UIOrigin for CORS.
func withOps(o Options, api http.Handler) http.Handler {
	var ch http.Handler
	if o.Codec != nil {
		ch = codec.Handler(o.Codec, codec.ServerOptions{Tokens: []string{AdminToken}, PathToken: CodecToken, Origins: []string{UIOrigin}})
	}
	return httpapi.WithOps(api, ch)
}

// RawTemporal is a client without the codec: it sees payloads as the
// Temporal server stores them.
func (e *Env) RawTemporal() client.Client {
	e.T.Helper()
	c, err := client.Dial(client.Options{HostPort: e.temporalAddr, Logger: tlog.NewStructuredLogger(quietLogger())})
	require.NoError(e.T, err)
	e.T.Cleanup(c.Close)
	return c
}
