package workflows_test

import (
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/workflows"
)

type updateResult struct {
	accepted bool
	err      error
	done     bool
}

func (s *payoutSuite) update(after time.Duration, name, actor string, res *updateResult) {
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(name, name+actor, &testsuite.TestUpdateCallback{
			OnAccept:   func() { res.accepted = true },
			OnReject:   func(err error) { res.err = err },
			OnComplete: func(_ any, err error) { res.done, res.err = true, err },
		}, workflows.Decision{Actor: actor, Reason: "checked"})
	}, after)
}

func awaitingApproval() workflows.PayoutInput {
	in := input()
	in.Payout.Status = payout.StatusAwaitingApproval
	in.Payout.RequestedBy = "alice"
	in.Timing.ApprovalTimeout = time.Hour
	return in
}

func (s *payoutSuite) TestSecondAdminApprovesThenPayoutIsPaid() {
	var self, other updateResult
	s.update(time.Minute, workflows.UpdateApprove, "alice", &self)
	s.update(2*time.Minute, workflows.UpdateApprove, "bob", &other)
	s.webhookAt(5*time.Minute, heleket.StatusPaid, true)
	s.env.ExecuteWorkflow(workflows.Payout, awaitingApproval())

	s.Equal(payout.StatusPaid, s.result().Status)
	s.False(self.accepted)
	s.ErrorContains(self.err, "cannot approve")
	s.True(other.accepted && other.done)
	s.NoError(other.err)
	s.Equal([]string{"admin:requested", "workflow:submitted", "webhook:paid"}, s.store.trail())
	creates, _ := s.heleket.counts()
	s.Equal(1, creates)
}

func (s *payoutSuite) TestRejectedPayoutNeverReachesHeleket() {
	var rej updateResult
	s.update(time.Minute, workflows.UpdateReject, "bob", &rej)
	s.env.ExecuteWorkflow(workflows.Payout, awaitingApproval())

	st := s.result()
	s.Equal(payout.StatusRejected, st.Status)
	s.Contains(st.FailureReason, "reject by bob: checked")
	s.True(rej.done)
	creates, _ := s.heleket.counts()
	s.Zero(creates)
}

func (s *payoutSuite) TestApprovalExpires() {
	var late updateResult
	s.update(2*time.Hour, workflows.UpdateApprove, "bob", &late)
	s.env.ExecuteWorkflow(workflows.Payout, awaitingApproval())

	s.Equal(payout.StatusExpired, s.result().Status)
	s.Equal([]string{"workflow:expired"}, s.store.trail())
	s.False(late.accepted, "nothing to approve once expired")
	creates, _ := s.heleket.counts()
	s.Zero(creates)
}

func (s *payoutSuite) TestCancelWhileAwaitingApproval() {
	var c updateResult
	s.update(time.Minute, workflows.UpdateCancel, "alice", &c)
	s.env.ExecuteWorkflow(workflows.Payout, awaitingApproval())

	s.Equal(payout.StatusCancelled, s.result().Status)
	s.True(c.done)
	s.NoError(c.err)
	s.Equal([]string{"admin:cancelled"}, s.store.trail())
}

func (s *payoutSuite) TestCancelAfterSubmitIsRefused() {
	var c updateResult
	s.update(time.Minute, workflows.UpdateCancel, "alice", &c)
	s.webhookAt(time.Hour, heleket.StatusPaid, true)
	s.env.ExecuteWorkflow(workflows.Payout, input())

	s.Equal(payout.StatusPaid, s.result().Status)
	s.False(c.accepted)
	s.ErrorContains(c.err, "already sent to Heleket")
}
