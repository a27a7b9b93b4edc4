// Package payoutworker wires the payout workflows and activities into a Temporal
// worker.
package payoutworker

import (
	"context"
	"fmt"
	"sync"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/outbound/dispatch"
	"github.com/heleket-payouts/payouts/workflows"
)

// New returns a worker with everything registered; the caller starts it.
func New(c client.Client, taskQueue string, acts *activities.Activities, opts worker.Options) worker.Worker {
	w := worker.New(c, taskQueue, opts)
	Register(w, acts)
	return w
}

// Register adds the workflows and activities to any registry (a worker, a
// test environment or a replayer).
func Register(r worker.Registry, acts *activities.Activities) {
	RegisterWorkflows(r)
	r.RegisterActivity(acts)
}

// RegisterWorkflows adds the workflows alone, e.g. to a replayer.
func RegisterWorkflows(r worker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(workflows.Payout, workflow.RegisterOptions{Name: workflows.PayoutWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.ScheduledPayout, workflow.RegisterOptions{Name: workflows.ScheduledPayoutWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.Batch, workflow.RegisterOptions{Name: workflows.BatchWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.EventStream, workflow.RegisterOptions{Name: workflows.EventStreamWorkflowName})
}

// Events is the worker of the outbound events' task queue with the
// dispatcher that feeds it: receivers hold this queue's slots (at most
// concurrency deliveries at once), never the payouts'.
type Events struct {
	worker.Worker
	dispatch *dispatch.Dispatcher
	stop     context.CancelFunc
	done     chan struct{}
	stopOnce sync.Once
}

// NewEvents builds the events worker and dispatcher on the events queue
// of payoutQueue; the caller starts it.
func NewEvents(c client.Client, payoutQueue string, acts *activities.Events, d dispatch.Dispatcher, concurrency int) *Events {
	queue := dispatch.EventTaskQueue(payoutQueue)
	w := worker.New(c, queue, worker.Options{MaxConcurrentActivityExecutionSize: concurrency})
	w.RegisterWorkflowWithOptions(workflows.EventStream, workflow.RegisterOptions{Name: workflows.EventStreamWorkflowName})
	w.RegisterActivity(acts)
	d.Temporal, d.TaskQueue = c, queue
	return &Events{Worker: w, dispatch: &d}
}

// Start starts the worker, then the dispatcher.
func (e *Events) Start() error {
	if err := e.Worker.Start(); err != nil {
		return fmt.Errorf("start the events worker: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.stop, e.done = cancel, make(chan struct{})
	go func() { defer close(e.done); e.dispatch.Run(ctx) }()
	return nil
}

// Stop stops the dispatcher (waiting for its hand-over in flight), then
// the worker; once, however often it is called.
func (e *Events) Stop() {
	e.stopOnce.Do(func() {
		if e.stop != nil {
			e.stop()
			<-e.done
		}
		e.Worker.Stop()
	})
}
