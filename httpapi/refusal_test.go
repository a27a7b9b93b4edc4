package httpapi_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/httpapi"
)

// publicRoutes answer without a bearer token; every other route needs one.
var publicRoutes = map[string]bool{
	"/payouts/webhook": true, "/healthz": true, "/readyz": true, "/openapi.yaml": true, "/metrics": true,
}

// records keeps every log record, for assertions on what was logged.
type records struct {
	mu   sync.Mutex
	list []slog.Record
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *records) WithGroup(string) slog.Handler            { return r }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, rec.Clone())
	return nil
}

func (r *records) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.list))
	for _, rec := range r.list {
		line := rec.Level.String() + " " + rec.Message
		rec.Attrs(func(a slog.Attr) bool {
			line += " " + a.String()
			return true
		})
		out = append(out, line)
	}
	r.list = nil
	return out
}

// TestAdminRoutesRefuseWithoutAValidToken runs with no store and no
// Temporal client: a handler reached by mistake would panic into a 500.
func TestAdminRoutesRefuseWithoutAValidToken(t *testing.T) {
	const token = "the-right-token-0123456789"
	logs := &records{}
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{
		AdminTokens: []access.Credential{access.NewCredential("alice", token, nil, time.Time{})}, Logger: slog.New(logs),
	}))
	defer srv.Close()

	checked := 0
	for _, route := range routes(t) {
		method, pattern, _ := strings.Cut(route, " ")
		if publicRoutes[pattern] {
			continue
		}
		path := strings.NewReplacer("{client_id}", "42", "{id}", "po-refusal-test").Replace(pattern)
		for _, auth := range []string{"", "Bearer wrong-token-0123456789", "Basic " + token, "Bearer " + token + "x"} {
			req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(`{}`))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/json")
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "%s with %q", route, auth)
			assert.Equal(t, `Bearer realm="payouts"`, resp.Header.Get("WWW-Authenticate"))

			lines := logs.take()
			refusals := 0
			for _, l := range lines {
				assert.NotContains(t, l, "token-0123456789", "a token never reaches the log")
				if strings.HasPrefix(l, "WARN admin route refused") {
					refusals++
				}
			}
			assert.Equal(t, 1, refusals, "one refusal line for %s with %q: %v", route, auth, lines)
			checked++
		}
	}
	assert.Greater(t, checked, 0, fmt.Sprintf("no admin route found among %v", routes(t)))
}
