package workflows_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/payoutworker"
	"github.com/heleket-payouts/payouts/reconcile"
	"github.com/heleket-payouts/payouts/workflows"
)

type reconcileSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment
	rec *activities.Reconciler
}

func TestReconcileWorkflow(t *testing.T) { suite.Run(t, new(reconcileSuite)) }

func (s *reconcileSuite) SetupTest() {
	s.env = s.NewTestWorkflowEnvironment()
	s.rec = &activities.Reconciler{}
	payoutworker.RegisterReconciliation(s.env, s.rec)
}

func (s *reconcileSuite) begins(status reconcile.Status) {
	s.env.OnActivity(s.rec.ReconcileBegin, mock.Anything, mock.Anything).Return(
		func(_ context.Context, b reconcile.Begin) (reconcile.Begun, error) {
			return reconcile.Begun{RunID: b.RunID, Status: status, HeldBy: "other"}, nil
		})
}

// batch answers one batch of a phase: it adds add to the totals it was given.
func batchAnswer(cursor string, done bool, add func(*reconcile.Counts)) func(context.Context, reconcile.Batch) (reconcile.BatchResult, error) {
	return func(_ context.Context, b reconcile.Batch) (reconcile.BatchResult, error) {
		c := b.Counts
		add(&c)
		return reconcile.BatchResult{Cursor: cursor, Done: done, Counts: c}, nil
	}
}

func withCursor(cursor string) any {
	return mock.MatchedBy(func(b reconcile.Batch) bool { return b.Cursor == cursor })
}

func (s *reconcileSuite) finishes() *[]reconcile.Finish {
	var got []reconcile.Finish
	s.env.OnActivity(s.rec.ReconcileFinish, mock.Anything, mock.Anything).Return(
		func(_ context.Context, f reconcile.Finish) (reconcile.Counts, error) {
			got = append(got, f)
			f.Counts.Resolved = 1
			return f.Counts, nil
		})
	return &got
}

func (s *reconcileSuite) result() workflows.ReconcileProgress {
	s.Require().True(s.env.IsWorkflowCompleted())
	var p workflows.ReconcileProgress
	s.Require().NoError(s.env.GetWorkflowResult(&p))
	return p
}

func (s *reconcileSuite) TestPhasesRunInOrderAndCarryTheTotals() {
	s.begins(reconcile.StatusRunning)
	s.env.OnActivity(s.rec.ReconcileHeleket, mock.Anything, withCursor("")).Return(
		batchAnswer("page2", false, func(c *reconcile.Counts) { c.HeleketItems += 15; c.Matched += 15 })).Once()
	s.env.OnActivity(s.rec.ReconcileHeleket, mock.Anything, withCursor("page2")).Return(
		batchAnswer("", true, func(c *reconcile.Counts) { c.HeleketItems += 3; c.Orphans++; c.Matched += 2 })).Once()
	s.env.OnActivity(s.rec.ReconcileOpen, mock.Anything, mock.Anything).Return(
		batchAnswer("po9", true, func(c *reconcile.Counts) { c.OpenPayouts += 2; c.Resumed++; c.InFlight++ })).Once()
	s.env.OnActivity(s.rec.ReconcileFailed, mock.Anything, withCursor("")).Return(
		batchAnswer("", true, func(c *reconcile.Counts) { c.FailedPayouts++ })).Once()
	finished := s.finishes()

	s.env.ExecuteWorkflow(workflows.Reconcile, workflows.ReconcileInput{Trigger: "test"})

	p := s.result()
	s.Equal(reconcile.StatusSucceeded, p.Status)
	s.Equal(reconcile.PhaseDone, p.Phase)
	s.Equal(4, p.Batches)
	s.Equal(reconcile.Counts{HeleketItems: 18, Matched: 17, Orphans: 1, OpenPayouts: 2, Resumed: 1, InFlight: 1,
		FailedPayouts: 1, Resolved: 1}, p.Counts)
	s.Require().Len(*finished, 1)
	s.Equal(reconcile.StatusSucceeded, (*finished)[0].Status)
	s.Equal(p.RunID, (*finished)[0].RunID)
	s.NotEmpty(p.RunID)
}

func (s *reconcileSuite) TestContinuesAsNewWithItsPositionAndTotals() {
	s.begins(reconcile.StatusRunning)
	s.env.OnActivity(s.rec.ReconcileHeleket, mock.Anything, mock.Anything).Return(
		batchAnswer("next", false, func(c *reconcile.Counts) { c.HeleketItems += 15 }))

	s.env.ExecuteWorkflow(workflows.Reconcile, workflows.ReconcileInput{Trigger: "test", BatchesPerRun: 3})

	s.Require().True(s.env.IsWorkflowCompleted())
	err := s.env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	s.Require().True(errors.As(err, &can), "got %v", err)
	var next workflows.ReconcileInput
	s.Require().NoError(converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	s.Require().NotNil(next.State)
	s.Equal("test", next.Trigger)
	s.Equal(3, next.BatchesPerRun)
	s.Equal(reconcile.PhaseHeleket, next.State.Phase)
	s.Equal("next", next.State.Cursor)
	s.Equal(3, next.State.Batches)
	s.Equal(45, next.State.Counts.HeleketItems)
	s.NotEmpty(next.State.RunID)
}

func (s *reconcileSuite) TestAContinuedRunPicksUpWhereItStopped() {
	state := &workflows.ReconcileState{RunID: "run-1", Phase: reconcile.PhaseOpen, Cursor: "po5",
		Counts: reconcile.Counts{HeleketItems: 100, Matched: 100}, Batches: 7}
	s.env.OnActivity(s.rec.ReconcileOpen, mock.Anything, mock.MatchedBy(func(b reconcile.Batch) bool {
		return b.RunID == "run-1" && b.Cursor == "po5" && b.Counts.HeleketItems == 100
	})).Return(batchAnswer("po8", true, func(c *reconcile.Counts) { c.OpenPayouts += 3; c.Matched += 3 })).Once()
	s.env.OnActivity(s.rec.ReconcileFailed, mock.Anything, mock.Anything).Return(
		batchAnswer("", true, func(*reconcile.Counts) {})).Once()
	s.finishes()

	s.env.ExecuteWorkflow(workflows.Reconcile, workflows.ReconcileInput{Trigger: "test", State: state})

	p := s.result()
	s.Equal("run-1", p.RunID, "the run keeps its ID across continue-as-new")
	s.Equal(9, p.Batches)
	s.Equal(103, p.Counts.Matched)
	s.Equal(reconcile.StatusSucceeded, p.Status)
}

func (s *reconcileSuite) TestSkippedRunDoesNothingElse() {
	s.begins(reconcile.StatusSkipped)

	s.env.ExecuteWorkflow(workflows.Reconcile, workflows.ReconcileInput{Trigger: "schedule"})

	p := s.result()
	s.Equal(reconcile.StatusSkipped, p.Status)
	s.Equal("other", p.HeldBy)
	s.Zero(p.Batches)
}

func (s *reconcileSuite) TestAFailedBatchIsRecordedOnTheRun() {
	s.begins(reconcile.StatusRunning)
	s.env.OnActivity(s.rec.ReconcileHeleket, mock.Anything, mock.Anything).Return(
		reconcile.BatchResult{}, temporal.NewNonRetryableApplicationError("bad key", activities.ErrTypeHeleketAuth, nil))
	finished := s.finishes()

	s.env.ExecuteWorkflow(workflows.Reconcile, workflows.ReconcileInput{Trigger: "test"})

	s.Require().True(s.env.IsWorkflowCompleted())
	s.Error(s.env.GetWorkflowError())
	s.Require().Len(*finished, 1)
	s.Equal(reconcile.StatusFailed, (*finished)[0].Status)
	s.Contains((*finished)[0].Error, "bad key")
}

func (s *reconcileSuite) TestProgressQueryShowsThePhase() {
	s.begins(reconcile.StatusRunning)
	s.env.OnActivity(s.rec.ReconcileHeleket, mock.Anything, mock.Anything).Return(
		batchAnswer("", true, func(c *reconcile.Counts) { c.HeleketItems = 4 }))
	s.env.OnActivity(s.rec.ReconcileOpen, mock.Anything, mock.Anything).Return(
		func(_ context.Context, b reconcile.Batch) (reconcile.BatchResult, error) {
			v, err := s.env.QueryWorkflow(workflows.QueryProgress)
			s.Require().NoError(err)
			var p workflows.ReconcileProgress
			s.Require().NoError(v.Get(&p))
			s.Equal(reconcile.PhaseOpen, p.Phase)
			s.Equal(4, p.Counts.HeleketItems)
			return reconcile.BatchResult{Done: true, Counts: b.Counts}, nil
		})
	s.env.OnActivity(s.rec.ReconcileFailed, mock.Anything, mock.Anything).Return(batchAnswer("", true, func(*reconcile.Counts) {}))
	s.finishes()

	s.env.ExecuteWorkflow(workflows.Reconcile, workflows.ReconcileInput{Trigger: "test"})
	s.Equal(reconcile.StatusSucceeded, s.result().Status)
}
