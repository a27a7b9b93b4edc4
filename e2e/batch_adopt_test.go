package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/batch"
	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/workflows"
)

// A campaign stored by the release before campaigns were workflows has
// rows and no workflow, and reconciliation no longer starts campaign rows:
// the worker adopts it when it starts. Its first row was started by the old
// release; only the other two are started now, and each is paid once.
func TestCampaignStoredBeforeWorkflowsIsAdopted(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	rows := []batch.Row{
		{ClientID: "old-1", Asset: "USDT", Network: "tron", Amount: "3", Address: tronAddress},
		{ClientID: "old-2", Asset: "USDT", Network: "tron", Amount: "4", Address: tronAddress},
		{ClientID: "old-3", Asset: "USDT", Network: "tron", Amount: "5", Address: tronAddress},
	}
	key := uniqueKey("legacy-campaign")
	// IDs as the old release made them: no installation.
	b, payouts := storeCampaignWithoutWorkflow(t, e, "", key, rows)
	// The old release started rows in payout ID order; the first one made it.
	first := payouts[0]
	for _, p := range payouts {
		if p.ID < first.ID {
			first = p
		}
	}
	_, err := e.Starter.Start(ctx, first, gate.FromBatch)
	require.NoError(t, err)
	require.NoError(t, e.Store.MarkBatchStarted(ctx, b.ID, []string{first.ID}))

	adopted, err := e.Service.AdoptStoredCampaigns(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, adopted)
	again, err := e.Service.AdoptStoredCampaigns(ctx)
	require.NoError(t, err)
	assert.Zero(t, again, "a campaign with a workflow is its workflow's")

	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var progress workflows.BatchProgress
	require.NoError(t, e.Temporal.GetWorkflow(wctx, workflows.BatchWorkflowID(b.ID), "").Get(wctx, &progress))
	assert.Equal(t, workflows.BatchProgress{BatchID: b.ID, Rows: 3, Started: 3, State: "started"}, progress,
		"the row the old release started counts, and is not started again")
	for _, p := range payouts {
		assert.Equal(t, payout.StatusPaid, e.WaitFinal(p.ID).Status, p.ID)
	}
	assert.Equal(t, 3, e.Sandbox.Stats().Creates, "one Heleket payout per row")
	got := testenv.Decode[batchJSON](e, e.Do(http.MethodGet, "/payouts/batches/"+b.ID, nil, nil))
	assert.Zero(t, got.NotStarted)
	stored, err := e.Store.GetBatch(ctx, b.ID)
	require.NoError(t, err)
	assert.Equal(t, store.BatchStarted, stored.State)
}

// A page reads a campaign row open, its workflow finishes, then the page
// starts it: the start joins the closed run instead of running the
// payout again (no second create at Heleket's door).
func TestCampaignRowStartedAfterItsWorkflowClosedIsNotRunAgain(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	key := uniqueKey("closed-row")
	p := payout.Payout{ID: batch.PayoutID(e.Installation, key, "cr-1", 0), ClientID: "cr-1", Asset: "USDT", Network: "tron",
		Amount: decimal.RequireFromString("3"), Address: tronAddress, Origin: payout.OriginBonus,
		Status: payout.StatusRequested, IsSubtract: true, RequestedBy: testenv.AdminName}
	stored, _, err := e.Store.CreatePayout(ctx, p, testenv.AdminName, nil)
	require.NoError(t, err)
	_, err = e.Starter.Start(ctx, stored, gate.FromBatch)
	require.NoError(t, err)
	require.Equal(t, payout.StatusPaid, e.WaitFinal(p.ID).Status)

	// The page's stale read: the row as it was before its workflow ran.
	run, err := e.Starter.Start(ctx, stored, gate.FromBatch)
	require.NoError(t, err)
	require.NoError(t, run.Get(ctx, nil))
	assert.Equal(t, 1, countWorkflows(t, e, p.ID), "one run of the payout's workflow")
	assert.Equal(t, 1, e.Sandbox.Stats().Creates)
}

// storeCampaignWithoutWorkflow stores a campaign's rows as the API does,
// under the installation's IDs ("": the release before installation IDs),
// and starts nothing: what a crash before the starts, or an older release,
// leaves behind.
func storeCampaignWithoutWorkflow(t *testing.T, e *testenv.Env, installation, key string, rows []batch.Row) (store.Batch, []payout.Payout) {
	t.Helper()
	valid, batchErrs, rowErrs := batch.Validate(key, rows, payout.Limits{})
	require.True(t, batchErrs.Empty())
	require.Empty(t, rowErrs)
	payouts := make([]payout.Payout, len(valid))
	for i, v := range valid {
		payouts[i] = payout.Payout{ID: batch.PayoutID(installation, key, v.ClientID, i), ClientID: v.ClientID, Asset: v.Asset,
			Network: v.Network, Amount: v.Amount, Address: v.Address, Origin: payout.OriginBonus,
			Status: payout.StatusRequested, IsSubtract: true, RequestedBy: testenv.AdminName}
	}
	b := store.Batch{ID: batch.ID(installation, key), IdempotencyKey: key, Fingerprint: batch.Fingerprint(valid),
		RowCount: len(rows), RequestedBy: testenv.AdminName}
	_, created, err := e.Store.CreateBatch(context.Background(), b, payouts)
	require.NoError(t, err)
	require.True(t, created)
	return b, payouts
}
