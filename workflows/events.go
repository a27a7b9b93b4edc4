package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/store"
)

// EventStreamWorkflowName is the registered name of EventStream.
const EventStreamWorkflowName = "EventStream"

// EventsSignal wakes a stream: its outbox has something new. It carries
// nothing; the stream reads what is pending from the database.
const EventsSignal = "events"

// eventStreamBound is the delivery calls (deliveries, for runs from before
// versionEventStreamDrains) of one run before it continues as new.
const eventStreamBound = 500

// EventStreamInput names the stream and how its failures are retried.
type EventStreamInput struct {
	Stream store.StreamKey
	// RetryInitial and RetryMax bound the backoff between attempts of a
	// failing delivery (doubling from the first to the second).
	RetryInitial time.Duration
	RetryMax     time.Duration
	// MaxPerRun is the delivery calls a run makes before it continues as
	// new (eventStreamBound when zero); before versionEventStreamDrains,
	// the deliveries.
	MaxPerRun int
}

var eventActs *activities.Events

// EventStream delivers one endpoint's events of one ordering key (a
// payout, a campaign) one after another, oldest first: the next waits
// while the current one is retried, so the receiver sees them in the
// order they happened. It ends when nothing is pending and no signal is
// left; the dispatcher's next signal starts it again. A signal that
// arrives while it completes fails the completion and is seen here.
func EventStream(ctx workflow.Context, in EventStreamInput) error {
	wake := workflow.GetSignalChannel(ctx, EventsSignal)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// The HTTP client's timeout is shorter; this only catches a
		// worker that died mid-post.
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: orDefault(in.RetryInitial, 10*time.Second),
			BackoffCoefficient: 2, MaximumInterval: orDefault(in.RetryMax, time.Hour)},
	})
	if workflow.GetVersion(ctx, versionEventStreamDrains, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return deliverOneByOne(ctx, wake, in)
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// DeliverPendingEvents stops starting posts after 30 s; a post
		// may take EVENT_DELIVERY_TIMEOUT (at most 2 min) more. It
		// heartbeats every 5 s meanwhile, so a call on a worker that
		// died is retried within 20 s. (Timeouts are not part of what a
		// replay compares: changing them needs no version.)
		StartToCloseTimeout: 5 * time.Minute, HeartbeatTimeout: 20 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: orDefault(in.RetryInitial, 10*time.Second),
			BackoffCoefficient: 2, MaximumInterval: orDefault(in.RetryMax, time.Hour)},
	})
	// The history grows by the call, whatever it delivered: the bound
	// counts calls.
	for calls := 1; ; calls++ {
		var got activities.Delivered
		if err := workflow.ExecuteActivity(ctx, eventActs.DeliverPendingEvents, in.Stream).Get(ctx, &got); err != nil {
			return err
		}
		if got.None && !drain(wake) {
			return nil
		}
		if calls >= orBound(in.MaxPerRun) || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			drain(wake)
			return workflow.NewContinueAsNewError(ctx, EventStream, in)
		}
	}
}

// deliverOneByOne is the loop of streams started before
// versionEventStreamDrains: an activity per event, and one more to find
// that nothing is left.
func deliverOneByOne(ctx workflow.Context, wake workflow.ReceiveChannel, in EventStreamInput) error {
	for delivered := 0; ; {
		var got activities.Delivered
		if err := workflow.ExecuteActivity(ctx, eventActs.DeliverNextEvent, in.Stream).Get(ctx, &got); err != nil {
			return err
		}
		if got.None {
			if !drain(wake) {
				return nil
			}
			continue
		}
		delivered++
		if delivered >= orBound(in.MaxPerRun) || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			drain(wake)
			return workflow.NewContinueAsNewError(ctx, EventStream, in)
		}
	}
}

// drain takes every signal already received and says whether there was one.
func drain(ch workflow.ReceiveChannel) bool {
	any := false
	for ch.ReceiveAsync(nil) {
		any = true
	}
	return any
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func orBound(n int) int {
	if n > 0 {
		return n
	}
	return eventStreamBound
}
