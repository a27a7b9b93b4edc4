package reconcile_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/heleket/sandbox"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/reconcile"
	"github.com/heleket-payouts/payouts/workflows"
)

// slowTiming keeps payout workflows waiting for webhooks, never polling,
// so only reconciliation can find out what Heleket knows.
var slowTiming = workflows.Timing{WebhookWait: time.Hour, PollInitial: time.Hour, PollMax: time.Hour}

func createOverHTTP(t *testing.T, e *testenv.Env, key, address string) string {
	t.Helper()
	body, err := json.Marshal(map[string]string{"asset": "USDT", "network": "tron", "amount": "12.5", "address": address})
	require.NoError(t, err)
	resp := e.Do(http.MethodPost, "/clients/42/payout", body, map[string]string{"Idempotency-Key": key})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("create payout: HTTP %d: %v", resp.StatusCode, testenv.Decode[map[string]any](e, resp))
	}
	return testenv.Decode[struct {
		ID string `json:"id"`
	}](e, resp).ID
}

func TestDroppedWebhooksAndTerminatedWorkflowAreRepairedFromHeleket(t *testing.T) {
	e := testenv.New(t, testenv.Options{Timing: slowTiming})
	e.Sandbox.SetFaults(sandbox.Faults{WebhookDropRate: 1})
	id := createOverHTTP(t, e, "dropped-"+t.Name(), tronAddress)

	eventually(t, "payout submitted here", func() bool { return status(t, e, id) == payout.StatusSubmitted })
	eventually(t, "payout paid at Heleket", func() bool { return heleketStatus(e, id) == "paid" })
	ctx := context.Background()
	require.NoError(t, e.Temporal.TerminateWorkflow(ctx, payout.WorkflowID(id), "", "test: the workflow is lost"))
	require.Equal(t, payout.StatusSubmitted, status(t, e, id), "nobody told us about the payment")

	res := runNow(t, e)
	assert.Equal(t, reconcile.StatusSucceeded, res.Status)
	assert.Equal(t, 1, res.Counts.HeleketAhead)

	p, err := e.Store.GetPayout(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, payout.StatusPaid, p.Status)
	hp, _ := e.Sandbox.Payout(id)
	assert.Equal(t, hp.TxID, p.TxID)
	assert.True(t, p.Commission.Valid)
	trail := e.Trail(id)
	assert.Equal(t, "reconcile:submitted->paid", trail[len(trail)-1])
	events, err := e.Store.Events(ctx, id)
	require.NoError(t, err)
	last := events[len(events)-1]
	assert.Equal(t, "reconciliation", last.Actor)
	assert.Equal(t, res.RunID, last.Details["run_id"])
}

func TestLostStartIsResumedAndPaidOnce(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	p := newPayout(payout.DeriveID(e.Installation, "api", "42", "lost-start"))
	_, created, err := e.Store.CreatePayout(ctx, p, testenv.AdminName, map[string]any{"via": "api"})
	require.NoError(t, err)
	require.True(t, created)

	res := runNow(t, e)
	assert.Equal(t, 1, res.Counts.Resumed)
	assert.Equal(t, 1, res.Counts.OpenPayouts)

	final := e.WaitFinal(p.ID)
	assert.Equal(t, payout.StatusPaid, final.Status)
	atHeleket := 0
	for _, hp := range e.Sandbox.Payouts() {
		if hp.OrderID == p.ID {
			atHeleket++
		}
	}
	assert.Equal(t, 1, atHeleket, "exactly one Heleket payout")
	assert.Equal(t, 1, e.Sandbox.Stats().Creates)
}

func TestOrphanAtHeleketIsReportedAndAlerted(t *testing.T) {
	a := testenv.NewAlerts(t)
	e := testenv.New(t, testenv.Options{AlertWebhookURL: a.URL()})
	createAtHeleket(t, e, "orphan-made-by-hand", "7.25")

	res := runNow(t, e)
	assert.Equal(t, 1, res.Counts.Orphans)
	assert.Equal(t, 1, res.Counts.AlertsSent)

	run := getRun(t, e, res.RunID)
	assert.Equal(t, reconcile.StatusSucceeded, run.Status)
	require.Len(t, run.Discrepancies, 1)
	d := run.Discrepancies[0]
	assert.Equal(t, reconcile.KindOrphan, d.Kind)
	assert.Equal(t, "orphan-made-by-hand", d.OrderID)
	assert.Empty(t, d.PayoutID)
	assert.Equal(t, "7.25", d.Theirs["amount"])
	assert.NotNil(t, d.AlertedAt)

	sent := a.Await(t, "orphan", 1)
	assert.Equal(t, "orphan-made-by-hand", sent[0].OrderID)
	assert.Contains(t, sent[0].Text, "orphan-made-by-hand")
	_, raw := a.Received()
	for _, body := range raw {
		assert.NotContains(t, body, tronAddress, "alerts never carry addresses")
	}
}

func TestStuckAndFailedPayoutsAreFlaggedAndAlerted(t *testing.T) {
	a := testenv.NewAlerts(t)
	e := testenv.New(t, testenv.Options{AlertWebhookURL: a.URL(),
		Reconcile: activities.ReconcileSettings{StuckAfter: time.Millisecond}})
	const stuckAddr, failAddr = "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbSt", "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbFa"
	e.Sandbox.ForceOutcome(stuckAddr, "process")
	e.Sandbox.ForceOutcome(failAddr, "fail")
	stuck := createOverHTTP(t, e, "stuck-"+t.Name(), stuckAddr)
	failed := createOverHTTP(t, e, "failed-"+t.Name(), failAddr)
	assert.Equal(t, payout.StatusFailed, e.WaitFinal(failed).Status)
	eventually(t, "stuck payout processing", func() bool { return status(t, e, stuck) == payout.StatusProcessing })

	res := runNow(t, e)
	assert.Equal(t, 1, res.Counts.Stuck)
	assert.Equal(t, 1, res.Counts.FailedPayouts)

	p, err := e.Store.GetPayout(context.Background(), stuck)
	require.NoError(t, err)
	var flagged bool
	require.NoError(t, e.Store.Pool().QueryRow(context.Background(),
		`SELECT needs_attention FROM payouts WHERE id = $1`, stuck).Scan(&flagged))
	assert.True(t, flagged)
	assert.Equal(t, payout.StatusProcessing, p.Status, "stuck is a flag, not a status")
	assert.Contains(t, e.Trail(stuck), "reconcile:processing->processing", "the flag has its audit row")

	kinds := map[reconcile.Kind]string{}
	for _, d := range getRun(t, e, res.RunID).Discrepancies {
		kinds[d.Kind] = d.OrderID
	}
	assert.Equal(t, map[reconcile.Kind]string{reconcile.KindStuck: stuck, reconcile.KindPayoutFailed: failed}, kinds)
	a.Await(t, "stuck", 1)
	assert.Equal(t, failed, a.Await(t, "payout_failed", 1)[0].PayoutID)
}

// Two triggers at once join one run; a rerun over the same window then
// finds everything in order and changes nothing.
func TestConcurrentTriggersJoinOneRunAndARerunChangesNothing(t *testing.T) {
	a := testenv.NewAlerts(t)
	// Without a worker the run cannot finish, so the triggers overlap for
	// sure; the overlap makes the rerun read the same Heleket history again.
	e := testenv.New(t, testenv.Options{NoWorker: true, AlertWebhookURL: a.URL(),
		Reconcile: activities.ReconcileSettings{Overlap: 72 * time.Hour}})
	ctx := context.Background()
	createAtHeleket(t, e, "orphan-rerun", "3")
	lost := newPayout(payout.DeriveID(e.Installation, "api", "42", "lost-rerun"))
	_, _, err := e.Store.CreatePayout(ctx, lost, testenv.AdminName, nil)
	require.NoError(t, err)

	var wg sync.WaitGroup
	got := make([]triggered, 2)
	for i := range got {
		wg.Go(func() { got[i] = trigger(t, e) })
	}
	wg.Wait()
	assert.Equal(t, got[0].ID, got[1].ID, "both triggers name the same run")
	assert.NotEqual(t, got[0].Joined, got[1].Joined, "one started it, the other joined")

	e.StartWorker()
	first := wait(t, e, got[0])
	assert.Equal(t, reconcile.StatusSucceeded, first.Status)
	assert.Equal(t, 1, first.Counts.Resumed)
	assert.Equal(t, 1, first.Counts.Orphans)
	assert.Equal(t, payout.StatusPaid, e.WaitFinal(lost.ID).Status)
	runs, err := e.Store.ListRuns(ctx, "", 10)
	require.NoError(t, err)
	assert.Len(t, runs, 1, "one run for two triggers")

	before := snapshot(t, e, a)
	second := runNow(t, e)
	assert.NotEqual(t, first.RunID, second.RunID)
	assert.Equal(t, reconcile.StatusSucceeded, second.Status)
	assert.False(t, second.Window.From.After(first.Window.From.Add(time.Minute)), "the rerun reads the same history")
	assert.Equal(t, first.Counts.HeleketItems+1, second.Counts.HeleketItems, "plus the resumed payout's own Heleket record")
	assert.Zero(t, second.Counts.HeleketAhead+second.Counts.Resumed+second.Counts.NewDiscrepancies+second.Counts.AlertsSent)
	assert.Equal(t, before, snapshot(t, e, a), "a rerun changes nothing")
}

// snapshot is everything a rerun must leave alone.
func snapshot(t *testing.T, e *testenv.Env, a *testenv.Alerts) map[string]any {
	t.Helper()
	ctx := context.Background()
	q := func(sql string) string {
		var s string
		require.NoError(t, e.Store.Pool().QueryRow(ctx, sql).Scan(&s))
		return s
	}
	return map[string]any{
		"payouts":       q(`SELECT coalesce(string_agg(id || status || updated_at::text || needs_attention::text, ',' ORDER BY id), '') FROM payouts`),
		"events":        q(`SELECT count(*)::text FROM payout_events`),
		"discrepancies": q(`SELECT coalesce(string_agg(id::text || kind || coalesce(alerted_at::text, '') || coalesce(resolved_at::text, ''), ',' ORDER BY id), '') FROM reconciliation_discrepancies`),
		"creates":       e.Sandbox.Stats().Creates,
		"alerts":        q(`SELECT count(*)::text FROM alerts`), // raised; the dispatcher posts them in its own time
	}
}

func TestRunsNeverOverlap(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	ctx := context.Background()
	_, err := e.Store.Pool().Exec(ctx, `
		INSERT INTO reconciliation_runs (id, trigger, workflow_id, status, window_from, window_to, started_at, heartbeat_at)
		VALUES ('held-run', 'schedule', 'elsewhere', 'running', now() - interval '1 hour', now(), now(), now())`)
	require.NoError(t, err)

	tr := trigger(t, e)
	assert.Equal(t, triggered{ID: "held-run", WorkflowID: "elsewhere", Joined: true}, tr, "a trigger joins the run in progress")

	// A scheduled start at the same moment finds the lease taken.
	opts := client.StartWorkflowOptions{ID: "payout-reconciliation-scheduled-" + e.TaskQueue, TaskQueue: e.TaskQueue}
	run, err := e.Temporal.ExecuteWorkflow(ctx, opts, workflows.ReconcileWorkflowName, workflows.ReconcileInput{Trigger: "schedule"})
	require.NoError(t, err)
	res := wait(t, e, triggered{ID: run.GetRunID(), WorkflowID: run.GetID()})
	assert.Equal(t, reconcile.StatusSkipped, res.Status)
	assert.Equal(t, "held-run", res.HeldBy)
	skipped := getRun(t, e, res.RunID)
	assert.Equal(t, reconcile.StatusSkipped, skipped.Status)
	assert.Equal(t, "held-run", skipped.HeldBy)
	checkReplay(t, e, run.GetID(), run.GetRunID(), "reconcile_skipped")
}

func TestRunRoutesRefuseBadInput(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true})
	resp := e.Do(http.MethodGet, "/reconciliation/runs?limit=0&colour=red", nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	body := testenv.Decode[struct {
		Fields map[string][]string `json:"fields"`
	}](e, resp)
	assert.Contains(t, body.Fields, "limit")
	assert.Contains(t, body.Fields, "colour")

	resp = e.Do(http.MethodGet, "/reconciliation/runs/no-such-run", nil, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp.Body.Close()

	resp = e.Do(http.MethodPost, "/payouts/reconcile", []byte(`{"now":true}`), nil)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp.Body.Close()
	runs, err := e.Store.ListRuns(context.Background(), "", 10)
	require.NoError(t, err)
	assert.Empty(t, runs, "a refused trigger starts nothing")
}

// An alert raised while the channel is down waits in the outbox, retried,
// and is delivered once the channel is back, by no new run: once.
func TestAnAlertWhoseChannelIsDownIsDeliveredWhenItComesBack(t *testing.T) {
	a := testenv.NewAlerts(t)
	e := testenv.New(t, testenv.Options{AlertWebhookURL: a.URL()})
	createAtHeleket(t, e, "orphan-alert-retry", "1")
	a.SetDown(true)

	first := runNow(t, e)
	assert.Equal(t, reconcile.StatusSucceeded, first.Status, "a channel down does not fail the run")
	assert.Equal(t, 1, first.Counts.AlertsSent, "raised into the outbox")
	d := getRun(t, e, first.RunID).Discrepancies
	require.Len(t, d, 1)
	assert.NotNil(t, d[0].AlertedAt)
	eventually(t, "the alert refused twice", func() bool {
		var attempts int
		require.NoError(t, e.Store.Pool().QueryRow(context.Background(),
			`SELECT attempts FROM alerts WHERE dedupe_key = 'orphan:orphan-alert-retry' AND delivered_at IS NULL`).Scan(&attempts))
		return attempts >= 2
	})
	assert.Empty(t, a.OfKind("orphan"))

	a.SetDown(false)
	got := a.Await(t, "orphan", 1)
	assert.Equal(t, "orphan-alert-retry", got[0].OrderID)
	eventually(t, "the alert marked delivered", func() bool {
		pending, err := e.Store.PendingAlerts(context.Background(), 10)
		require.NoError(t, err)
		return len(pending) == 0
	})

	second := runNow(t, e)
	assert.Zero(t, second.Counts.AlertsSent, "alerted once")
	assert.Zero(t, second.Counts.NewDiscrepancies)
	assert.Len(t, a.OfKind("orphan"), 1)
}

// With the workflow still running, reconciliation hands it Heleket's
// status; the workflow confirms and records it, naming reconciliation as
// the source.
func TestARunningWorkflowIsToldWhatHeleketKnows(t *testing.T) {
	e := testenv.New(t, testenv.Options{Timing: slowTiming})
	e.Sandbox.SetFaults(sandbox.Faults{WebhookDropRate: 1})
	id := createOverHTTP(t, e, "signalled-"+t.Name(), tronAddress)
	eventually(t, "payout submitted here", func() bool { return status(t, e, id) == payout.StatusSubmitted })
	eventually(t, "payout paid at Heleket", func() bool { return heleketStatus(e, id) == "paid" })

	res := runNow(t, e)
	// Once as a Heleket item, and once more as an open payout unless the
	// workflow recorded the status in between; a second signal is harmless.
	assert.GreaterOrEqual(t, res.Counts.HeleketAhead, 1)
	assert.Zero(t, res.Counts.Resumed, "the workflow was running")
	final := e.WaitFinal(id)
	assert.Equal(t, payout.StatusPaid, final.Status)
	trail := e.Trail(id)
	assert.Equal(t, "reconcile:submitted->paid", trail[len(trail)-1], "recorded by the workflow, after its own confirmation")
}
