package security

import (
	"context"
	"net/http"
	"net/netip"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/internal/testenv"
)

// heleketIP is the source address Heleket documents for its webhooks.
const heleketIP = "31.133.220.8"

// postWebhook delivers body as if from the addresses in forwardedFor (""
// sends no X-Forwarded-For) and returns the status, Retry-After and the
// answer's error or status.
func postWebhook(t *testing.T, e *testenv.Env, body, forwardedFor string) (int, string, errorBody) {
	t.Helper()
	h := map[string]string{"Content-Type": "application/json"}
	if forwardedFor != "" {
		h["X-Forwarded-For"] = forwardedFor
	}
	status, header, answer, _ := send(t, e.HTTP, request(t, "POST", e.API.URL+"/payouts/webhook", []byte(body), h))
	return status, header.Get("Retry-After"), answer
}

func inboxRows(t *testing.T, e *testenv.Env) int {
	t.Helper()
	var n int
	require.NoError(t, e.Store.Pool().QueryRow(context.Background(), `SELECT count(*) FROM webhook_inbox`).Scan(&n))
	return n
}

// The test's requests come from 127.0.0.1, which plays the reverse proxy
// in front of the API; X-Forwarded-For carries the sender's address.
func TestWebhookAllowListAndRateLimitBehindATrustedProxy(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true, WebhookGuard: httpapi.WebhookGuard{
		AllowedSources: []netip.Prefix{netip.MustParsePrefix(heleketIP + "/32")},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		// Three in hand, then one every 1000 s: the fourth is refused
		// however slowly the machine runs.
		Rate: 0.001, Burst: 3,
	}})
	hook := func(n int) string {
		return signedWebhook("22222222-0000-4000-8000-00000000000"+strconv.Itoa(n), "no-such-order-"+strconv.Itoa(n), "paid", true)
	}

	// Other sources are refused before the body is read, and use no tokens.
	for _, xff := range []string{"", "6.6.6.6", heleketIP + ", 6.6.6.6", "not-an-address, 127.0.0.1"} {
		status, _, answer := postWebhook(t, e, hook(0), xff)
		assert.Equal(t, http.StatusForbidden, status, "X-Forwarded-For %q", xff)
		assert.NotEmpty(t, answer.Error)
	}
	assert.Zero(t, inboxRows(t, e), "nothing stored from refused sources")

	// Valid webhooks under the limit pass and are stored.
	for n := 1; n <= 3; n++ {
		status, _, answer := postWebhook(t, e, hook(n), heleketIP)
		require.Equal(t, http.StatusOK, status, "webhook %d within the burst", n)
		assert.Equal(t, "unknown order_id", answer.Status)
	}
	require.Equal(t, 3, inboxRows(t, e))

	// Over the limit: 429 with Retry-After, nothing read or stored, also
	// when the same sender comes through a chain of trusted proxies.
	for _, xff := range []string{heleketIP, heleketIP + ", 127.0.0.1"} {
		status, retryAfter, answer := postWebhook(t, e, hook(4), xff)
		assert.Equal(t, http.StatusTooManyRequests, status, "X-Forwarded-For %q", xff)
		assert.NotEmpty(t, answer.Error)
		secs, err := strconv.Atoi(retryAfter)
		require.NoError(t, err, "Retry-After %q", retryAfter)
		assert.Positive(t, secs)
	}
	assert.Equal(t, 3, inboxRows(t, e), "nothing stored over the limit")
}

func TestWebhookAllowListIgnoresForwardedForWithoutTrustedProxies(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true, WebhookGuard: httpapi.WebhookGuard{
		AllowedSources: []netip.Prefix{netip.MustParsePrefix(heleketIP + "/32")},
	}})
	hook := signedWebhook("33333333-0000-4000-8000-000000000001", "no-such-order", "paid", true)
	status, _, _ := postWebhook(t, e, hook, heleketIP)
	assert.Equal(t, http.StatusForbidden, status, "anyone can write X-Forwarded-For")
	assert.Zero(t, inboxRows(t, e))
}

func TestWebhookAllowListStillNeedsTheSignature(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true, WebhookGuard: httpapi.WebhookGuard{
		AllowedSources: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
	}})
	hook := signedWebhook("44444444-0000-4000-8000-000000000001", "no-such-order", "paid", true)
	flip := map[byte]string{'0': "1"}[hook[len(hook)-3]]
	if flip == "" {
		flip = "0"
	}
	forged := hook[:len(hook)-3] + flip + `"}` // the sign's last hex digit changed
	status, _, _ := postWebhook(t, e, forged, "")
	assert.Equal(t, http.StatusUnauthorized, status, "an allowed source is not an authenticated one")
	status, _, _ = postWebhook(t, e, hook, "")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, 1, inboxRows(t, e))
}
