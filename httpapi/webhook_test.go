package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/internal/apispec"
	"github.com/heleket-payouts/payouts/internal/metricstest"
	"github.com/heleket-payouts/payouts/internal/testdb"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/usecase"
	"github.com/heleket-payouts/payouts/workflows"
)

const hookKey = "webhook-test-payout-key-0123"

// signedHook signs a webhook payload (a JSON object without sign) the way
// Heleket does and appends the sign.
func signedHook(payload string) string {
	return payload[:len(payload)-1] + `,"sign":"` + heleket.SignWebhook([]byte(payload), hookKey) + `"}`
}

// signalRecorder is a Temporal client that only records signals: any
// other call panics, which the router turns into a 500.
type signalRecorder struct {
	client.Client
	mu      sync.Mutex
	signals []string
}

func (s *signalRecorder) SignalWorkflow(_ context.Context, workflowID, _ string, name string, _ any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signals = append(s.signals, workflowID+" "+name)
	return nil
}

func (s *signalRecorder) sent() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.signals...)
}

// checkedHTTP is a client that fails t on any exchange openapi.yaml does
// not describe.
func checkedHTTP(t *testing.T) *http.Client {
	t.Helper()
	spec, err := apispec.Load(httpapi.OpenAPI())
	require.NoError(t, err)
	return &http.Client{Transport: spec.Transport(t, http.DefaultTransport)}
}

// webhookOutcome reads payouts_webhooks_received_total{outcome}.
func webhookOutcome(t *testing.T, outcome string) float64 {
	return metricstest.Counter(t, "payouts_webhooks_received_total", map[string]string{"outcome": outcome})
}

type hookAnswer struct {
	Code   int
	Status string `json:"status"`
	Error  string `json:"error"`
}

func postHook(t *testing.T, hc *http.Client, url, body string, header map[string]string) hookAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/payouts/webhook", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	got := hookAnswer{Code: resp.StatusCode}
	require.NoError(t, json.Unmarshal(raw, &got), string(raw))
	return got
}

// Heleket sends payment and wallet webhooks (and refunds, signed with the
// payout key) to the same URL. Their order_id is the merchant's own and may
// equal a payout's id: they must never reach that payout. Not parallel: it
// reads a process-wide counter.
func TestWebhooksOfOtherTypesAreStoredAnsweredAndNeverSignalled(t *testing.T) {
	st := testdb.Open(t)
	ctx := context.Background()
	p, _, err := st.CreatePayout(ctx, payout.Payout{ID: "po-hook-type-0000000000000000001", ClientID: "52", Asset: "USDT",
		Network: "tron", Amount: decimal.RequireFromString("5"), Address: "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW",
		Origin: payout.OriginManual, RequestedBy: "alice"}, "alice", nil)
	require.NoError(t, err)
	temporal := &signalRecorder{}
	svc, err := usecase.New(ctx, usecase.Deps{Store: st, Temporal: temporal, TaskQueue: "payouts-hook-types"})
	require.NoError(t, err)
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{Service: svc, Store: st, HeleketAPIKey: hookKey,
		Logger: slog.New(slog.DiscardHandler)}))
	defer srv.Close()
	hc := checkedHTTP(t)

	const uuid = "22222222-0000-4000-8000-000000000000"
	rest := `"uuid":"` + uuid + `","order_id":"` + p.ID + `","amount":"5.00000000","is_final":true,"status":"paid"}`
	hooks := map[string]string{
		"payment": `{"type":"payment","uuid":"` + uuid + `","order_id":"` + p.ID + `","amount":"5.00000000","payment_amount":"5.00000000","merchant_amount":"4.90000000","commission":"0.10000000","is_final":true,"status":"paid","txid":"aa11","network":"tron","currency":"USDT","payer_currency":"USDT","additional_data":null}`,
		"wallet":  `{"type":"wallet",` + rest,
		"refund":  `{"type":"REFUND",` + rest,
		"no type": `{` + rest,
		"empty":   `{"type":"",` + rest,
		// Authentic, and not decodable as a payout webhook: still not ours.
		"payment unreadable as a payout": `{"type":"payment","uuid":"` + uuid + `","order_id":"` + p.ID + `","amount":{"usd":"5"},"is_final":true,"status":"paid"}`,
	}
	before := webhookOutcome(t, "ignored_type")
	for name, payload := range hooks {
		got := postHook(t, hc, srv.URL, signedHook(payload), nil)
		assert.Equal(t, http.StatusOK, got.Code, "%s: %s", name, got.Error)
		assert.Equal(t, "ignored", got.Status, name)
	}
	assert.Equal(t, float64(len(hooks)), webhookOutcome(t, "ignored_type")-before, "each counted as ignored_type")
	assert.Empty(t, temporal.sent(), "no webhook of another type reached the workflow")

	rows, err := st.Pool().Query(ctx, `
		SELECT coalesce(payout_id, ''), processed_at IS NOT NULL, coalesce(error, '') FROM webhook_inbox WHERE order_id = $1`, p.ID)
	require.NoError(t, err)
	stored := 0
	for rows.Next() {
		var linked, note string
		var processed bool
		require.NoError(t, rows.Scan(&linked, &processed, &note))
		stored++
		assert.Empty(t, linked, "the inbox does not link it to the payout")
		assert.True(t, processed, "marked processed")
		assert.Contains(t, note, "not a payout webhook")
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, len(hooks), stored, "every one is kept as evidence")
	after, err := st.GetPayout(ctx, p.ID)
	require.NoError(t, err)
	assert.Equal(t, payout.StatusRequested, after.Status)

	// The type compares case-insensitively: this one is a payout's.
	got := postHook(t, hc, srv.URL, signedHook(`{"type":"Payout",`+rest), nil)
	assert.Equal(t, http.StatusOK, got.Code, got.Error)
	assert.Equal(t, "ok", got.Status)
	assert.Equal(t, []string{payout.WorkflowID(p.ID) + " " + workflows.SignalHeleketUpdate}, temporal.sent())
}
