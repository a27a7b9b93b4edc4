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
	return env
}

var stream = workflows.EventStreamInput{Stream: store.StreamKey{EndpointID: "ep_1", OrderingKey: "po1"},
	RetryInitial: time.Second, RetryMax: time.Minute}

// The stream delivers until nothing is pending, retrying a failing
// delivery before it moves on, and ends.
func TestEventStreamDeliversInTurnAndEnds(t *testing.T) {
	env := streamEnv(t)
	var calls []string
	answers := []any{
		activities.Delivered{EventID: "evt_1", Outcome: "delivered"},
		errors.New("deliver event evt_2: answered HTTP 503"),
		errors.New("deliver event evt_2: no answer in time"),
		activities.Delivered{EventID: "evt_2", Outcome: "delivered"},
		activities.Delivered{None: true},
	}
	env.OnActivity("DeliverNextEvent", mock.Anything, stream.Stream).Return(
		func(context.Context, store.StreamKey) (activities.Delivered, error) {
			a := answers[0]
			answers = answers[1:]
			if err, ok := a.(error); ok {
				calls = append(calls, "error")
				return activities.Delivered{}, err
			}
			d := a.(activities.Delivered)
			calls = append(calls, d.EventID+"/"+d.Outcome)
			return d, nil
		})
	env.ExecuteWorkflow(workflows.EventStreamWorkflowName, stream)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, []string{"evt_1/delivered", "error", "error", "evt_2/delivered", "/"}, calls)
}

// A signal that came while the stream found nothing makes it look again
// before it ends: a hand-over is never missed.
func TestEventStreamLooksAgainAfterASignal(t *testing.T) {
	env := streamEnv(t)
	n := 0
	env.OnActivity("DeliverNextEvent", mock.Anything, stream.Stream).Return(
		func(context.Context, store.StreamKey) (activities.Delivered, error) {
			n++
			if n == 1 {
				env.SignalWorkflow(workflows.EventsSignal, nil)
			}
			return activities.Delivered{None: true}, nil
		})
	env.ExecuteWorkflow(workflows.EventStreamWorkflowName, stream)
	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, 2, n, "one look for the start, one for the signal")
}

// Past its bound a run continues as new with the same stream.
func TestEventStreamContinuesAsNewPastItsBound(t *testing.T) {
	env := streamEnv(t)
	in := stream
	in.MaxPerRun = 2
	env.OnActivity("DeliverNextEvent", mock.Anything, stream.Stream).Return(activities.Delivered{EventID: "evt", Outcome: "delivered"}, nil)
	env.ExecuteWorkflow(workflows.EventStreamWorkflowName, in)
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, env.GetWorkflowError(), &can)
	assert.Equal(t, workflows.EventStreamWorkflowName, can.WorkflowType.Name)
}
