package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/heleket-payouts/payouts/workflows"
)

// watching is a stand-in workflow that only watches for the signal.
func watching(ctx workflow.Context) error {
	workflows.WatchAttention(ctx)
	return workflow.Sleep(ctx, time.Hour)
}

func TestAttentionSignalSetsTheSearchAttributeOnce(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(watching)
	flagged := mock.MatchedBy(func(sa temporal.SearchAttributes) bool {
		v, ok := sa.GetBool(workflows.AttrNeedsAttention)
		return ok && v
	})
	env.OnUpsertTypedSearchAttributes(flagged).Return(nil).Once()
	for _, after := range []time.Duration{time.Minute, 2 * time.Minute} {
		env.RegisterDelayedCallback(func() {
			env.SignalWorkflow(workflows.SignalNeedsAttention, workflows.Attention{Reason: "stuck: processing for 2h"})
		}, after)
	}
	env.ExecuteWorkflow(watching)
	assert.NoError(t, env.GetWorkflowError())
	env.AssertExpectations(t) // once: a second flag changes nothing
}
