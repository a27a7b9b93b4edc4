package main

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/config"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/tracing"
)

// lockedBuffer collects log output written from the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The api and dev commands both build their handler with newAPI.
func TestAPIWithAWebhookSecretWarnsAtStartAndAlertsOnGenuineWebhooksRefused(t *testing.T) {
	var alerts []string
	var mu sync.Mutex
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		alerts = append(alerts, string(b))
	}))
	defer receiver.Close()
	const key = "api-test-payout-key-0123456789"
	cfg := config.Config{HeleketAPIKey: key, HeleketWebhookSecret: "relay-secret-0123456789", AlertWebhookURL: receiver.URL}
	logs := &lockedBuffer{}
	h, err := newAPI(cfg, testdb.Open(t), nil, slog.New(slog.NewTextHandler(logs, nil)), tracing.Off())
	require.NoError(t, err)
	assert.Regexp(t, `level=WARN msg="HELEKET_WEBHOOK_SECRET is set: .*Heleket itself does not send X-Heleket-Signature`, logs.String())

	payload := `{"type":"payout","uuid":"u-1","order_id":"po-1","amount":"1.00000000","is_final":false,"status":"process"}`
	body := payload[:len(payload)-1] + `,"sign":"` + heleket.SignWebhook([]byte(payload), key) + `"}`
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/payouts/webhook", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, logs.String(), `level=ERROR msg="genuine Heleket webhook refused`)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, alerts, 1, "ALERT_WEBHOOK_URL gets the alert")
	assert.Contains(t, alerts[0], "HELEKET_WEBHOOK_SECRET is set")
}
