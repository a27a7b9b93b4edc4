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
	"go.temporal.io/sdk/client"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/heleket/sandbox"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/workflows"
)

// Two installations (two databases) on one Temporal server take the same
// request (the README's first curl is the same for everyone): each gets its
// own payout, workflow and Heleket order_id, and each is paid.
func TestTwoInstallationsSameRequestNeverCollide(t *testing.T) {
	first, second := testenv.New(t, testenv.Options{}), testenv.New(t, testenv.Options{})
	require.NotEqual(t, first.Installation, second.Installation)
	key := "first-payout-" + t.Name()
	a := accepted(t, first, "c9", key, body("100.50", tronAddress))
	b := accepted(t, second, "c9", key, body("100.50", tronAddress))
	require.NotEqual(t, a.ID, b.ID, "payout IDs are per installation")

	assert.Equal(t, payout.StatusPaid, first.WaitFinal(a.ID).Status)
	assert.Equal(t, payout.StatusPaid, second.WaitFinal(b.ID).Status)
	assert.Equal(t, 1, first.Sandbox.Stats().Creates)
	assert.Equal(t, 1, second.Sandbox.Stats().Creates, "the second installation's payout was submitted too")

	again := accepted(t, first, "c9", key, body("100.50", tronAddress))
	assert.Equal(t, a.ID, again.ID, "a retry within one installation keeps its payout")
}

// A workflow already running under the ID of a new payout belongs to
// somebody else (another installation, a database restored while Temporal
// kept running): the start is refused with the reason, never joined.
func TestStartRefusesAnotherPayoutsRunningWorkflow(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	key := "taken-" + t.Name()
	id := payout.DeriveID(e.Installation, "api", "c10", key)
	ctx := context.Background()
	// What another installation left running: same workflow ID, its own
	// payout, on a queue nobody serves here.
	other := payout.Payout{ID: id, ClientID: "c10", Asset: "USDT", Network: "tron",
		Amount: decimal.RequireFromString("5"), Address: tronAddress, Origin: payout.OriginManual, Status: payout.StatusRequested}
	run, err := e.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: payout.WorkflowID(id),
		TaskQueue: "other-installation-" + e.TaskQueue, Memo: workflows.PayoutMemo("another-installation-id0", other)},
		workflows.PayoutWorkflowName, workflows.PayoutInput{Payout: other, Persisted: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Temporal.TerminateWorkflow(ctx, run.GetID(), run.GetRunID(), "test over") })

	resp := create(e, "c10", key, body("100.50", tronAddress))
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	refusal := testenv.Decode[errorJSON](e, resp)
	assert.Contains(t, refusal.Error, "running for a different payout")
	assert.Contains(t, refusal.Error, "another installation")
	assert.Zero(t, e.Sandbox.Stats().Calls["/v1/payout"], "nothing was sent")
}

// Heleket already holds a different payout under our order_id (a shared
// merchant): the create's answer is not recorded as ours; the payout is
// held, flagged with an audit row and an alert, and an operator cancels it.
func TestHeleketsOtherPayoutUnderOurOrderIDIsHeld(t *testing.T) {
	alerts := testenv.NewAlerts(t)
	e := testenv.New(t, testenv.Options{AlertWebhookURL: alerts.URL()})
	key := "shared-merchant-" + t.Name()
	id := payout.DeriveID(e.Installation, "api", "c11", key)
	_, err := e.Heleket.CreatePayout(context.Background(), heleket.CreatePayoutRequest{Amount: "7", Currency: "USDT",
		Network: "tron", OrderID: id, Address: "TXYZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW", IsSubtract: true})
	require.NoError(t, err, "the other installation's payout")

	p := accepted(t, e, "c11", key, body("100.50", tronAddress))
	require.Equal(t, id, p.ID)
	st := e.WaitState(p.ID, func(s workflows.PayoutState) bool { return strings.HasPrefix(s.Phase, "held") })
	assert.Contains(t, st.Phase, "amount, address differ")
	stored, err := e.Store.GetPayout(context.Background(), p.ID)
	require.NoError(t, err)
	assert.Equal(t, payout.StatusRequested, stored.Status, "never recorded as submitted")
	assert.Empty(t, stored.HeleketUUID, "the other payout's uuid is not ours")
	assert.Equal(t, 1, e.Sandbox.Stats().Creates, "only the other installation's payout exists")

	events, err := e.Store.Events(context.Background(), p.ID)
	require.NoError(t, err)
	flag := events[len(events)-1]
	assert.Equal(t, true, flag.Details["needs_attention"])
	assert.Contains(t, flag.Details["reason"], "different payout under order_id")
	assert.NotContains(t, testenv.JSON(t, flag.Details), "TXYZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW", "their address is masked")
	got := alerts.Await(t, "heleket_mismatch", 1)
	assert.Equal(t, p.ID, got[0].PayoutID)

	resp := e.Do(http.MethodPost, "/payouts/"+p.ID+"/cancel", []byte(`{"reason":"order_id of another installation"}`), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp.Body.Close()
	assert.Equal(t, payout.StatusCancelled, e.WaitFinal(p.ID).Status)
	assert.Equal(t, 1, e.Sandbox.Stats().Creates, "nothing sent on our side")
	checkReplay(t, e, p.ID, "payout_held_then_cancelled")
}

// While Heleket answers 5xx, a payout waiting on the webhook's confirmation
// says so in its state: the call, the attempts, the last error, the next
// try. Once Heleket is back it ends paid.
func TestFailingConfirmationIsVisibleInState(t *testing.T) {
	e := testenv.New(t, testenv.Options{SettleAfter: time.Hour})
	p := accepted(t, e, "c12", "confirm-5xx-"+t.Name(), body("10", tronAddress))
	e.WaitState(p.ID, func(s workflows.PayoutState) bool { return s.HeleketUUID != "" })
	e.Sandbox.SetFaults(sandbox.Faults{ServerErrorRate: 1})
	require.NoError(t, e.Sandbox.SetStatus(p.ID, heleket.StatusPaid), "the paid webhook goes out")

	st := e.WaitState(p.ID, func(s workflows.PayoutState) bool { return s.Retry != nil && s.Retry.Attempts >= 2 })
	assert.Equal(t, "confirming webhook with Heleket", st.Retry.Call)
	assert.Contains(t, st.Retry.LastError, "HTTP 500")
	assert.False(t, st.Retry.NextAttemptAt.IsZero())

	e.Sandbox.SetFaults(sandbox.Faults{})
	assert.Equal(t, payout.StatusPaid, e.WaitFinal(p.ID).Status)
	checkReplay(t, e, p.ID, "payout_confirmation_retried")
}
