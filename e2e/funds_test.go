package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/workflows"
)

// waitingPayoutJSON is GET /payouts/{id} with what a held payout waits for.
type waitingPayoutJSON struct {
	payoutJSON
	FailureReason string `json:"failure_reason"`
	WaitingFor    *struct {
		Kind   string `json:"kind"`
		Reason string `json:"reason"`
		Role   string `json:"role"`
	} `json:"waiting_for"`
}

func getWaitingPayout(t *testing.T, e *testenv.Env, id string) waitingPayoutJSON {
	t.Helper()
	resp := e.Do(http.MethodGet, "/payouts/"+id, nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return testenv.Decode[waitingPayoutJSON](e, resp)
}

func awaitingFunds(st workflows.PayoutState) bool {
	return st.Status == payout.StatusAwaitingFunds && strings.HasPrefix(st.Phase, "waiting for funds")
}

// topUp credits the sandbox merchant over its control route, as a tool
// outside the process would.
func topUp(t *testing.T, e *testenv.Env, currency, amount string) {
	t.Helper()
	resp, err := http.Post(e.Sandbox.URL()+"/_sandbox/balance", "application/json",
		bytesReader(`{"currency":"`+currency+`","amount":"`+amount+`"}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// Heleket refuses the create while the merchant has 50 USDT for 100.50
// plus its fee: the payout waits in awaiting_funds and says so; once the
// balance is topped up the same order_id goes again and is paid, with one
// Heleket payout in all.
func TestInsufficientFundsAwaitsThenPaidAfterTopUp(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	e.Sandbox.SetBalance("USDT", decimal.RequireFromString("50"))
	p := accepted(t, e, "80", "funds-"+t.Name(), body("100.50", tronAddress))

	e.WaitState(p.ID, awaitingFunds)
	held := getWaitingPayout(t, e, p.ID)
	assert.Equal(t, string(payout.StatusAwaitingFunds), held.Status)
	require.NotNil(t, held.WaitingFor, "GET /payouts/{id} says what it waits for")
	assert.Equal(t, "funds", held.WaitingFor.Kind)
	assert.Equal(t, "operator", held.WaitingFor.Role)
	assert.Contains(t, held.WaitingFor.Reason, "merchant USDT balance 50 is below amount + fee 10")
	assert.Equal(t, 0, e.Sandbox.Stats().Creates)

	topUp(t, e, "USDT", "1000")
	final := e.WaitFinal(p.ID)
	assert.Equal(t, payout.StatusPaid, final.Status)
	assert.Nil(t, final.WaitingFor, "nothing to wait for once submitted")
	assert.Equal(t, 1, e.Sandbox.Stats().Creates, "exactly one Heleket payout")
	assert.GreaterOrEqual(t, e.Sandbox.Stats().Rejected, 1, "the first create was refused")
	trail := e.Trail(p.ID)
	require.GreaterOrEqual(t, len(trail), 4, "%v", trail)
	assert.Equal(t, []string{"api:->requested", "workflow:requested->awaiting_funds", "workflow:awaiting_funds->submitted"}, trail[:3])
	assert.True(t, strings.HasSuffix(trail[len(trail)-1], "->paid"), trail)

	events, err := e.Store.Events(context.Background(), p.ID)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(events), 2)
	assert.Contains(t, events[1].Details["reason"], "is below amount + fee", "the audit row explains the hold")
	assert.Equal(t, "50", events[1].Details["balance"])
	assert.NotEmpty(t, events[1].Details["heleket_refusal"])
	checkReplay(t, e, p.ID, "payout_awaiting_funds")
}

// An operator cancels a payout that waits for funds: nothing reaches
// Heleket, and the reason is kept.
func TestCancelAwaitingFundsPayout(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	e.Sandbox.SetBalance("USDT", decimal.RequireFromString("10"))
	p := accepted(t, e, "81", "funds-cancel-"+t.Name(), body("100", tronAddress))
	e.WaitState(p.ID, awaitingFunds)

	resp, refusal := decide(e, p.ID, "cancel", testenv.AdminToken)
	require.Equal(t, http.StatusOK, resp.StatusCode, refusal.Error)
	final := e.WaitFinal(p.ID)
	assert.Equal(t, payout.StatusCancelled, final.Status)
	assert.Contains(t, final.FailureReason, testenv.AdminName)
	assert.Nil(t, final.WaitingFor)
	assert.Equal(t, 0, e.Sandbox.Stats().Creates, "never sent")
	assert.Equal(t, []string{"api:->requested", "workflow:requested->awaiting_funds", "admin:awaiting_funds->cancelled"}, e.Trail(p.ID))
}

// Funds that never come: the payout fails after PAYOUT_FUNDS_WAIT with
// the reason, and was never sent.
func TestAwaitingFundsExpiresFailed(t *testing.T) {
	e := testenv.New(t, testenv.Options{Timing: workflows.Timing{WebhookWait: time.Minute, PollInitial: 200 * time.Millisecond,
		PollMax: time.Second, FundsWait: 2 * time.Second}})
	e.Sandbox.SetBalance("USDT", decimal.RequireFromString("10"))
	p := accepted(t, e, "82", "funds-expire-"+t.Name(), body("100", tronAddress))

	final := e.WaitFinal(p.ID)
	assert.Equal(t, payout.StatusFailed, final.Status)
	assert.Contains(t, final.FailureReason, "funds did not arrive within PAYOUT_FUNDS_WAIT (2s)")
	assert.Contains(t, final.FailureReason, "merchant USDT balance 10 is below amount + fee")
	assert.Nil(t, final.WaitingFor)
	assert.Equal(t, 0, e.Sandbox.Stats().Creates)
	assert.Equal(t, []string{"api:->requested", "workflow:requested->awaiting_funds", "workflow:awaiting_funds->failed"}, e.Trail(p.ID))
	got := getWaitingPayout(t, e, p.ID)
	assert.Equal(t, string(payout.StatusFailed), got.Status)
	assert.Nil(t, got.WaitingFor)
}
