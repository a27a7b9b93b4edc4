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
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/workflows"
)

// The paths of the payout and scheduled-payout workflows that no other
// end-to-end test records (decisions_test.go, payout_test.go and
// installation_test.go record theirs with checkReplay).

// A payout that Heleket keeps in "process" polls until its run's history
// reaches the input's bound, continues as new with its counts, poll
// interval and stored record, and is paid in a later run. The bound is the
// workflow input's MaxHistory, set low so this takes a few polls.
func TestPollingPayoutContinuesAsNewAndEndsPaid(t *testing.T) {
	timing := workflows.Timing{WebhookWait: 100 * time.Millisecond, PollInitial: 100 * time.Millisecond, PollMax: 200 * time.Millisecond}
	e := testenv.New(t, testenv.Options{SettleAfter: time.Hour, Timing: timing})
	ctx := context.Background()
	key := uniqueKey("continue-as-new")
	p := payout.Payout{ID: payout.DeriveID(e.Installation, "api", "c70", key), ClientID: "c70", Asset: "USDT", Network: "tron",
		Amount: decimal.RequireFromString("9"), Address: tronAddress, Origin: payout.OriginManual, Status: payout.StatusRequested,
		IsSubtract: true, RequestedBy: testenv.AdminName, IdempotencyKey: key}
	stored, created, err := e.Store.CreatePayout(ctx, p, testenv.AdminName, map[string]any{"via": "api"})
	require.NoError(t, err)
	require.True(t, created)
	// Started as the API starts a stored payout, with a low history bound.
	const bound = 40
	run, err := e.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: payout.WorkflowID(p.ID), TaskQueue: e.TaskQueue,
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.SearchAttributes(stored)...), StaticSummary: workflows.Summary(stored)},
		workflows.PayoutWorkflowName, workflows.PayoutInput{Payout: stored, Timing: timing, Persisted: true, MaxHistory: bound})
	require.NoError(t, err)
	firstRun := run.GetRunID()

	next := continuedInput(t, e, run.GetID(), firstRun)
	assert.Equal(t, bound, next.MaxHistory, "the bound carries over")
	assert.True(t, next.Persisted)
	assert.Equal(t, payout.StatusProcessing, next.Payout.Status, "the next run starts from the stored record")
	assert.Positive(t, next.Polls)
	assert.Positive(t, next.PollInterval, "the next run goes on polling")

	require.NoError(t, e.Sandbox.SetStatus(p.ID, heleket.StatusPaid))
	final := e.WaitFinal(p.ID)
	assert.Equal(t, payout.StatusPaid, final.Status)
	assert.Equal(t, 1, e.Sandbox.Stats().Creates)
	// "processing" comes by webhook or by the first poll, whichever is first.
	trail := e.Trail(p.ID)
	require.Len(t, trail, 4, "one row per change across the runs: %v", trail)
	assert.Equal(t, []string{"api:->requested", "workflow:requested->submitted"}, trail[:2])
	assert.True(t, strings.HasSuffix(trail[2], ":submitted->processing"), trail[2])
	assert.True(t, strings.HasSuffix(trail[3], ":processing->paid"), trail[3])

	var res workflows.PayoutState
	require.NoError(t, e.Temporal.GetWorkflow(ctx, run.GetID(), "").Get(ctx, &res), "the last run's result")
	assert.Equal(t, payout.StatusPaid, res.Status)
	assert.Equal(t, "finished", res.Phase)
	assert.GreaterOrEqual(t, res.Polls, next.Polls, "polls count across runs")
	checkRunReplay(t, e, run.GetID(), firstRun, "payout_continue_as_new_first_run")
	checkReplay(t, e, p.ID, "payout_continue_as_new_last_run")
}

// continuedInput waits until the run has continued as new and returns the
// input it handed to the next run.
func continuedInput(t *testing.T, e *testenv.Env, workflowID, runID string) workflows.PayoutInput {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	closed := e.Temporal.GetWorkflowHistory(ctx, workflowID, runID, true, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
	require.True(t, closed.HasNext())
	ev, err := closed.Next()
	require.NoError(t, err)
	attrs := ev.GetWorkflowExecutionContinuedAsNewEventAttributes()
	require.NotNil(t, attrs, "run %s ended with %s, not continue-as-new", runID, ev.GetEventType())
	var in workflows.PayoutInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(attrs.GetInput(), &in))
	return in
}

// One scheduled time: the ScheduledPayout run stores the payout and starts
// it as a child, which is paid; the same time again finds the child there.
func TestScheduledPayoutAndItsChildReplay(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	clientID := uniqueKey("sched-replay")
	upsertDefaultWallet(t, e, clientID, "USDT", "tron", tronAddress)
	resp := createSchedule(e, clientID, scheduleBody(t, map[string]any{"name": "yearly", "asset": "USDT", "network": "tron",
		"amount": "3", "cron": "0 0 1 1 *"}))
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	sc := testenv.Decode[scheduleJSON](e, resp)
	dropSchedule(t, e, sc.ID)

	from, to := time.Date(2023, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	first := backfill(t, e, sc.ID, from, to, 1)
	res := runResults(t, e, first)
	require.Len(t, res, 1)
	id := res[0].PayoutID
	assert.Equal(t, workflows.ScheduledPayoutResult{PayoutID: id, ScheduledAt: at, Started: true}, res[0])
	assert.Equal(t, payout.StatusPaid, e.WaitFinal(id).Status)
	started := first[0].StartWorkflowResult
	checkRunReplay(t, e, started.WorkflowID, started.FirstExecutionRunID, "scheduled_payout_started")
	checkReplay(t, e, id, "scheduled_payout_child")

	again := backfill(t, e, sc.ID, from, to, 2)
	res = runResults(t, e, again[1:])
	assert.Equal(t, workflows.ScheduledPayoutResult{PayoutID: id, ScheduledAt: at, Started: false}, res[0])
	assert.Equal(t, 1, e.Sandbox.Stats().Creates)
	repeated := again[1].StartWorkflowResult
	checkRunReplay(t, e, repeated.WorkflowID, repeated.FirstExecutionRunID, "scheduled_payout_already_started")
}
