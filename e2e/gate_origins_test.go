package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/batch"
	"github.com/heleket-payouts/payouts/internal/metricstest"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/schedule"
)

// gateCount reads payouts_gate_total for one origin and outcome.
func gateCount(t *testing.T, origin, outcome string) float64 {
	return metricstest.Counter(t, "payouts_gate_total", map[string]string{"origin": origin, "outcome": outcome})
}

// gateDelta runs do and returns how many payouts the gate made and
// admitted from origin meanwhile.
func gateDelta(t *testing.T, origin string, do func()) (made, admitted float64) {
	m, a := gateCount(t, origin, "made"), gateCount(t, origin, "admitted")
	do()
	return gateCount(t, origin, "made") - m, gateCount(t, origin, "admitted") - a
}

// Every payout, whatever starts it, passes the one payout gate: an admin
// request, a campaign row and a schedule run are made by it, and their
// workflows and a reconciliation restart are admitted by it. The next
// money controls are added there once. Not parallel: the counters are
// process-wide.
func TestEveryOriginPassesThePayoutGate(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	ctx := context.Background()

	made, admitted := gateDelta(t, "api", func() {
		p := accepted(t, e, "gate-api", uniqueKey("gate-api"), body("3", tronAddress))
		e.WaitFinal(p.ID)
	})
	assert.Equal(t, [2]float64{1, 1}, [2]float64{made, admitted}, "API")

	made, admitted = gateDelta(t, "batch_row", func() {
		key := uniqueKey("gate-batch")
		rows := []batch.Row{{ClientID: "gate-b1", Asset: "USDT", Network: "tron", Amount: "1", Address: tronAddress},
			{ClientID: "gate-b2", Asset: "USDT", Network: "tron", Amount: "2", Address: tronAddress}}
		resp := postBatch(e, key, "application/json", jsonRows(t, rows))
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		resp.Body.Close()
		waitStarted(t, e, batch.ID(e.Installation, key))
		for i, r := range rows {
			e.WaitFinal(batch.PayoutID(e.Installation, key, r.ClientID, i))
		}
	})
	assert.Equal(t, [2]float64{2, 2}, [2]float64{made, admitted}, "campaign rows")

	made, admitted = gateDelta(t, "schedule_run", func() {
		clientID := uniqueKey("gate-sched")
		resp := createSchedule(e, clientID, scheduleBody(t, map[string]any{"name": "yearly", "asset": "USDT",
			"network": "tron", "amount": "4", "address": tronAddress, "cron": "0 0 1 1 *"}))
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		sc := testenv.Decode[scheduleJSON](e, resp)
		dropSchedule(t, e, sc.ID)
		at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		runResults(t, e, backfill(t, e, sc.ID, at.Add(-time.Hour), at.Add(time.Hour), 1))
		e.WaitFinal(schedule.RunPayoutID(e.Installation, clientID, sc.ID, at))
	})
	assert.Equal(t, [2]float64{1, 1}, [2]float64{made, admitted}, "schedule run")

	_, admitted = gateDelta(t, "restart", func() {
		// Stored, never started (the API died in between): reconciliation
		// restarts it.
		p := payout.Payout{ID: payout.DeriveID(e.Installation, "api", "gate-restart", uniqueKey("lost")), ClientID: "gate-restart",
			Asset: "USDT", Network: "tron", Amount: decimal.RequireFromString("5"), Address: tronAddress,
			Origin: payout.OriginManual, Status: payout.StatusRequested, RequestedBy: testenv.AdminName}
		_, created, err := e.Store.CreatePayout(ctx, p, testenv.AdminName, map[string]any{"via": "api"})
		require.NoError(t, err)
		require.True(t, created)
		tr, err := e.Service.TriggerReconciliation(ctx, access.NewActor(testenv.AdminName, nil))
		require.NoError(t, err)
		run := e.Temporal.GetWorkflow(ctx, tr.WorkflowID, "")
		require.NoError(t, run.Get(ctx, nil))
		e.WaitFinal(p.ID)
	})
	assert.Equal(t, float64(1), admitted, "reconciliation restart")
}
