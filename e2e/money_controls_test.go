package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/batch"
	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/workflows"
)

type heldJSON struct {
	ID         string          `json:"id"`
	Status     string          `json:"status"`
	WaitingFor *payout.Waiting `json:"waiting_for"`
}

func usdt(s string) map[string]decimal.Decimal {
	return map[string]decimal.Decimal{"USDT": decimal.RequireFromString(s)}
}

// Twenty concurrent 100 USDT requests for one client under a 1,000 USDT
// daily cap: the cap is decided under the client's lock inside the
// transaction that stores each payout, so exactly ten pass, never eleven.
func TestClientDailyCapHoldsUnderConcurrentRequests(t *testing.T) {
	e := testenv.New(t, testenv.Options{Controls: gate.Policy{ClientDailyLimits: usdt("1000")}})
	client := uniqueKey("cap")
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		answers = map[int]int{}
		reasons []string
	)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := create(e, client, fmt.Sprintf("cap-%d", i), body("100", tronAddress))
			var refusal errorJSON
			if resp.StatusCode == http.StatusUnprocessableEntity {
				refusal = testenv.Decode[errorJSON](e, resp)
			} else {
				resp.Body.Close()
			}
			mu.Lock()
			defer mu.Unlock()
			answers[resp.StatusCode]++
			reasons = append(reasons, refusal.Fields["amount"]...)
		}()
	}
	wg.Wait()
	assert.Equal(t, map[int]int{http.StatusAccepted: 10, http.StatusUnprocessableEntity: 10}, answers)
	require.NotEmpty(t, reasons)
	assert.Contains(t, reasons[0], "client "+client+"'s 24 h total would be 1,100 USDT, over its daily limit of 1,000")
	assert.Equal(t, 10, sqlCount(t, e, `SELECT count(*) FROM payouts WHERE client_id = $1`, client), "a refusal stores nothing")
	assert.Equal(t, 10, sqlCount(t, e, `SELECT count(*) FROM payout_events e JOIN payouts p ON p.id = e.payout_id
		WHERE p.client_id = $1 AND e.from_status IS NULL`, client), "one creation audit row per payout, none for refusals")
	// A repeat of an accepted request is answered, not counted again.
	for i := range 20 {
		resp := create(e, client, fmt.Sprintf("cap-%d", i), body("100", tronAddress))
		resp.Body.Close()
		if resp.StatusCode == http.StatusAccepted {
			assert.Equal(t, "true", resp.Header.Get("Idempotent-Replayed"))
		}
	}
}

// Splitting a large payout does not escape four-eyes: with a 1,000 USDT
// threshold, the second 600 USDT payout of one client in 24 hours waits,
// and says why and for whom.
func TestSplitPayoutWaitsForApprovalOnTheSecond(t *testing.T) {
	e := testenv.New(t, testenv.Options{ApprovalThresholds: usdt("1000")})
	client := uniqueKey("split")
	first := accepted(t, e, client, "split-1", body("600", tronAddress))
	assert.Equal(t, "requested", first.Status)
	second := accepted(t, e, client, "split-2", body("600", tronAddress))
	require.Equal(t, "awaiting_approval", second.Status)

	got := testenv.Decode[heldJSON](e, e.Do(http.MethodGet, "/payouts/"+second.ID, nil, nil))
	require.NotNil(t, got.WaitingFor)
	assert.Equal(t, payout.Waiting{Kind: payout.WaitApproval, Role: "approver",
		Reason: "client " + client + "'s 24 h total would be 1,200 USDT, over the approval threshold of 1,000"}, *got.WaitingFor)
	events, err := e.Store.Events(t.Context(), second.ID)
	require.NoError(t, err)
	require.NotEmpty(t, events)
	assert.Contains(t, fmt.Sprint(events[0].Details["waiting_for"]), "over the approval threshold", "the audit row explains the hold")

	resp, _ := decide(e, second.ID, "approve", testenv.SecondAdminToken)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, payout.StatusPaid, e.WaitFinal(second.ID).Status)
	released := testenv.Decode[heldJSON](e, e.Do(http.MethodGet, "/payouts/"+second.ID, nil, nil))
	assert.Nil(t, released.WaitingFor, "released: it waits for nothing")
}

// Under NEW_ADDRESS_POLICY=approve a payout to an address the client was
// never paid to, and that is not one of its wallets, waits for a second
// admin; one to its wallet does not. Under refuse it is refused.
func TestNewAddressWaitsUnderApproveAndIsRefusedUnderRefuse(t *testing.T) {
	e := testenv.New(t, testenv.Options{Controls: gate.Policy{NewAddressPolicy: gate.NewAddressApprove}})
	client := uniqueKey("dest")
	upsertDefaultWallet(t, e, client, "USDT", "tron", tronAddress)
	known := accepted(t, e, client, "to-wallet", body("5", tronAddress))
	assert.Equal(t, "requested", known.Status)
	fresh := accepted(t, e, client, "to-new", body("5", "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"))
	require.Equal(t, "awaiting_approval", fresh.Status)
	got := testenv.Decode[heldJSON](e, e.Do(http.MethodGet, "/payouts/"+fresh.ID, nil, nil))
	require.NotNil(t, got.WaitingFor)
	assert.Equal(t, payout.WaitDestination, got.WaitingFor.Kind)
	assert.Contains(t, got.WaitingFor.Reason, "is new for client "+client)
	assert.NotContains(t, got.WaitingFor.Reason, "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7", "the address is masked")

	refusing := testenv.New(t, testenv.Options{Controls: gate.Policy{NewAddressPolicy: gate.NewAddressRefuse}})
	resp := create(refusing, client, "to-new", body("5", "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"))
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	refusal := testenv.Decode[errorJSON](refusing, resp)
	assert.Contains(t, refusal.Fields["address"][0], "NEW_ADDRESS_POLICY=refuse")
	assert.Zero(t, payoutRows(t, refusing))
}

// A denied address is refused whatever the amount, and nothing is stored.
func TestDeniedAddressIsRefused(t *testing.T) {
	e := testenv.New(t, testenv.Options{Controls: gate.Policy{Denylist: gate.NewDenylist([]string{tronAddress})}})
	resp := create(e, uniqueKey("deny"), "deny-1", body("1", tronAddress))
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	refusal := testenv.Decode[errorJSON](e, resp)
	assert.Contains(t, refusal.Fields["address"][0], "is on the address denylist")
	assert.NotContains(t, refusal.Error, tronAddress)
	assert.Zero(t, payoutRows(t, e))
}

type heldCampaignJSON struct {
	ID         string          `json:"id"`
	State      string          `json:"state"`
	WaitingFor *payout.Waiting `json:"waiting_for"`
	NotStarted int             `json:"not_started"`
}

// Five 300 USDT rows under a 1,000 threshold: no row is over it, the
// campaign is. It waits as a whole, nothing reaches Heleket, its uploader
// cannot approve it, and a second admin's approval starts every row.
func TestCampaignOverTheThresholdWaitsAsAWhole(t *testing.T) {
	e := testenv.New(t, testenv.Options{ApprovalThresholds: usdt("1000")})
	rows := make([]batch.Row, 5)
	for i := range rows {
		rows[i] = batch.Row{ClientID: fmt.Sprintf("camp-%d", i), Asset: "USDT", Network: "tron", Amount: "300", Address: tronAddress}
	}
	key := uniqueKey("approve-campaign")
	resp := postBatch(e, key, "application/json", jsonRows(t, rows))
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	c := testenv.Decode[heldCampaignJSON](e, resp)
	require.Equal(t, "awaiting_approval", c.State)
	require.NotNil(t, c.WaitingFor)
	assert.Equal(t, payout.Waiting{Kind: payout.WaitApproval, Role: "approver",
		Reason: "the campaign's USDT total 1,500 is over the approval threshold of 1,000"}, *c.WaitingFor)

	// The workflow has read the stored state before anyone decides.
	waitBatchState(t, e, c.ID, "awaiting_approval")
	assert.Zero(t, e.Sandbox.Stats().Creates, "nothing goes out before the approval")
	rowIDs := sqlStrings(t, e, `SELECT payout_id FROM payout_batch_items WHERE batch_id = $1`, c.ID)
	require.NotEmpty(t, rowIDs)
	row := testenv.Decode[heldJSON](e, e.Do(http.MethodGet, "/payouts/"+rowIDs[0], nil, nil))
	require.NotNil(t, row.WaitingFor, "a row says what it waits for")
	assert.Equal(t, "campaign "+c.ID+" awaits approval as a whole: "+c.WaitingFor.Reason, row.WaitingFor.Reason)
	self := e.Do(http.MethodPost, "/payouts/batches/"+c.ID+"/approve", []byte(`{"reason":"mine"}`), nil)
	require.Equal(t, http.StatusConflict, self.StatusCode)
	assert.Contains(t, testenv.Decode[errorJSON](e, self).Error, "never its initiator")
	paused := e.Do(http.MethodPost, "/payouts/batches/"+c.ID+"/pause", nil, nil)
	assert.Equal(t, http.StatusConflict, paused.StatusCode, "approve or reject it first")
	paused.Body.Close()

	approve := e.Do(http.MethodPost, "/payouts/batches/"+c.ID+"/approve", []byte(`{"reason":"budget ok"}`),
		map[string]string{"Authorization": "Bearer " + testenv.SecondAdminToken})
	require.Equal(t, http.StatusOK, approve.StatusCode)
	approved := testenv.Decode[heldCampaignJSON](e, approve)
	assert.Nil(t, approved.WaitingFor)
	waitStarted(t, e, c.ID)
	ids := sqlStrings(t, e, `SELECT payout_id FROM payout_batch_items WHERE batch_id = $1`, c.ID)
	require.Len(t, ids, 5)
	for _, id := range ids {
		assert.Equal(t, payout.StatusPaid, e.WaitFinal(id).Status)
		assert.Nil(t, testenv.Decode[heldJSON](e, e.Do(http.MethodGet, "/payouts/"+id, nil, nil)).WaitingFor)
	}
	assert.Equal(t, 5, e.Sandbox.Stats().Creates)
	events, err := e.Store.BatchEvents(t.Context(), c.ID)
	require.NoError(t, err)
	require.NotEmpty(t, events)
	assert.Equal(t, "approved", events[0].Action)
	assert.Equal(t, testenv.SecondAdmin, events[0].Actor)
	checkRunReplay(t, e, workflows.BatchWorkflowID(c.ID), "", "batch_approved")
}

// A rejected campaign starts nothing: every row ends cancelled.
func TestRejectedCampaignStartsNothing(t *testing.T) {
	e := testenv.New(t, testenv.Options{ApprovalThresholds: usdt("100")})
	rows := []batch.Row{{ClientID: "rej-1", Asset: "USDT", Network: "tron", Amount: "300", Address: tronAddress}}
	resp := postBatch(e, uniqueKey("reject-campaign"), "application/json", jsonRows(t, rows))
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	c := testenv.Decode[heldCampaignJSON](e, resp)
	waitBatchState(t, e, c.ID, "awaiting_approval")
	reject := e.Do(http.MethodPost, "/payouts/batches/"+c.ID+"/reject", []byte(`{"reason":"not this month"}`),
		map[string]string{"Authorization": "Bearer " + testenv.SecondAdminToken})
	require.Equal(t, http.StatusOK, reject.StatusCode)
	assert.Equal(t, "cancelled", testenv.Decode[heldCampaignJSON](e, reject).State)
	ids := sqlStrings(t, e, `SELECT payout_id FROM payout_batch_items WHERE batch_id = $1`, c.ID)
	require.Len(t, ids, 1)
	row, err := e.Store.GetPayout(t.Context(), ids[0])
	require.NoError(t, err)
	assert.Equal(t, payout.StatusCancelled, row.Status, "cancelled before it ever started")
	assert.Contains(t, row.FailureReason, "rejected by "+testenv.SecondAdmin)
	assert.Zero(t, e.Sandbox.Stats().Creates)
	_, err = e.Temporal.DescribeWorkflowExecution(t.Context(), payout.WorkflowID(ids[0]), "")
	var nf *serviceerror.NotFound
	assert.ErrorAs(t, err, &nf, "no payout workflow for a rejected row")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	require.NoError(t, e.Temporal.GetWorkflow(ctx, workflows.BatchWorkflowID(c.ID), "").Get(ctx, nil))
	checkRunReplay(t, e, workflows.BatchWorkflowID(c.ID), "", "batch_rejected")
}

// waitBatchState asks the campaign's workflow until it reports the state.
func waitBatchState(t *testing.T, e *testenv.Env, id, state string) {
	for range 300 {
		v, err := e.Temporal.QueryWorkflow(t.Context(), workflows.BatchWorkflowID(id), "", workflows.QueryState)
		if err == nil {
			var p workflows.BatchProgress
			require.NoError(t, v.Get(&p))
			if p.State == state {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("campaign %s never reached %s", id, state)
}

func sqlStrings(t *testing.T, e *testenv.Env, query string, args ...any) []string {
	rows, err := e.Store.Pool().Query(t.Context(), query, args...)
	require.NoError(t, err)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return out
}

// A schedule of 600 USDT twice a day makes 1,200 USDT in 24 hours, over a
// 1,000 threshold: it is created paused and waits for a second admin
// before its first run. Its creator can neither resume nor approve it.
func TestScheduleOverTheThresholdWaitsBeforeItsFirstRun(t *testing.T) {
	e := testenv.New(t, testenv.Options{ApprovalThresholds: usdt("1000")})
	client := uniqueKey("sched-approval")
	resp := createSchedule(e, client, scheduleBody(t, map[string]any{"name": "twice_daily", "asset": "USDT", "network": "tron",
		"amount": "600", "address": tronAddress, "cron": "0 9,21 * * *"}))
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	type approvalJSON struct {
		ID         string          `json:"id"`
		State      string          `json:"state"`
		Approval   string          `json:"approval"`
		WaitingFor *payout.Waiting `json:"waiting_for"`
		NextRuns   []time.Time     `json:"next_runs"`
	}
	sc := testenv.Decode[approvalJSON](e, resp)
	dropSchedule(t, e, sc.ID)
	assert.Equal(t, "paused", sc.State)
	assert.Equal(t, "awaiting", sc.Approval)
	require.NotNil(t, sc.WaitingFor)
	assert.Equal(t, "2 runs in 24 hours of 600 USDT are 1,200 USDT, over the approval threshold of 1,000", sc.WaitingFor.Reason)
	assert.Empty(t, sc.NextRuns, "nothing runs before the approval")

	path := "/clients/" + client + "/payout-schedules/" + sc.ID
	resumed := e.Do(http.MethodPost, path+"/resume", nil, nil)
	assert.Equal(t, http.StatusConflict, resumed.StatusCode, "resuming is not approving")
	resumed.Body.Close()
	self := e.Do(http.MethodPost, path+"/approve", nil, nil)
	assert.Equal(t, http.StatusConflict, self.StatusCode)
	assert.Contains(t, testenv.Decode[errorJSON](e, self).Error, "never its initiator")

	approved := e.Do(http.MethodPost, path+"/approve", []byte(`{"reason":"payroll"}`),
		map[string]string{"Authorization": "Bearer " + testenv.SecondAdminToken})
	require.Equal(t, http.StatusOK, approved.StatusCode)
	after := testenv.Decode[approvalJSON](e, approved)
	assert.Equal(t, "active", after.State)
	assert.Equal(t, "approved", after.Approval)
	assert.Nil(t, after.WaitingFor)
	again := e.Do(http.MethodPost, path+"/approve", nil, map[string]string{"Authorization": "Bearer " + testenv.SecondAdminToken})
	assert.Equal(t, http.StatusOK, again.StatusCode, "approving again changes nothing")
	again.Body.Close()

	for range 2 {
		paused := e.Do(http.MethodPost, path+"/pause", nil, nil)
		require.Equal(t, http.StatusOK, paused.StatusCode)
		paused.Body.Close()
	}
	events, err := e.Store.ScheduleEvents(t.Context(), sc.ID)
	require.NoError(t, err)
	require.Len(t, events, 3, "one audit row per change, none for a repeated pause: %v", events)
	assert.Equal(t, "paused", events[2].Action)
	assert.Equal(t, "awaiting_approval", events[0].Action)
	assert.Equal(t, testenv.AdminName, events[0].Actor)
	assert.Equal(t, "approved", events[1].Action)
	assert.Equal(t, testenv.SecondAdmin, events[1].Actor)
}

// A wallet added under WALLET_CHANGE_COOLDOWN holds the payouts to it
// until a second admin approves it; a disabled wallet is no default and is
// never paid; each change is in the wallet's audit trail.
func TestWalletCooldownApprovalAndDisable(t *testing.T) {
	e := testenv.New(t, testenv.Options{Controls: gate.Policy{WalletCooldown: time.Hour}})
	client := uniqueKey("cooldown")
	put := e.Do(http.MethodPut, "/clients/"+client+"/wallets",
		[]byte(`{"asset":"USDT","network":"tron","address":"`+tronAddress+`","default":true}`), nil)
	require.Equal(t, http.StatusOK, put.StatusCode)
	put.Body.Close()
	held := accepted(t, e, client, "to-new-wallet", []byte(`{"asset":"USDT","network":"tron","amount":"5"}`))
	require.Equal(t, "awaiting_approval", held.Status, "the default wallet is inside its cooldown")
	got := testenv.Decode[heldJSON](e, e.Do(http.MethodGet, "/payouts/"+held.ID, nil, nil))
	require.NotNil(t, got.WaitingFor)
	assert.Equal(t, payout.WaitDestination, got.WaitingFor.Kind)
	assert.Contains(t, got.WaitingFor.Reason, "WALLET_CHANGE_COOLDOWN")

	at := []byte(`{"asset":"USDT","network":"tron","address":"` + tronAddress + `"}`)
	self := e.Do(http.MethodPost, "/clients/"+client+"/wallets/approve", at, nil)
	assert.Equal(t, http.StatusConflict, self.StatusCode, "the admin who added it cannot release it")
	self.Body.Close()
	approve := e.Do(http.MethodPost, "/clients/"+client+"/wallets/approve", at,
		map[string]string{"Authorization": "Bearer " + testenv.SecondAdminToken})
	require.Equal(t, http.StatusOK, approve.StatusCode)
	approve.Body.Close()
	released := accepted(t, e, client, "after-approval", []byte(`{"asset":"USDT","network":"tron","amount":"5"}`))
	assert.Equal(t, "requested", released.Status)
	assert.Equal(t, payout.StatusPaid, e.WaitFinal(released.ID).Status)

	disable := e.Do(http.MethodPost, "/clients/"+client+"/wallets/disable", at, nil)
	require.Equal(t, http.StatusOK, disable.StatusCode)
	disable.Body.Close()
	noDefault := create(e, client, "no-default", []byte(`{"asset":"USDT","network":"tron","amount":"5"}`))
	assert.Equal(t, http.StatusUnprocessableEntity, noDefault.StatusCode, "a disabled wallet is no default")
	noDefault.Body.Close()
	explicit := create(e, client, "explicit", body("5", tronAddress))
	require.Equal(t, http.StatusUnprocessableEntity, explicit.StatusCode)
	assert.Contains(t, testenv.Decode[errorJSON](e, explicit).Fields["address"][0], "disabled wallet")

	events, err := e.Store.WalletEvents(t.Context(), client)
	require.NoError(t, err)
	var trail []string
	for _, ev := range events {
		trail = append(trail, ev.Action+":"+ev.Actor)
	}
	assert.Equal(t, []string{"added:" + testenv.AdminName, "approved:" + testenv.SecondAdmin, "disabled:" + testenv.AdminName}, trail)
}

// A wallet disabled while a payout to it waits for approval stops the
// payout when it would be sent: the gate's last check rejects it before
// Heleket hears of it.
func TestWalletDisabledWhileAPayoutWaitsStopsItAtSendTime(t *testing.T) {
	e := testenv.New(t, testenv.Options{ApprovalThresholds: usdt("100")})
	client := uniqueKey("disabled-later")
	upsertDefaultWallet(t, e, client, "USDT", "tron", tronAddress)
	held := accepted(t, e, client, "big", []byte(`{"asset":"USDT","network":"tron","amount":"500"}`))
	require.Equal(t, "awaiting_approval", held.Status)
	at := []byte(`{"asset":"USDT","network":"tron","address":"` + tronAddress + `"}`)
	disable := e.Do(http.MethodPost, "/clients/"+client+"/wallets/disable", at, nil)
	require.Equal(t, http.StatusOK, disable.StatusCode)
	disable.Body.Close()

	resp, _ := decide(e, held.ID, "approve", testenv.SecondAdminToken)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	final := e.WaitFinal(held.ID)
	assert.Equal(t, payout.StatusRejected, final.Status)
	assert.Contains(t, final.FailureReason, "disabled since the payout was made")
	assert.Zero(t, e.Sandbox.Stats().Creates, "never sent")
}

// A run of a schedule still awaiting approval (triggered by hand in the
// Temporal UI, say) pays nothing and says why.
func TestRunOfAnUnapprovedScheduleIsRefused(t *testing.T) {
	e := testenv.New(t, testenv.Options{ApprovalThresholds: usdt("1000")})
	client := uniqueKey("unapproved-run")
	resp := createSchedule(e, client, scheduleBody(t, map[string]any{"name": "big", "asset": "USDT", "network": "tron",
		"amount": "1500", "address": tronAddress, "cron": "0 9 1 * *"}))
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	sc := testenv.Decode[scheduleJSON](e, resp)
	dropSchedule(t, e, sc.ID)
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	actions := backfill(t, e, sc.ID, from, from.Add(24*time.Hour), 1)
	require.Len(t, actions, 1)
	run := e.Temporal.GetWorkflow(t.Context(), actions[0].StartWorkflowResult.WorkflowID, actions[0].StartWorkflowResult.FirstExecutionRunID)
	err := run.Get(t.Context(), nil)
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	assert.Equal(t, activities.ErrTypeScheduleNotApproved, appErr.Type())
	assert.Contains(t, appErr.Message(), "awaits approval")
	assert.Zero(t, sqlCount(t, e, `SELECT count(*) FROM payouts WHERE client_id = $1`, client), "nothing stored, nothing paid")
}
