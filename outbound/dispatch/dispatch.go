// Package dispatch hands the outbound events outbox to Temporal.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/heleket-payouts/payouts/metrics"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/workflows"
)

// The outbox (event_deliveries not yet handed over) is filled by triggers
// in the transactions of the changes. The dispatcher is a loop in the
// worker process that hands each stream with something new to its
// EventStream workflow (signal-with-start), and only then lets the rows
// leave the outbox: a dispatcher killed in between signals them again,
// which wakes a stream that has nothing to do, never loses an event.

// Defaults of Dispatcher.
const (
	DefaultEvery = time.Second
	DefaultBatch = 200
)

// Dispatcher hands the outbox to Temporal.
type Dispatcher struct {
	Store    *store.Store
	Temporal client.Client
	// TaskQueue is the events queue (EventTaskQueue of the worker's).
	TaskQueue string
	Every     time.Duration
	Batch     int
	// Retry of failing deliveries, passed to every stream.
	RetryInitial, RetryMax time.Duration
	// MaxPerRun bounds a stream run's deliveries (0: the workflow's bound).
	MaxPerRun int
	Logger    *slog.Logger
}

// EventTaskQueue is where streams and their deliveries run: apart from
// the payouts', so receivers never hold a payout's worker slots.
func EventTaskQueue(payoutQueue string) string { return payoutQueue + "-events" }

// StreamWorkflowID names a stream's workflow. Endpoint ids are random and
// ordering keys are payout or batch ids: no address, no secret.
func StreamWorkflowID(k store.StreamKey) string {
	return "payout-events-" + k.EndpointID + "-" + k.OrderingKey
}

// Run dispatches until ctx ends, at once again while there is a backlog.
func (d *Dispatcher) Run(ctx context.Context) {
	every := d.Every
	if every <= 0 {
		every = DefaultEvery
	}
	for {
		n, err := d.Tick(ctx)
		if err != nil && ctx.Err() == nil {
			d.Logger.ErrorContext(ctx, "hand events to Temporal", "error", err)
		}
		d.gauge(ctx)
		if n == d.batch() && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// Tick hands one batch of the outbox over and says how many deliveries
// left it.
func (d *Dispatcher) Tick(ctx context.Context) (int, error) {
	return d.Store.HandOverDeliveries(ctx, d.batch(), func(keys []store.StreamKey) error {
		for _, k := range keys {
			if err := d.signal(ctx, k); err != nil {
				return err
			}
		}
		return nil
	})
}

func (d *Dispatcher) signal(ctx context.Context, k store.StreamKey) error {
	in := workflows.EventStreamInput{Stream: k, RetryInitial: d.RetryInitial, RetryMax: d.RetryMax, MaxPerRun: d.MaxPerRun}
	_, err := d.Temporal.SignalWithStartWorkflow(ctx, StreamWorkflowID(k), workflows.EventsSignal, nil,
		client.StartWorkflowOptions{TaskQueue: d.TaskQueue}, workflows.EventStreamWorkflowName, in)
	if err != nil {
		return fmt.Errorf("signal stream %s: %w", StreamWorkflowID(k), err)
	}
	return nil
}

func (d *Dispatcher) gauge(ctx context.Context) {
	unhanded, pending, err := d.Store.OutboxDepth(ctx)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			d.Logger.WarnContext(ctx, "read the events outbox depth", "error", err)
		}
		return
	}
	metrics.EventOutbox(unhanded, pending)
}

func (d *Dispatcher) batch() int {
	if d.Batch > 0 {
		return d.Batch
	}
	return DefaultBatch
}
