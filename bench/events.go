package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/outbound/dispatch"
	"github.com/heleket-payouts/payouts/payoutworker"
)

// The receivers of Options.Events: none subscribed, one that takes every
// event at once, one that never answers (each post waits for the
// delivery timeout).
const (
	EventsOff  = ""
	EventsOK   = "ok"
	EventsHang = "hang"
)

// eventsTimeout is the delivery timeout of a hanging receiver's posts.
const eventsTimeout = 2 * time.Second

// receiver is a merchant's endpoint of outbound events for the run.
type receiver struct {
	srv      *http.Server
	url      string
	received atomic.Int64
	release  chan struct{}
}

func startReceiver(mode string) (*receiver, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{url: "http://" + l.Addr().String() + "/events", release: make(chan struct{})}
	r.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if mode == EventsHang {
			select {
			case <-r.release:
			case <-req.Context().Done():
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		r.received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = r.srv.Serve(l) }() // Serve ends with ErrServerClosed at close
	return r, nil
}

func (r *receiver) close() error {
	close(r.release)
	return r.srv.Close()
}

// startEvents runs the outbound events' worker and dispatcher as the
// worker process does, and subscribes the receiver to every event.
func (e *env) startEvents(ctx context.Context, o Options) error {
	if o.Events == EventsOff {
		return nil
	}
	if o.Events != EventsOK && o.Events != EventsHang {
		return fmt.Errorf("bench: unknown events receiver %q: want %s or %s", o.Events, EventsOK, EventsHang)
	}
	r, err := startReceiver(o.Events)
	if err != nil {
		return err
	}
	e.receiver = r
	secret := "whsec_bench-0000000000000000000000000000000000"
	if _, err := e.store.CreateEventEndpoint(ctx, r.url, []string{"*"}, secret, benchAdminName); err != nil {
		return err
	}
	ev := payoutworker.NewEvents(e.client, productQueue,
		&activities.Events{Store: e.store, HTTP: activities.NewEventClient(eventsTimeout)},
		dispatch.Dispatcher{Store: e.store, RetryInitial: time.Second, RetryMax: 10 * time.Second, Logger: quiet()}, 20)
	if err := ev.Start(); err != nil {
		return err
	}
	e.workers = append(e.workers, ev)
	return nil
}
