package alert_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/alert"
)

func TestPostSendsSlackTextAndStructuredFields(t *testing.T) {
	var got map[string]any
	var contentType string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		contentType = r.Header.Get("Content-Type")
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &got)
	}))
	defer srv.Close()
	p, err := alert.New(srv.URL+"/hooks/T000/secret", time.Second)
	require.NoError(t, err)
	require.True(t, p.Enabled())

	err = p.Post(context.Background(), alert.Message{Text: "payout po1 is stuck", Kind: "stuck", OrderID: "po1",
		PayoutID: "po1", RunID: "r1", Ours: map[string]any{"status": "processing"}})
	require.NoError(t, err)
	assert.Equal(t, "application/json", contentType)
	assert.Equal(t, "payout po1 is stuck", got["text"])
	assert.Equal(t, "stuck", got["kind"])
	assert.Equal(t, "po1", got["order_id"])
	assert.Equal(t, map[string]any{"status": "processing"}, got["ours"])
}

func TestPostFailsOnNon2xxWithoutLeakingTheURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	}))
	defer srv.Close()
	p, err := alert.New(srv.URL+"/hooks/secret-token", time.Second)
	require.NoError(t, err)
	err = p.Post(context.Background(), alert.Message{Kind: "orphan", OrderID: "x"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "403")
	assert.NotContains(t, err.Error(), "secret-token")

	srv.Close()
	err = p.Post(context.Background(), alert.Message{Kind: "orphan", OrderID: "x"})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret-token")
}

func TestPostTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	p, err := alert.New(srv.URL, 50*time.Millisecond)
	require.NoError(t, err)
	assert.Error(t, p.Post(context.Background(), alert.Message{Kind: "stuck", OrderID: "x"}))
}

func TestDisabledPosterDropsMessages(t *testing.T) {
	p, err := alert.New("", 0)
	require.NoError(t, err)
	assert.False(t, p.Enabled())
	assert.NoError(t, p.Post(context.Background(), alert.Message{Text: "dropped"}))
}

func TestNewRefusesBadURLsWithoutEchoingThem(t *testing.T) {
	for _, u := range []string{"ftp://x/secret", "hooks.slack.com/secret", "http://", "::secret"} {
		_, err := alert.New(u, 0)
		require.Error(t, err, u)
		assert.NotContains(t, err.Error(), "secret")
	}
}
