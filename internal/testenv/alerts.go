package testenv

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/alert"
)

// Alerts is an alert webhook receiver (ALERT_WEBHOOK_URL) for tests.
type Alerts struct {
	mu   sync.Mutex
	down bool // answer 503 and keep nothing
	raw  []string
	msgs []alert.Message
	srv  *httptest.Server
}

// NewAlerts starts a receiver, closed when the test ends.
func NewAlerts(t testing.TB) *Alerts {
	a := &Alerts{}
	a.srv = httptest.NewServer(http.HandlerFunc(a.receive))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *Alerts) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var m alert.Message
	if err != nil || json.Unmarshal(body, &m) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.down {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	a.raw, a.msgs = append(a.raw, string(body)), append(a.msgs, m)
}

// URL is what ALERT_WEBHOOK_URL is set to.
func (a *Alerts) URL() string { return a.srv.URL }

// SetDown makes the receiver refuse (503) until set up again.
func (a *Alerts) SetDown(down bool) {
	a.mu.Lock()
	a.down = down
	a.mu.Unlock()
}

// Received returns the alerts taken so far, decoded and as sent.
func (a *Alerts) Received() ([]alert.Message, []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]alert.Message(nil), a.msgs...), append([]string(nil), a.raw...)
}

// OfKind returns the alerts of one kind.
func (a *Alerts) OfKind(kind string) []alert.Message {
	msgs, _ := a.Received()
	var out []alert.Message
	for _, m := range msgs {
		if m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

// Await waits until the receiver has taken n alerts of kind (the outbox's
// dispatcher posts them a moment after they are raised) and returns them;
// more than n fails, as does none in 30 seconds.
func (a *Alerts) Await(t testing.TB, kind string, n int) []alert.Message {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(a.OfKind(kind)) < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	got := a.OfKind(kind)
	require.Len(t, got, n, "alerts of kind %s", kind)
	return got
}

// JSON encodes v for assertions on what a document holds.
func JSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
