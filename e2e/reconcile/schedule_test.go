package reconcile_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/workflows"
)

func TestScheduleIsCreatedOnceAndFollowsTheConfiguration(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true})
	ctx := context.Background()
	r := *e.Reconciliation
	h := e.Temporal.ScheduleClient().GetHandle(ctx, r.ScheduleID)
	t.Cleanup(func() { _ = h.Delete(context.Background()) })

	r.Every = 15 * time.Minute
	require.NoError(t, r.EnsureSchedule(ctx))
	require.NoError(t, r.EnsureSchedule(ctx), "a second worker start changes nothing")
	desc, err := h.Describe(ctx)
	require.NoError(t, err)
	require.Len(t, desc.Schedule.Spec.Intervals, 1)
	assert.Equal(t, 15*time.Minute, desc.Schedule.Spec.Intervals[0].Every)
	assert.Equal(t, enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, desc.Schedule.Policy.Overlap)
	assert.Equal(t, 5*time.Minute, desc.Schedule.Policy.CatchupWindow)
	action, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction)
	require.True(t, ok)
	assert.Equal(t, workflows.ReconcileWorkflowName, action.Workflow)
	assert.Equal(t, e.TaskQueue, action.TaskQueue)

	// An operator's pause survives a restart with a new interval.
	require.NoError(t, h.Pause(ctx, client.SchedulePauseOptions{Note: "maintenance"}))
	r.Every = 5 * time.Minute
	require.NoError(t, r.EnsureSchedule(ctx))
	desc, err = h.Describe(ctx)
	require.NoError(t, err)
	assert.Equal(t, 5*time.Minute, desc.Schedule.Spec.Intervals[0].Every)
	assert.True(t, desc.Schedule.State.Paused)

	r.Every = 0
	assert.Error(t, r.EnsureSchedule(ctx), "a zero interval is refused")
}
