package activities

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/activity"

	"github.com/heleket-payouts/payouts/metrics"
	"github.com/heleket-payouts/payouts/outbound"
	"github.com/heleket-payouts/payouts/store"
)

// DefaultEventWindow is how long a delivery is retried before it is
// given up: long enough for a receiver's weekend outage.
const DefaultEventWindow = 72 * time.Hour

// Events delivers outbound events. It runs on the events task queue, so
// a slow or dead receiver holds that queue's slots, never the payouts'.
type Events struct {
	Store *store.Store
	// HTTP posts the events; its Timeout bounds a receiver's answer.
	HTTP *http.Client
	// Window: a delivery still failing this long after its event is
	// given up (DefaultEventWindow when zero).
	Window time.Duration
	Now    func() time.Time
}

// NewEventClient is the HTTP client deliveries use: bounded, and not
// following redirects (a receiver moved is a configuration to fix, and a
// redirect must not carry a signed event elsewhere).
func NewEventClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// Delivered is what one DeliverNextEvent did: nothing (None: the stream
// has nothing pending), or the event it delivered or gave up. For
// DeliverPendingEvents, Count is how many it delivered or gave up, and
// None that nothing is left (else its time ran out first).
type Delivered struct {
	None    bool   `json:"none,omitempty"`
	EventID string `json:"event_id,omitempty"`
	Outcome string `json:"outcome,omitempty"`
	Count   int    `json:"count,omitempty"`
}

// pendingBudget is how long one DeliverPendingEvents keeps posting before
// it hands back to its workflow; a post started before it ends may take
// the delivery timeout more (config bounds EVENT_DELIVERY_TIMEOUT).
const pendingBudget = 30 * time.Second

// DeliverPendingEvents posts the stream's pending events one after
// another, oldest first, until none is left or pendingBudget is spent: one
// activity for a burst of events instead of one each, and the look that
// finds nothing is the same call. A refusal is an error, retried by
// Temporal with backoff, with what was delivered before it recorded.
func (a *Events) DeliverPendingEvents(ctx context.Context, k store.StreamKey) (Delivered, error) {
	stop := heartbeat(ctx, eventHeartbeatEvery)
	defer stop()
	start := time.Now()
	var out Delivered
	for time.Since(start) < pendingBudget {
		got, err := a.DeliverNextEvent(ctx, k)
		if err != nil {
			return out, err
		}
		if got.None {
			out.None = true
			return out, nil
		}
		out.Count++
	}
	return out, nil
}

// eventHeartbeatEvery keeps a delivery call alive while a post waits for
// a slow receiver; a worker that dies stops it, and its call is retried
// elsewhere after the heartbeat timeout (workflows.EventStream), not
// after the call's whole five minutes.
const eventHeartbeatEvery = 5 * time.Second

// heartbeat records a heartbeat every interval until stop is called.
func heartbeat(ctx context.Context, every time.Duration) (stop func()) {
	beat, stop := context.WithCancel(ctx)
	go repeat(beat, every, func(context.Context) { activity.RecordHeartbeat(ctx) })
	return stop
}

// DeliverNextEvent posts the stream's oldest pending event. A refusal or
// no answer is an error, so Temporal retries it with backoff and the
// stream's later events wait: each receiver sees a payout's events in
// order.
func (a *Events) DeliverNextEvent(ctx context.Context, k store.StreamKey) (Delivered, error) {
	job, found, err := a.Store.NextDelivery(ctx, k)
	if err != nil || !found {
		return Delivered{None: !found}, err
	}
	now := a.now()
	if now.Sub(job.Event.CreatedAt) > a.window() {
		if err := a.record(ctx, job, store.Attempt{Outcome: store.OutcomeGaveUp,
			Error: fmt.Sprintf("still undelivered %s after the event", a.window())}); err != nil {
			return Delivered{}, err
		}
		return Delivered{EventID: job.Event.ID, Outcome: store.OutcomeGaveUp}, nil
	}
	body, err := outbound.Render(ctx, a.Store, job.Event)
	if err != nil {
		return Delivered{}, err
	}
	raw, err := body.Encode()
	if err != nil {
		return Delivered{}, err
	}
	attempt := a.post(ctx, job, raw, now)
	if err := a.record(ctx, job, attempt); err != nil {
		return Delivered{}, err
	}
	if attempt.Outcome != store.OutcomeDelivered {
		return Delivered{}, fmt.Errorf("deliver event %s to endpoint %s: %s", job.Event.ID, k.EndpointID, attempt.Error)
	}
	return Delivered{EventID: job.Event.ID, Outcome: attempt.Outcome}, nil
}

func (a *Events) post(ctx context.Context, job store.DeliveryJob, body []byte, now time.Time) store.Attempt {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, job.URL, bytes.NewReader(body))
	if err != nil {
		return store.Attempt{Outcome: store.OutcomeUnreachable, Error: "bad endpoint URL"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "heleket-payouts-events/1")
	req.Header.Set(outbound.HeaderEventID, job.Event.ID)
	req.Header.Set(outbound.HeaderSignature, outbound.Sign(job.Secret, now, body))
	start := time.Now()
	resp, err := a.HTTP.Do(req)
	took := time.Since(start)
	if err != nil {
		return store.Attempt{Duration: took, Outcome: store.OutcomeUnreachable, Error: reason(err)}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200)) // a hint for the operator only
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return store.Attempt{Duration: took, StatusCode: resp.StatusCode, Outcome: store.OutcomeDelivered}
	}
	msg := fmt.Sprintf("answered HTTP %d", resp.StatusCode)
	if utf8.Valid(snippet) && len(snippet) > 0 {
		msg += ": " + string(snippet)
	}
	return store.Attempt{Duration: took, StatusCode: resp.StatusCode, Outcome: store.OutcomeRefused, Error: msg}
}

// reason names a transport failure without the URL, which may carry a
// receiver's token.
func reason(err error) string {
	var ue interface{ Timeout() bool }
	if errors.As(err, &ue) && ue.Timeout() {
		return "no answer in time"
	}
	var uerr interface{ Unwrap() error }
	if errors.As(err, &uerr) && uerr.Unwrap() != nil {
		return "not reachable: " + uerr.Unwrap().Error()
	}
	return "not reachable"
}

func (a *Events) record(ctx context.Context, job store.DeliveryJob, at store.Attempt) error {
	metrics.EventDelivery(at.Outcome, at.Duration)
	return a.Store.RecordAttempt(ctx, job.DeliveryID, at)
}

func (a *Events) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Events) window() time.Duration {
	if a.Window > 0 {
		return a.Window
	}
	return DefaultEventWindow
}
