package testenv

import (
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/outbound"
)

// EventReceiver is a merchant's endpoint of outbound events over real
// HTTP. It verifies every delivery's signature with the secret it is
// given, and records what it accepted in arrival order. It can be down
// (503) or hang until released, to try the sender's retries.
type EventReceiver struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	secret   string
	down     bool
	hang     chan struct{}
	accepted []ReceivedEvent
	refused  int
	badSigs  []string
	// flaky refuses this share of deliveries, drawn from rnd.
	flaky float64
	rnd   *rand.Rand
}

// ReceivedEvent is one delivery the receiver accepted.
type ReceivedEvent struct {
	ID        string
	Type      string
	PayoutID  string
	Status    string
	HeaderID  string
	CreatedAt time.Time
	Data      map[string]any
}

// NewEventReceiver starts a receiver, stopped at test cleanup.
func NewEventReceiver(t testing.TB) *EventReceiver {
	r := &EventReceiver{t: t}
	r.srv = httptest.NewServer(http.HandlerFunc(r.receive))
	t.Cleanup(func() { r.Release(); r.srv.Close() })
	return r
}

// URL is the endpoint's address.
func (r *EventReceiver) URL() string { return r.srv.URL + "/hooks/payouts" }

// SetSecret gives the receiver the endpoint's secret (the creation's answer).
func (r *EventReceiver) SetSecret(s string) { r.mu.Lock(); r.secret = s; r.mu.Unlock() }

// SetDown makes the receiver answer 503 to everything, or recover.
func (r *EventReceiver) SetDown(down bool) { r.mu.Lock(); r.down = down; r.mu.Unlock() }

// SetFlaky makes the receiver refuse (503) a share of the deliveries at
// random, reproducibly from seed; 0 stops it.
func (r *EventReceiver) SetFlaky(share float64, seed int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flaky, r.rnd = share, rand.New(rand.NewPCG(uint64(seed), 0))
}

// Hang makes every request wait, unanswered, until Release.
func (r *EventReceiver) Hang() { r.mu.Lock(); r.hang = make(chan struct{}); r.mu.Unlock() }

// Release lets hanging requests go (they are then refused: the sender
// gave up on them long before).
func (r *EventReceiver) Release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.hang != nil {
		close(r.hang)
		r.hang = nil
	}
}

func (r *EventReceiver) receive(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	hang, down, secret := r.hang, r.down, r.secret
	if r.flaky > 0 && r.rnd.Float64() < r.flaky {
		down = true
	}
	r.mu.Unlock()
	if hang != nil {
		select {
		case <-hang:
		case <-req.Context().Done():
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if down {
		r.mu.Lock()
		r.refused++
		r.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if err := outbound.Verify(secret, req.Header.Get(outbound.HeaderSignature), body, time.Now(), outbound.DefaultTolerance); err != nil {
		r.mu.Lock()
		r.badSigs = append(r.badSigs, err.Error())
		r.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var ev struct {
		ID        string         `json:"id"`
		Type      string         `json:"type"`
		CreatedAt time.Time      `json:"created_at"`
		Data      map[string]any `json:"data"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	got := ReceivedEvent{ID: ev.ID, Type: ev.Type, HeaderID: req.Header.Get(outbound.HeaderEventID), CreatedAt: ev.CreatedAt, Data: ev.Data}
	got.PayoutID, _ = ev.Data["id"].(string)
	got.Status, _ = ev.Data["status"].(string)
	if ev.Type == "reconciliation.discrepancy" {
		got.PayoutID, _ = ev.Data["payout_id"].(string)
	}
	r.mu.Lock()
	r.accepted = append(r.accepted, got)
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// Accepted is what the receiver took, in arrival order.
func (r *EventReceiver) Accepted() []ReceivedEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ReceivedEvent(nil), r.accepted...)
}

// Refused counts the deliveries answered 503 while down.
func (r *EventReceiver) Refused() int { r.mu.Lock(); defer r.mu.Unlock(); return r.refused }

// BadSignatures are the deliveries whose signature did not verify.
func (r *EventReceiver) BadSignatures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.badSigs...)
}

// OfPayout is the types the receiver took for one payout, in order,
// each once (a redelivery of an id it has is left out, as a receiver
// deduplicating by Payouts-Event-Id would).
func (r *EventReceiver) OfPayout(id string) []string {
	seen := map[string]bool{}
	var out []string
	for _, ev := range r.Accepted() {
		if ev.PayoutID == id && !seen[ev.ID] {
			seen[ev.ID] = true
			out = append(out, ev.Type)
		}
	}
	return out
}

// AwaitPayout waits until the receiver has the payout's events up to one
// of type last, and returns them.
func (r *EventReceiver) AwaitPayout(id, last string) []string {
	r.t.Helper()
	var got []string
	require.EventuallyWithT(r.t, func(c *assert.CollectT) {
		got = r.OfPayout(id)
		assert.Contains(c, got, last)
	}, 60*time.Second, 50*time.Millisecond, "events of payout %s: have %v, want one of type %s", id, r.OfPayout(id), last)
	return got
}

// Unique is how many distinct events the receiver took, and Duplicates
// how many deliveries repeated one it had (at least once: a sender killed
// between the POST and its record sends again).
func (r *EventReceiver) Unique() (unique, duplicates int) {
	seen := map[string]bool{}
	for _, ev := range r.Accepted() {
		if seen[ev.ID] {
			duplicates++
			continue
		}
		seen[ev.ID] = true
		unique++
	}
	return unique, duplicates
}
