package reconcile_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/workflows"
)

const tronAddress = "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"

type triggered struct {
	ID         string `json:"id"`
	WorkflowID string `json:"workflow_id"`
	Joined     bool   `json:"joined"`
}

// trigger asks the API for a run now.
func trigger(t *testing.T, e *testenv.Env) triggered {
	t.Helper()
	resp := e.Do(http.MethodPost, "/payouts/reconcile", nil, nil)
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	tr := testenv.Decode[triggered](e, resp)
	require.Equal(t, "/reconciliation/runs/"+tr.ID, resp.Header.Get("Location"))
	return tr
}

// runNow triggers a run over HTTP and waits for its workflow to end.
func runNow(t *testing.T, e *testenv.Env) workflows.ReconcileProgress {
	t.Helper()
	return wait(t, e, trigger(t, e))
}

func wait(t *testing.T, e *testenv.Env, tr triggered) workflows.ReconcileProgress {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var p workflows.ReconcileProgress
	require.NoError(t, e.Temporal.GetWorkflow(ctx, tr.WorkflowID, "").Get(ctx, &p), "reconciliation %s", tr.ID)
	require.Equal(t, tr.ID, p.RunID)
	return p
}

type runJSON struct {
	store.Run
	Discrepancies     []store.Discrepancy `json:"discrepancies"`
	MoreDiscrepancies bool                `json:"more_discrepancies"`
}

func getRun(t *testing.T, e *testenv.Env, id string) runJSON {
	t.Helper()
	resp := e.Do(http.MethodGet, "/reconciliation/runs/"+id, nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return testenv.Decode[runJSON](e, resp)
}

// eventually polls cond a bounded number of times.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 300 {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func status(t *testing.T, e *testenv.Env, id string) payout.Status {
	t.Helper()
	p, err := e.Store.GetPayout(context.Background(), id)
	require.NoError(t, err)
	return p.Status
}

func heleketStatus(e *testenv.Env, orderID string) string {
	p, ok := e.Sandbox.Payout(orderID)
	if !ok {
		return ""
	}
	return p.Status
}

// newPayout is a payout row as the API would store it.
func newPayout(id string) payout.Payout {
	return payout.Payout{ID: id, ClientID: "42", Asset: "USDT", Network: "tron", Amount: decimal.RequireFromString("12.5"),
		Address: tronAddress, Origin: payout.OriginManual, Status: payout.StatusRequested, IsSubtract: true,
		RequestedBy: testenv.AdminName, IdempotencyKey: id}
}

// createAtHeleket makes a payout at the sandbox directly, bypassing us.
func createAtHeleket(t *testing.T, e *testenv.Env, orderID, amount string) heleket.Payout {
	t.Helper()
	hp, err := e.Heleket.CreatePayout(context.Background(), heleket.CreatePayoutRequest{
		Amount: amount, Currency: "USDT", Network: "tron", OrderID: orderID, Address: tronAddress, IsSubtract: true,
	})
	require.NoError(t, err)
	return hp
}
