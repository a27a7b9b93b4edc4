package workflows_test

import (
	"encoding/json"
	"time"

	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/workflows"
)

// A signed webhook is a hint: a final status word is confirmed with
// Heleket's API whatever its is_final flag or letter case says.
func (s *payoutSuite) TestFinalStatusWithoutFinalFlagIsConfirmed() {
	for _, word := range []string{"paid", "PAID"} {
		s.Run(word, func() {
			s.SetupTest()
			s.heleket.infos = []string{heleket.StatusProcess, heleket.StatusPaid}
			s.webhookAt(time.Second, word, false)
			s.env.ExecuteWorkflow(workflows.Payout, input())

			s.Equal(payout.StatusPaid, s.result().Status)
			s.Equal([]string{"workflow:submitted", "webhook:processing", "poll:paid"}, s.store.trail(),
				"the webhook's paid was not true at Heleket yet, so it was not recorded")
		})
	}
}

func (s *payoutSuite) TestCancelWithoutFlagIsConfirmed() {
	s.heleket.infos = []string{heleket.StatusCancel}
	s.webhookAt(time.Second, "cancel", false)
	s.env.ExecuteWorkflow(workflows.Payout, input())

	s.Equal(payout.StatusCancelled, s.result().Status)
	_, infos := s.heleket.counts()
	s.Equal(1, infos, "confirmed before it was recorded")
}

// While the confirmation keeps failing, the state query and the current
// details say which call fails, how often, why and when it is tried next;
// after AttentionAfter failures the payout is flagged.
func (s *payoutSuite) TestFailingConfirmationIsVisibleAndFlagged() {
	s.heleket.infoErrs = 6
	s.webhookAt(time.Second, heleket.StatusPaid, true)
	var mid workflows.PayoutState
	s.env.RegisterDelayedCallback(func() {
		v, err := s.env.QueryWorkflow(workflows.QueryState)
		s.Require().NoError(err)
		s.Require().NoError(v.Get(&mid))
	}, 20*time.Second)
	s.env.ExecuteWorkflow(workflows.Payout, input())

	final := s.result()
	s.Equal(payout.StatusPaid, final.Status)
	s.Nil(final.Retry, "cleared once the call succeeds")
	s.Equal("finished", final.Phase)
	s.Require().NotNil(mid.Retry, "a failing call shows in the state")
	s.Equal("confirming webhook with Heleket", mid.Retry.Call)
	s.GreaterOrEqual(mid.Retry.Attempts, 4)
	s.Contains(mid.Retry.LastError, "HTTP 503")
	s.False(mid.Retry.NextAttemptAt.IsZero())
	s.Contains(s.store.flagged["po-test-1"], "failed 5 times")
	s.Equal(6, s.heleket.infoFailures)
}

// Heleket answers a create with a payout that is not ours (another
// installation's under the same order_id): nothing is recorded as ours, the
// payout is held and flagged, and an operator can cancel it.
func (s *payoutSuite) TestMismatchedCreateIsHeldUntilCancelled() {
	s.heleket.createAnswer = func(p *heleket.Payout) { p.Amount = heleket.NewAmount(decimal.RequireFromString("7")) }
	var held workflows.PayoutState
	s.env.RegisterDelayedCallback(func() {
		v, err := s.env.QueryWorkflow(workflows.QueryState)
		s.Require().NoError(err)
		s.Require().NoError(v.Get(&held))
	}, time.Minute)
	var c updateResult
	s.update(2*time.Minute, workflows.UpdateCancel, "alice", &c)
	s.env.ExecuteWorkflow(workflows.Payout, input())

	st := s.result()
	s.Equal(payout.StatusCancelled, st.Status)
	s.True(c.accepted && c.done, "a held payout can be cancelled: %v", c.err)
	s.Equal(payout.StatusRequested, held.Status, "never recorded as submitted")
	s.Contains(held.Phase, "held for an operator")
	s.Contains(held.Phase, "amount differ")
	s.Contains(s.store.flagged["po-test-1"], "different payout under order_id")
	creates, _ := s.heleket.counts()
	s.Equal(1, creates, "not retried blindly")
	s.Equal([]string{"workflow:requested", "admin:cancelled"}, s.store.trail())
}

// Reconciliation's signal is recorded as reconciliation's change, with
// its run, also when the workflow confirmed it first.
func (s *payoutSuite) TestReconciliationSignalIsAttributed() {
	s.env.RegisterDelayedCallback(func() {
		s.env.SignalWorkflow(workflows.SignalHeleketUpdate, payout.HeleketUpdate{UUID: "uuid-po-test-1",
			Status: heleket.StatusPaid, Final: true, Source: payout.SourceReconcile, Actor: "reconciliation", RunID: "run-7"})
	}, time.Minute)
	s.env.ExecuteWorkflow(workflows.Payout, input())

	s.Equal(payout.StatusPaid, s.result().Status)
	last := s.store.events[len(s.store.events)-1]
	s.Equal(payout.SourceReconcile, last.Source)
	s.Equal("reconciliation", last.Actor)
	s.Equal("run-7", last.Details["run_id"])
}

// Cancelling while the create may already have reached Heleket says so,
// not that the payout "was sent".
func (s *payoutSuite) TestCancelWhileSubmittingSaysWhy() {
	s.heleket.createErr = &heleket.ServerError{Endpoint: "/v1/payout", HTTPStatus: 503}
	var c updateResult
	s.update(10*time.Second, workflows.UpdateCancel, "alice", &c)
	s.env.RegisterDelayedCallback(func() {
		s.heleket.mu.Lock()
		s.heleket.createErr = nil
		s.heleket.mu.Unlock()
	}, time.Minute)
	s.webhookAt(time.Hour, heleket.StatusPaid, true)
	s.env.ExecuteWorkflow(workflows.Payout, input())

	s.Equal(payout.StatusPaid, s.result().Status)
	s.False(c.accepted)
	s.ErrorContains(c.err, "being sent to Heleket")
	s.ErrorContains(c.err, "can no longer be stopped")
	s.NotContains(c.err.Error(), "it is requested")
}

// Workflow inputs show durations as the UI's readers write them, and
// histories recorded with nanoseconds still decode.
func (s *payoutSuite) TestTimingIsReadableJSON() {
	in := input()
	in.PollInterval = 90 * time.Second
	b, err := json.Marshal(in)
	s.Require().NoError(err)
	s.Contains(string(b), `"webhook_wait":"10m0s"`)
	s.Contains(string(b), `"poll_interval":"1m30s"`)
	s.NotContains(string(b), "600000000000")

	var old workflows.PayoutInput
	s.Require().NoError(json.Unmarshal([]byte(`{"timing":{"webhook_wait":300000000000,"poll_initial":30000000000,"poll_max":1800000000000},"poll_interval":60000000000}`), &old))
	s.Equal(5*time.Minute, old.Timing.WebhookWait)
	s.Equal(time.Minute, old.PollInterval)
	var back workflows.PayoutInput
	s.Require().NoError(json.Unmarshal(b, &back))
	s.Equal(in.Timing, back.Timing)
	s.Equal(in.PollInterval, back.PollInterval)
}
