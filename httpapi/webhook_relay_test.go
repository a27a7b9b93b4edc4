package httpapi_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/alert"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/metrics"
)

const relaySecret = "relay-secret-0123456789abcdef"

// genuineHook is a payout webhook exactly as Heleket signs and sends it:
// without X-Heleket-Signature.
var genuineHook = signedHook(`{"type":"payout","uuid":"33333333-0000-4000-8000-000000000000","order_id":"po-relay-0000000000000000000001","amount":"5.00000000","is_final":false,"status":"process","address":"TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"}`)

func relayHeader(body string) map[string]string {
	return map[string]string{"X-Heleket-Signature": heleket.RelaySignature([]byte(body), relaySecret)}
}

func lines(logs *records, prefix string) []string {
	var out []string
	for _, l := range logs.take() {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

func TestStartingWithAWebhookSecretWarnsThatHeleketSendsNoRelayHeader(t *testing.T) {
	logs := &records{}
	httpapi.New(httpapi.Deps{HeleketAPIKey: hookKey, WebhookSecret: relaySecret, Logger: slog.New(logs)})
	warned := lines(logs, "WARN ")
	require.Len(t, warned, 1)
	assert.Contains(t, warned[0], "HELEKET_WEBHOOK_SECRET")
	assert.Contains(t, warned[0], "Heleket itself does not send X-Heleket-Signature")
	assert.Contains(t, warned[0], "relay")
	assert.NotContains(t, warned[0], relaySecret)

	httpapi.New(httpapi.Deps{HeleketAPIKey: hookKey, Logger: slog.New(logs)})
	assert.Empty(t, lines(logs, "WARN "), "nothing to warn about without the secret")
}

// outcomes reads every outcome of payouts_webhooks_received_total.
func outcomes(t *testing.T) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, o := range metrics.WebhookOutcomes {
		out[string(o)] = webhookOutcome(t, string(o))
	}
	return out
}

// chunked hides a body's length, so it arrives without Content-Length and
// is cut off while the handler reads it.
type chunked struct{ io.Reader }

// Not parallel: it reads process-wide counters.
func TestEveryWebhookRefusalIsCountedByItsReason(t *testing.T) {
	logs := &records{}
	deps := httpapi.Deps{HeleketAPIKey: hookKey, WebhookSecret: relaySecret, Logger: slog.New(logs)}
	srv := httptest.NewServer(httpapi.New(deps))
	defer srv.Close()
	fenced := deps
	fenced.WebhookGuard = httpapi.WebhookGuard{AllowedSources: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}}
	fencedSrv := httptest.NewServer(httpapi.New(fenced))
	defer fencedSrv.Close()
	limited := deps
	limited.WebhookGuard = httpapi.WebhookGuard{Rate: 0.0001, Burst: 1} // one token, the next in hours
	limitedSrv := httptest.NewServer(httpapi.New(limited))
	defer limitedSrv.Close()
	forged := strings.Replace(genuineHook, `"sign":"`, `"sign":"0`, 1)
	hc := checkedHTTP(t)

	cases := []struct {
		outcome string
		url     string
		body    string
		header  map[string]string
		status  int
	}{
		{"relay_signature_missing", srv.URL, genuineHook, nil, http.StatusUnauthorized},
		{"relay_signature_bad", srv.URL, genuineHook, map[string]string{"X-Heleket-Signature": strings.Repeat("ab", 32)}, http.StatusUnauthorized},
		{"bad_signature", srv.URL, forged, relayHeader(forged), http.StatusUnauthorized},
		{"malformed", srv.URL, `not json`, relayHeader(`not json`), http.StatusBadRequest},
		{"source_refused", fencedSrv.URL, genuineHook, relayHeader(genuineHook), http.StatusForbidden},
	}
	for _, c := range cases {
		before := outcomes(t)
		got := postHook(t, hc, c.url, c.body, c.header)
		assert.Equal(t, c.status, got.Code, c.outcome)
		assert.NotEmpty(t, got.Error, c.outcome)
		after := outcomes(t)
		for o := range after {
			want := 0.0
			if o == c.outcome {
				want = 1
			}
			assert.Equal(t, want, after[o]-before[o], "%s: outcome %s", c.outcome, o)
		}
	}

	before := outcomes(t)
	first := postHook(t, hc, limitedSrv.URL, forged, relayHeader(forged))
	require.Equal(t, http.StatusUnauthorized, first.Code, "the burst's one token")
	assert.Equal(t, http.StatusTooManyRequests, postHook(t, hc, limitedSrv.URL, forged, relayHeader(forged)).Code)
	assert.Equal(t, 1.0, webhookOutcome(t, "rate_limited")-before["rate_limited"])

	before = outcomes(t)
	big := strings.Repeat(" ", 70<<10) + genuineHook
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/payouts/webhook", chunked{strings.NewReader(big)})
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	assert.Equal(t, 1.0, webhookOutcome(t, "too_large")-before["too_large"])
}

// alertSink is an alert receiver that answers each post with the next
// status of its list (200 when the list is used up).
type alertSink struct {
	mu       sync.Mutex
	statuses []int
	got      []map[string]any
	raw      []string
}

func (a *alertSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.got, a.raw = append(a.got, m), append(a.raw, string(b))
	status := http.StatusOK
	if len(a.statuses) > 0 {
		status, a.statuses = a.statuses[0], a.statuses[1:]
	}
	w.WriteHeader(status)
}

func (a *alertSink) posts() ([]map[string]any, []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]map[string]any(nil), a.got...), append([]string(nil), a.raw...)
}

func TestGenuineWebhooksRefusedForWantOfTheRelayHeaderAreAlerted(t *testing.T) {
	sink := &alertSink{statuses: []int{http.StatusBadGateway}} // the first post fails
	receiver := httptest.NewServer(sink)
	defer receiver.Close()
	poster, err := alert.New(receiver.URL, alert.DefaultTimeout)
	require.NoError(t, err)
	logs := &records{}
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{HeleketAPIKey: hookKey, WebhookSecret: relaySecret,
		Alerter: poster, Logger: slog.New(logs)}))
	defer srv.Close()
	hc := checkedHTTP(t)
	logs.take()

	forged := strings.Replace(genuineHook, `"sign":"`, `"sign":"0`, 1)
	assert.Equal(t, http.StatusUnauthorized, postHook(t, hc, srv.URL, forged, nil).Code)
	posts, _ := sink.posts()
	assert.Empty(t, posts, "a body Heleket did not sign is no sign of misconfiguration")
	assert.Empty(t, lines(logs, "ERROR "))

	for i := range 3 {
		got := postHook(t, hc, srv.URL, genuineHook, nil)
		assert.Equal(t, http.StatusUnauthorized, got.Code, "refusal %d", i+1)
		assert.Contains(t, got.Error, "X-Heleket-Signature")
	}
	errs := lines(logs, "ERROR genuine Heleket webhook refused")
	assert.Len(t, errs, 3, "each genuine webhook refused is an error")
	for _, l := range errs {
		assert.Contains(t, l, "HELEKET_WEBHOOK_SECRET")
		assert.Contains(t, l, "Heleket itself does not send X-Heleket-Signature")
	}
	posts, raw := sink.posts()
	require.Len(t, posts, 2, "the failed post is tried again at the next refusal, then no more within the hour")
	assert.Equal(t, "webhook_relay_signature_missing", posts[1]["kind"])
	assert.Contains(t, posts[1]["text"], "HELEKET_WEBHOOK_SECRET is set")
	assert.Contains(t, posts[1]["text"], "Genuine Heleket webhooks are being refused")
	for _, r := range raw {
		assert.NotContains(t, r, "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW", "no address in an alert")
		assert.NotContains(t, r, relaySecret)
	}
}
