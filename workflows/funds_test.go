package workflows_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/testsuite"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/payoutworker"
	"github.com/heleket-payouts/payouts/workflows"
)

// fundedHeleket is a merchant with a balance: a create it cannot cover is
// refused with a message, as Heleket does; the fee is 1.
type fundedHeleket struct {
	fakeHeleket
	fmu sync.Mutex
	// balance is the USDT balance; balanceErr answers balance calls.
	balance    decimal.Decimal
	balanceErr error
	// refuseAlways refuses every create whatever the balance.
	refuseAlways bool
	refusals     int
}

var fee = decimal.NewFromInt(1)

func (h *fundedHeleket) CreatePayout(ctx context.Context, req heleket.CreatePayoutRequest) (heleket.Payout, error) {
	h.fmu.Lock()
	short := h.balance.LessThan(decimal.RequireFromString(req.Amount).Add(fee))
	if short || h.refuseAlways {
		h.refusals++
		h.fmu.Unlock()
		return heleket.Payout{}, &heleket.RefusalError{Endpoint: heleket.PathCreatePayout, Message: "Not enough money", HTTPStatus: 422}
	}
	h.fmu.Unlock()
	return h.fakeHeleket.CreatePayout(ctx, req)
}

func (h *fundedHeleket) Balance(context.Context) (heleket.Balances, error) {
	h.fmu.Lock()
	defer h.fmu.Unlock()
	if h.balanceErr != nil {
		return nil, h.balanceErr
	}
	return heleket.Balances{"USDT": h.balance}, nil
}

func (h *fundedHeleket) Calc(_ context.Context, req heleket.CalcRequest) (heleket.CalcResult, error) {
	amount := decimal.RequireFromString(req.Amount)
	return heleket.CalcResult{Commission: heleket.NewAmount(fee), MerchantAmount: heleket.NewAmount(amount.Add(fee)),
		PayoutAmount: heleket.NewAmount(amount)}, nil
}

func (h *fundedHeleket) setBalance(d string) {
	h.fmu.Lock()
	defer h.fmu.Unlock()
	h.balance = decimal.RequireFromString(d)
}

type fundsSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env     *testsuite.TestWorkflowEnvironment
	store   *fakeStore
	heleket *fundedHeleket
}

func TestAwaitingFunds(t *testing.T) { suite.Run(t, new(fundsSuite)) }

var fundsTiming = workflows.Timing{WebhookWait: 10 * time.Minute, PollInitial: time.Minute, PollMax: 8 * time.Minute,
	FundsWait: 24 * time.Hour}

func (s *fundsSuite) SetupTest() {
	s.env = s.NewTestWorkflowEnvironment()
	s.store = newFakeStore()
	s.heleket = &fundedHeleket{fakeHeleket: fakeHeleket{infos: []string{heleket.StatusPaid}},
		balance: decimal.RequireFromString("50")}
	payoutworker.Register(s.env, &activities.Activities{Store: s.store, Heleket: s.heleket, Funds: s.heleket,
		CallbackURL: "http://api/payouts/webhook"})
}

func (s *fundsSuite) run() workflows.PayoutState {
	in := input()
	in.Timing = fundsTiming
	s.store.payouts[in.Payout.ID] = in.Payout
	in.Persisted = true
	s.env.ExecuteWorkflow(workflows.Payout, in)
	s.Require().True(s.env.IsWorkflowCompleted())
	s.Require().NoError(s.env.GetWorkflowError())
	var st workflows.PayoutState
	s.Require().NoError(s.env.GetWorkflowResult(&st))
	return st
}

func (s *fundsSuite) state() workflows.PayoutState {
	v, err := s.env.QueryWorkflow(workflows.QueryState)
	s.Require().NoError(err)
	var st workflows.PayoutState
	s.Require().NoError(v.Get(&st))
	return st
}

// Refused while the balance is 50 for 100.50 + 1: held, with what it waits
// for; topped up, the same create goes again and the payout is paid.
func (s *fundsSuite) TestHeldUntilToppedUpThenPaid() {
	var held workflows.PayoutState
	var waiting *payout.Waiting
	s.env.RegisterDelayedCallback(func() {
		held = s.state()
		waiting = s.store.payouts["po-test-1"].WaitingFor
		s.heleket.setBalance("200")
	}, 30*time.Minute)
	st := s.run()

	s.Equal(payout.StatusAwaitingFunds, held.Status)
	s.Contains(held.Phase, "waiting for funds: merchant USDT balance 50 is below amount + fee 101.5")
	s.Require().NotNil(waiting)
	s.Equal(payout.Waiting{Kind: payout.WaitFunds, Reason: "merchant USDT balance 50 is below amount + fee 101.5", Role: "operator"}, *waiting)

	s.Equal(payout.StatusPaid, st.Status)
	s.Equal([]string{"workflow:awaiting_funds", "workflow:submitted", "poll:paid"}, s.store.trail()[:3])
	creates, _ := s.heleket.counts()
	s.Equal(1, creates, "one create accepted")
	s.Equal(1, s.heleket.refusals, "the balance is checked before the create goes again")
	s.Nil(s.store.payouts["po-test-1"].WaitingFor, "submitted clears what it waited for")
}

// An operator cancels a payout that awaits funds; nothing is sent again.
func (s *fundsSuite) TestCancelWhileAwaitingFunds() {
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow(workflows.UpdateCancel, "cancel-1", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { s.Fail("cancel refused", err.Error()) },
			OnComplete: func(_ interface{}, err error) {
				s.NoError(err)
			},
		}, workflows.Decision{Actor: "carol", Reason: "no funds this week"})
	}, 10*time.Minute)
	st := s.run()
	s.Equal(payout.StatusCancelled, st.Status)
	s.Equal("finished", st.Phase)
	s.Equal([]string{"workflow:awaiting_funds", "admin:cancelled"}, s.store.trail())
	s.Equal(1, s.heleket.refusals)
	p := s.store.payouts["po-test-1"]
	s.Contains(p.FailureReason, "carol")
	s.Nil(p.WaitingFor)
}

// Funds that never come: failed after PAYOUT_FUNDS_WAIT, with the reason.
func (s *fundsSuite) TestFailsAfterFundsWait() {
	st := s.run()
	s.Equal(payout.StatusFailed, st.Status)
	s.Equal([]string{"workflow:awaiting_funds", "workflow:failed"}, s.store.trail())
	p := s.store.payouts["po-test-1"]
	s.Equal("funds did not arrive within PAYOUT_FUNDS_WAIT (24h0m0s): merchant USDT balance 50 is below amount + fee 101.5",
		p.FailureReason)
	s.Equal(1, s.heleket.refusals, "a short balance sends nothing again")
}

// A refusal while the balance covers the payout is what it says: rejected.
func (s *fundsSuite) TestRefusalWithFundsIsRejected() {
	s.heleket.setBalance("1000")
	s.heleket.refuseAlways = true
	st := s.run()
	s.Equal(payout.StatusRejected, st.Status)
	s.Equal([]string{"workflow:rejected"}, s.store.trail())
	s.Equal("merchant USDT balance 1000 covers amount + fee 101.5", s.store.events[0].Details["funds_check"])
}

// A balance Heleket will not show (401) proves nothing: the refusal
// stands, and the 401 itself fails nothing.
func (s *fundsSuite) TestUnknownBalanceLeavesTheRefusal() {
	s.heleket.balanceErr = &heleket.AuthError{Endpoint: heleket.PathBalance, HTTPStatus: 401}
	st := s.run()
	s.Equal(payout.StatusRejected, st.Status)
	s.Contains(s.store.events[0].Details["funds_check"], "balance unknown")
	s.Contains(s.store.payouts["po-test-1"].FailureReason, "Not enough money")
}

// A run continued while the payout awaits funds resumes waiting with the
// deadline the input carries, not a new one.
func (s *fundsSuite) TestAwaitingFundsCarriesAcrossContinueAsNew() {
	in := input()
	in.Timing = fundsTiming
	in.Payout.Status = payout.StatusAwaitingFunds
	in.Persisted = true
	in.FundsDeadline = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	s.store.payouts[in.Payout.ID] = in.Payout
	s.env.ExecuteWorkflow(workflows.Payout, in)
	s.Require().True(s.env.IsWorkflowCompleted())
	s.Require().NoError(s.env.GetWorkflowError())
	s.Equal([]string{"workflow:failed"}, s.store.trail(), "a past deadline from the previous run fails it")
}
