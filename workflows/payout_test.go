package workflows_test

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/testsuite"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/payoutworker"
	"github.com/heleket-payouts/payouts/workflows"
)

type payoutSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env     *testsuite.TestWorkflowEnvironment
	store   *fakeStore
	heleket *fakeHeleket
}

func TestPayoutWorkflow(t *testing.T) { suite.Run(t, new(payoutSuite)) }

func (s *payoutSuite) SetupTest() {
	s.env = s.NewTestWorkflowEnvironment()
	s.store = newFakeStore()
	s.heleket = &fakeHeleket{infos: []string{heleket.StatusPaid}}
	payoutworker.Register(s.env, &activities.Activities{Store: s.store, Heleket: s.heleket, CallbackURL: "http://api/payouts/webhook"})
}

var timing = workflows.Timing{WebhookWait: 10 * time.Minute, PollInitial: time.Minute, PollMax: 8 * time.Minute}

func input() workflows.PayoutInput {
	return workflows.PayoutInput{Timing: timing, Payout: payout.Payout{
		ID: "po-test-1", ClientID: "42", Asset: "USDT", Network: "tron", Amount: decimal.RequireFromString("100.50"),
		Address: "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW", Origin: payout.OriginManual, Status: payout.StatusRequested,
		IsSubtract: true,
	}}
}

func (s *payoutSuite) webhookAt(after time.Duration, status string, final bool) {
	s.env.RegisterDelayedCallback(func() {
		s.env.SignalWorkflow(workflows.SignalHeleketUpdate, payout.HeleketUpdate{UUID: "uuid-po-test-1", Status: status, Final: final})
	}, after)
}

func (s *payoutSuite) result() workflows.PayoutState {
	s.Require().True(s.env.IsWorkflowCompleted())
	s.Require().NoError(s.env.GetWorkflowError())
	var st workflows.PayoutState
	s.Require().NoError(s.env.GetWorkflowResult(&st))
	return st
}

func (s *payoutSuite) TestHappyPathWebhookConfirmedByStatusCall() {
	s.webhookAt(time.Second, heleket.StatusProcess, false)
	s.webhookAt(2*time.Second, heleket.StatusPaid, true)
	s.env.ExecuteWorkflow(workflows.Payout, input())

	st := s.result()
	s.Equal(payout.StatusPaid, st.Status)
	s.Equal(0, st.Polls)
	s.Equal(2, st.Webhooks)
	creates, infos := s.heleket.counts()
	s.Equal(1, creates)
	s.Equal(1, infos, "only the final webhook is confirmed")
	s.Equal([]string{"workflow:submitted", "webhook:processing", "webhook:paid"}, s.store.trail())
	p := s.store.payouts["po-test-1"]
	s.Equal("txid-1", p.TxID)
	s.Equal("1.5", p.Commission.Decimal.String())
}

func (s *payoutSuite) TestNoWebhookFallsBackToPolling() {
	s.heleket.infos = []string{heleket.StatusProcess, heleket.StatusCheck, heleket.StatusPaid}
	s.env.ExecuteWorkflow(workflows.Payout, input())

	st := s.result()
	s.Equal(payout.StatusPaid, st.Status)
	s.Equal(3, st.Polls)
	s.Equal([]string{"workflow:submitted", "poll:processing", "poll:verifying", "poll:paid"}, s.store.trail())
}

func (s *payoutSuite) TestFinalWebhookNotYetTrueAtHeleketIsNotRecorded() {
	s.heleket.infos = []string{heleket.StatusProcess, heleket.StatusPaid}
	s.webhookAt(time.Second, heleket.StatusPaid, true)
	s.env.ExecuteWorkflow(workflows.Payout, input())

	st := s.result()
	s.Equal(payout.StatusPaid, st.Status)
	s.Equal([]string{"workflow:submitted", "webhook:processing", "poll:paid"}, s.store.trail())
}

func (s *payoutSuite) TestDuplicateAndReorderedWebhooksDoNotMoveBackwards() {
	s.webhookAt(time.Second, heleket.StatusPaid, true)
	s.webhookAt(time.Second, heleket.StatusPaid, true)
	s.webhookAt(time.Second, heleket.StatusProcess, false)
	s.env.ExecuteWorkflow(workflows.Payout, input())

	s.Equal(payout.StatusPaid, s.result().Status)
	s.Equal([]string{"workflow:submitted", "webhook:paid"}, s.store.trail())
}

func (s *payoutSuite) TestHeleketRefusalRejectsWithoutRetry() {
	s.heleket.createErr = &heleket.ValidationError{Endpoint: "/v1/payout", Errors: map[string][]string{"address": {"validation.invalid"}}}
	s.env.ExecuteWorkflow(workflows.Payout, input())

	st := s.result()
	s.Equal(payout.StatusRejected, st.Status)
	s.Contains(st.FailureReason, "refused")
	creates, _ := s.heleket.counts()
	s.Equal(1, creates, "a refusal is not retried")
	s.Equal([]string{"workflow:rejected"}, s.store.trail())
}

func (s *payoutSuite) TestTransientCreateErrorsAreRetried() {
	s.heleket.createErr = &heleket.ServerError{Endpoint: "/v1/payout", HTTPStatus: 502}
	s.env.RegisterDelayedCallback(func() {
		s.heleket.mu.Lock()
		s.heleket.createErr = nil
		s.heleket.mu.Unlock()
	}, 3*time.Second)
	s.webhookAt(time.Hour, heleket.StatusPaid, true)
	s.env.ExecuteWorkflow(workflows.Payout, input())

	s.Equal(payout.StatusPaid, s.result().Status)
	creates, _ := s.heleket.counts()
	s.Greater(creates, 1)
}

func (s *payoutSuite) TestAlreadyFinalPayoutDoesNothing() {
	in := input()
	paid := in.Payout
	paid.Status = payout.StatusPaid
	s.store.payouts[paid.ID] = paid // a resumed run finds the payout already final
	s.env.ExecuteWorkflow(workflows.Payout, in)

	s.Equal(payout.StatusPaid, s.result().Status)
	creates, infos := s.heleket.counts()
	s.Zero(creates + infos)
}

func TestStateQueryWhileWaiting(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	store := newFakeStore()
	payoutworker.Register(env, &activities.Activities{Store: store, Heleket: &fakeHeleket{infos: []string{heleket.StatusPaid}}})
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(workflows.QueryState)
		require.NoError(t, err)
		var st workflows.PayoutState
		require.NoError(t, v.Get(&st))
		require.Equal(t, payout.StatusSubmitted, st.Status)
		require.Equal(t, "waiting for Heleket webhook", st.Phase)
		require.Equal(t, "uuid-po-test-1", st.HeleketUUID)
	}, time.Minute)
	env.ExecuteWorkflow(workflows.Payout, input())
	require.NoError(t, env.GetWorkflowError())
}
