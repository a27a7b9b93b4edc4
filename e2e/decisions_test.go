package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/workflows"
)

func approvalEnv(t *testing.T, timeout time.Duration) *testenv.Env {
	return testenv.New(t, testenv.Options{
		ApprovalThresholds: map[string]decimal.Decimal{"USDT": decimal.RequireFromString("1000")},
		Timing: workflows.Timing{WebhookWait: time.Minute, PollInitial: 200 * time.Millisecond, PollMax: time.Second,
			ApprovalTimeout: timeout},
	})
}

func decide(e *testenv.Env, id, action, token string) (*http.Response, errorJSON) {
	resp := e.Do(http.MethodPost, "/payouts/"+id+"/"+action, []byte(`{"reason":"checked the ticket"}`),
		map[string]string{"Authorization": "Bearer " + token})
	if resp.StatusCode == http.StatusOK {
		resp.Body.Close()
		return resp, errorJSON{}
	}
	return resp, testenv.Decode[errorJSON](e, resp)
}

func TestLargePayoutNeedsASecondAdmin(t *testing.T) {
	e := approvalEnv(t, time.Hour)
	small := accepted(t, e, "60", "small-"+t.Name(), body("1000", tronAddress))
	assert.Equal(t, "requested", small.Status, "at the threshold needs no approval")
	p := accepted(t, e, "60", "big-"+t.Name(), body("1000.01", tronAddress))
	require.Equal(t, "awaiting_approval", p.Status)

	resp, refusal := decide(e, p.ID, "approve", testenv.AdminToken)
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Contains(t, refusal.Error, "cannot approve")

	resp, _ = decide(e, p.ID, "approve", testenv.SecondAdminToken)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	final := e.WaitFinal(p.ID)
	assert.Equal(t, payout.StatusPaid, final.Status)
	assert.Equal(t, []string{"api:->awaiting_approval", "admin:awaiting_approval->requested", "workflow:requested->submitted",
		"webhook:submitted->processing", "webhook:processing->paid"}, e.Trail(p.ID))
	events, err := e.Store.Events(t.Context(), p.ID)
	require.NoError(t, err)
	assert.Equal(t, testenv.SecondAdmin, events[1].Actor)
	assert.Equal(t, 2, e.Sandbox.Stats().Creates)
	checkReplay(t, e, p.ID, "payout_approved")
}

func TestRejectedAndExpiredPayoutsNeverReachHeleket(t *testing.T) {
	e := approvalEnv(t, 500*time.Millisecond)
	expiring := accepted(t, e, "61", "expire-"+t.Name(), body("5000", tronAddress))
	assert.Equal(t, payout.StatusExpired, e.WaitFinal(expiring.ID).Status)
	assert.Equal(t, []string{"api:->awaiting_approval", "workflow:awaiting_approval->expired"}, e.Trail(expiring.ID))

	resp, refusal := decide(e, expiring.ID, "approve", testenv.SecondAdminToken)
	assert.Equal(t, http.StatusConflict, resp.StatusCode, "approval after expiry")
	assert.Contains(t, refusal.Error, "expired")
	assert.Zero(t, e.Sandbox.Stats().Calls["/v1/payout"])
	checkReplay(t, e, expiring.ID, "payout_approval_expired")
}

func TestRejectAndCancelDecisions(t *testing.T) {
	e := approvalEnv(t, time.Hour)
	rejected := accepted(t, e, "62", "reject-"+t.Name(), body("5000", tronAddress))
	resp, _ := decide(e, rejected.ID, "reject", testenv.SecondAdminToken)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	final := e.WaitFinal(rejected.ID)
	assert.Equal(t, payout.StatusRejected, final.Status)
	assert.Contains(t, final.FailureReason, "checked the ticket")

	cancelled := accepted(t, e, "62", "cancel-"+t.Name(), body("5000", tronAddress))
	resp, _ = decide(e, cancelled.ID, "cancel", testenv.AdminToken)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, payout.StatusCancelled, e.WaitFinal(cancelled.ID).Status)
	assert.Zero(t, e.Sandbox.Stats().Calls["/v1/payout"])
	checkReplay(t, e, rejected.ID, "payout_approval_rejected")
	checkReplay(t, e, cancelled.ID, "payout_cancelled")
}

func TestCancelAfterSubmitIs409(t *testing.T) {
	e := testenv.New(t, testenv.Options{SettleAfter: time.Hour})
	p := accepted(t, e, "63", "late-cancel-"+t.Name(), body("5", tronAddress))
	// The sandbox holds the payout in "process" for an hour: wait until the
	// workflow has recorded the submission.
	require.Eventually(t, func() bool {
		got, err := e.Store.GetPayout(t.Context(), p.ID)
		return err == nil && got.Status != payout.StatusRequested
	}, time.Minute, 50*time.Millisecond)

	resp, refusal := decide(e, p.ID, "cancel", testenv.AdminToken)
	assert.Equal(t, http.StatusConflict, resp.StatusCode)
	assert.Contains(t, refusal.Error, "already sent to Heleket")
	got, err := e.Store.GetPayout(t.Context(), p.ID)
	require.NoError(t, err)
	assert.NotEqual(t, payout.StatusCancelled, got.Status)
	assert.NotContains(t, e.Trail(p.ID), "admin:")
}
