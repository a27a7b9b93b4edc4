package workflows_test

import (
	"context"
	"time"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/workflows"
)

// stateAt queries the state at a moment of the run.
func (s *payoutSuite) stateAt(at time.Duration, into *workflows.PayoutState) {
	s.env.RegisterDelayedCallback(func() {
		v, err := s.env.QueryWorkflow(workflows.QueryState)
		s.Require().NoError(err)
		s.Require().NoError(v.Get(into))
	}, at)
}

// The state query names the phase the run is in, from approval to the
// webhook wait, the polls after it, and the end.
func (s *payoutSuite) TestStateNamesEachPhase() {
	s.heleket.infos = []string{heleket.StatusProcess, heleket.StatusPaid}
	var approving, waiting, polling workflows.PayoutState
	var approve updateResult
	s.stateAt(time.Minute, &approving)
	s.update(2*time.Minute, workflows.UpdateApprove, "bob", &approve)
	// The webhook wait (10m) runs from the submission at 2m; the first
	// poll at 12m finds "process", the second one a minute later "paid".
	s.stateAt(5*time.Minute, &waiting)
	s.stateAt(12*time.Minute+30*time.Second, &polling)
	s.env.ExecuteWorkflow(workflows.Payout, awaitingApproval())

	final := s.result()
	s.True(approve.done)
	s.Equal(payout.StatusAwaitingApproval, approving.Status)
	s.Equal("waiting for a second admin's approval", approving.Phase)
	s.Equal(payout.StatusSubmitted, waiting.Status)
	s.Equal("waiting for Heleket webhook", waiting.Phase)
	s.Equal(payout.StatusProcessing, polling.Status)
	s.Equal("next status poll", polling.Phase)
	s.Equal(1, polling.Polls)
	s.Equal(payout.StatusPaid, final.Status)
	s.Equal("finished", final.Phase)
	s.Equal(2, final.Polls)
}

// A run continued while polling resumes polling: its input's poll
// interval says so, and its first wait is a poll's.
func (s *payoutSuite) TestContinuedRunResumesPolling() {
	in := input()
	in.Payout.Status, in.Persisted, in.PollInterval, in.Polls = payout.StatusProcessing, true, 4*time.Minute, 7
	_, _, err := s.store.CreatePayout(context.Background(), in.Payout, "alice", nil)
	s.Require().NoError(err)
	var resumed workflows.PayoutState
	s.stateAt(time.Minute, &resumed)
	s.env.ExecuteWorkflow(workflows.Payout, in)

	final := s.result()
	s.Equal("next status poll", resumed.Phase)
	s.Equal(7, resumed.Polls)
	s.Equal(payout.StatusPaid, final.Status)
	s.Equal(8, final.Polls, "one poll, at the resumed interval, found it paid")
}
