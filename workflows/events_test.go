package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/workflows"
)

func streamEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(workflows.EventStream, workflow.RegisterOptions{Name: workflows.EventStreamWorkflowName})
	env.RegisterActivityWithOptions((&activities.Events{}).DeliverNextEvent, activity.RegisterOptions{Name: "DeliverNextEvent"})
	env.RegisterActivityWithOptions((&activities.Events{}).DeliverPendingEvents, activity.RegisterOptions{Name: "DeliverPendingEvents"})
	return env
}

var stream = workflows.EventStreamInput{Stream: store.StreamKey{EndpointID: "ep_1", OrderingKey: "po1"},
	RetryInitial: time.Second, RetryMax: time.Minute}

// The stream posts its pending events, retrying a failing call before it
// goes on, and ends when nothing is left.
func TestEventStreamDeliversInTurnAndEnds(t *testing.T) {
	env := streamEnv(t)
	var calls []string
	answers := []any{
		errors.New("deliver event evt_1: answered HTTP 503"),
		errors.New("deliver event evt_1: no answer in time"),
		activities.Delivered{Count: 2, None: true},
	}
	env.OnActivity("DeliverPendingEvents", mock.Anything, stream.Stream).Return(
		func(context.Context, store.StreamKey) (activities.Delivered, error) {
			a := answers[0]
			answers = answers[1:]
			if err, ok := a.(error); ok {
				calls = append(calls, "error")
				return activities.Delivered{}, err
			}
			calls = append(calls, "delivered")
			return a.(activities.Delivered), nil
		})
	env.ExecuteWorkflow(workflows.EventStreamWorkflowName, stream)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, []string{"error", "error", "delivered"}, calls, "one call for the burst, which found the end too")
}

// A signal that came while the stream posted makes it look again before
// it ends: a hand-over is never missed.
func TestEventStreamLooksAgainAfterASignal(t *testing.T) {
	env := streamEnv(t)
	n := 0
	env.OnActivity("DeliverPendingEvents", mock.Anything, stream.Stream).Return(
		func(context.Context, store.StreamKey) (activities.Delivered, error) {
			n++
			if n == 1 {
				env.SignalWorkflow(workflows.EventsSignal, nil)
			}
			return activities.Delivered{Count: 1, None: true}, nil
		})
	env.ExecuteWorkflow(workflows.EventStreamWorkflowName, stream)
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, 2, n, "one look for the start, one for the signal")
}

// A call that ran out of time before the end is followed by another.
func TestEventStreamCallsAgainUntilTheEnd(t *testing.T) {
	env := streamEnv(t)
	n := 0
	env.OnActivity("DeliverPendingEvents", mock.Anything, stream.Stream).Return(
		func(context.Context, store.StreamKey) (activities.Delivered, error) {
			n++
			return activities.Delivered{Count: 100, None: n == 3}, nil
		})
	env.ExecuteWorkflow(workflows.EventStreamWorkflowName, stream)
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, 3, n)
}

// Past its bound of calls a run continues as new with the same stream.
func TestEventStreamContinuesAsNewPastItsBound(t *testing.T) {
	env := streamEnv(t)
	in := stream
	in.MaxPerRun = 2
	env.OnActivity("DeliverPendingEvents", mock.Anything, stream.Stream).Return(activities.Delivered{Count: 5}, nil)
	env.ExecuteWorkflow(workflows.EventStreamWorkflowName, in)
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, env.GetWorkflowError(), &can)
	assert.Equal(t, workflows.EventStreamWorkflowName, can.WorkflowType.Name)
}
