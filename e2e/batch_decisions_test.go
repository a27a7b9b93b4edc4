package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/batch"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/payoutworker"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/workflows"
)

// Campaign decisions (pause, resume, cancel) over HTTP, and the recorded
// histories of the Batch workflow's paths.

// campaignJSON is GET /payouts/batches/{id}, and the answer of a decision.
type campaignJSON struct {
	ID         string         `json:"id"`
	State      string         `json:"state"`
	Rows       int            `json:"rows"`
	NotStarted int            `json:"not_started"`
	Statuses   map[string]int `json:"statuses"`
}

type campaignListJSON struct {
	Items []struct {
		ID    string `json:"id"`
		Rows  int    `json:"rows"`
		State string `json:"state"`
	} `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

type campaignPayoutsJSON struct {
	Items []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// pageGate stands in for the StartBatchPage activity and holds chosen
// pages (1 is the first) until the test releases them, then runs the real
// activity. A held page is a page in flight for as long as the test needs:
// what a decision does then is decided by the workflow, not by a race
// against the clock. Pages are told apart by their cursor, so a retry of
// a page is the same page, and only its first attempt is held.
type pageGate struct {
	acts *activities.Activities

	mu    sync.Mutex
	pages map[string]int // cursor (After) -> page number
	holds map[int]*heldPage
}

type heldPage struct {
	arrived, release chan struct{}
}

func newPageGate(acts *activities.Activities, hold ...int) *pageGate {
	g := &pageGate{acts: acts, pages: map[string]int{}, holds: map[int]*heldPage{}}
	for _, n := range hold {
		g.holds[n] = &heldPage{arrived: make(chan struct{}), release: make(chan struct{})}
	}
	return g
}

func (g *pageGate) StartBatchPage(ctx context.Context, req activities.BatchPage) (activities.BatchPageResult, error) {
	g.mu.Lock()
	n, seen := g.pages[req.After]
	if !seen {
		n = len(g.pages) + 1
		g.pages[req.After] = n
	}
	h := g.holds[n]
	delete(g.holds, n)
	g.mu.Unlock()
	if h != nil {
		close(h.arrived)
		// Heartbeats keep the held attempt alive past the page's
		// heartbeat timeout, so the page is not retried under the test.
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
	wait:
		for {
			select {
			case <-h.release:
				break wait
			case <-tick.C:
				activity.RecordHeartbeat(ctx)
			case <-ctx.Done():
				return activities.BatchPageResult{}, ctx.Err()
			}
		}
	}
	return g.acts.StartBatchPage(ctx, req)
}

// arrive waits until page n is in flight (and held).
func (g *pageGate) arrive(t *testing.T, h *heldPage, n int) {
	t.Helper()
	select {
	case <-h.arrived:
	case <-time.After(2 * time.Minute):
		t.Fatalf("page %d of the campaign never started", n)
	}
}

// gatedWorker runs the whole product on the environment's queue, with
// the campaign pages going through the gate. The returned func waits for
// page n to arrive; release lets it run.
type gatedWorker struct {
	t     *testing.T
	gate  *pageGate
	pages map[int]*heldPage
}

func startGatedWorker(t *testing.T, e *testenv.Env, hold ...int) *gatedWorker {
	g := newPageGate(e.Acts, hold...)
	held := map[int]*heldPage{}
	for n, h := range g.holds {
		held[n] = h
	}
	w := worker.New(e.Temporal, e.TaskQueue, worker.Options{})
	payoutworker.Register(w, e.Acts)
	payoutworker.RegisterReconciliation(w, e.Rec)
	w.RegisterActivityWithOptions(g.StartBatchPage, activity.RegisterOptions{Name: "StartBatchPage", DisableAlreadyRegisteredCheck: true})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	return &gatedWorker{t: t, gate: g, pages: held}
}

func (w *gatedWorker) arrive(n int) { w.t.Helper(); w.gate.arrive(w.t, w.pages[n], n) }

func (w *gatedWorker) release(n int) { close(w.pages[n].release) }

// campaign is a campaign stored through POST /payouts/batch whose
// workflow the test started first, with a small page size (and history
// bound): the API's start finds it running and leaves it be.
type campaign struct {
	ID, Key    string
	PayoutIDs  []string // in payout ID order, the order pages start them
	FirstRunID string
}

func newCampaign(t *testing.T, e *testenv.Env, w *gatedWorker, rows, pageSize, maxHistory int) campaign {
	t.Helper()
	key := uniqueKey("campaign")
	c := campaign{ID: batch.ID(e.Installation, key), Key: key}
	list := make([]batch.Row, rows)
	for i := range list {
		clientID := fmt.Sprintf("%s-c%d", key, i)
		list[i] = batch.Row{ClientID: clientID, Asset: "USDT", Network: "tron", Amount: fmt.Sprint(i + 1), Address: tronAddress}
		c.PayoutIDs = append(c.PayoutIDs, batch.PayoutID(e.Installation, key, clientID, i))
	}
	slices.Sort(c.PayoutIDs)
	run, err := e.Temporal.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: workflows.BatchWorkflowID(c.ID), TaskQueue: e.TaskQueue,
	}, workflows.BatchWorkflowName, workflows.BatchInput{BatchID: c.ID, Rows: rows, PageSize: pageSize, MaxHistory: maxHistory})
	require.NoError(t, err)
	c.FirstRunID = run.GetRunID()
	// Page 1 is held until the rows are stored: the workflow, started
	// before the request, would otherwise find no batch and retry.
	w.arrive(1)
	resp := postBatch(e, key, "application/json", jsonRows(t, list))
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	require.Equal(t, c.ID, testenv.Decode[campaignJSON](e, resp).ID)
	return c
}

func decideCampaign(e *testenv.Env, id, decision, reason string) *http.Response {
	var body []byte
	if reason != "" {
		body, _ = json.Marshal(map[string]string{"reason": reason})
	}
	return e.Do(http.MethodPost, "/payouts/batches/"+id+"/"+decision, body, nil)
}

// decided sends a decision and expects it recorded.
func decided(t *testing.T, e *testenv.Env, id, decision, reason string) campaignJSON {
	t.Helper()
	resp := decideCampaign(e, id, decision, reason)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s of %s", decision, id)
	return testenv.Decode[campaignJSON](e, resp)
}

// refused sends a decision and expects a conflict, whose reason it returns.
func refused(t *testing.T, e *testenv.Env, id, decision string) string {
	t.Helper()
	resp := decideCampaign(e, id, decision, "too late")
	require.Equal(t, http.StatusConflict, resp.StatusCode, "%s of %s", decision, id)
	msg := testenv.Decode[errorJSON](e, resp).Error
	require.NotEmpty(t, msg)
	return msg
}

// decideDuringPage sends the decision while page n is held, waits until
// the workflow has accepted it (so it is waiting for the page, not racing
// it), and lets the page go; the answer comes once the page is done.
func decideDuringPage(t *testing.T, e *testenv.Env, w *gatedWorker, id string, n int, decision, reason string) *http.Response {
	t.Helper()
	w.arrive(n)
	before := countEvents(t, e, id, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
	answer := make(chan *http.Response, 1)
	go func() { answer <- decideCampaign(e, id, decision, reason) }()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for countEvents(t, e, id, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED) == before {
		select {
		case <-ctx.Done():
			t.Fatalf("the %s of campaign %s was never accepted", decision, id)
		case <-time.After(50 * time.Millisecond):
		}
	}
	w.release(n)
	select {
	case resp := <-answer:
		return resp
	case <-ctx.Done():
		t.Fatalf("the %s of campaign %s never answered", decision, id)
		return nil
	}
}

func campaignHistory(t *testing.T, e *testenv.Env, id, runID string) []*historypb.HistoryEvent {
	t.Helper()
	var events []*historypb.HistoryEvent
	iter := e.Temporal.GetWorkflowHistory(context.Background(), workflows.BatchWorkflowID(id), runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		events = append(events, ev)
	}
	return events
}

func countEvents(t *testing.T, e *testenv.Env, id string, typ enumspb.EventType) int {
	n := 0
	for _, ev := range campaignHistory(t, e, id, "") {
		if ev.GetEventType() == typ {
			n++
		}
	}
	return n
}

func campaignState(t *testing.T, e *testenv.Env, id string) workflows.BatchProgress {
	t.Helper()
	v, err := e.Temporal.QueryWorkflow(context.Background(), workflows.BatchWorkflowID(id), "", workflows.QueryState)
	require.NoError(t, err)
	var p workflows.BatchProgress
	require.NoError(t, v.Get(&p))
	return p
}

func campaignResult(t *testing.T, e *testenv.Env, id string) workflows.BatchProgress {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var p workflows.BatchProgress
	require.NoError(t, e.Temporal.GetWorkflow(ctx, workflows.BatchWorkflowID(id), "").Get(ctx, &p), "campaign %s", id)
	return p
}

// campaignEvents is the campaign's audit trail as action/actor/reason.
func campaignEvents(t *testing.T, e *testenv.Env, id string) []string {
	t.Helper()
	events, err := e.Store.BatchEvents(context.Background(), id)
	require.NoError(t, err)
	out := make([]string, 0, len(events))
	for _, ev := range events {
		s := ev.Action + " by " + ev.Actor
		if r, ok := ev.Details["reason"]; ok {
			s += ": " + fmt.Sprint(r)
		}
		out = append(out, s)
	}
	return out
}

func startedRows(t *testing.T, e *testenv.Env, id string) int {
	return sqlCount(t, e, "select count(*) from payout_batch_items where batch_id = $1 and started_at is not null", id)
}

// Pause waits for the page in flight and then holds the next one: the
// rows started stay what the pause answered until the resume, which goes
// on to the end. Each decision is audited once, however often it is sent.
func TestCampaignPauseHoldsRowsAndResumeFinishes(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true})
	w := startGatedWorker(t, e, 1, 2, 3)
	c := newCampaign(t, e, w, 5, 2, 0) // pages of 2, 2 and 1 rows
	w.release(1)

	resp := decideDuringPage(t, e, w, c.ID, 2, workflows.UpdateBatchPause, "budget review")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	paused := testenv.Decode[campaignJSON](e, resp)
	assert.Equal(t, "paused", paused.State)
	assert.Equal(t, 1, paused.NotStarted, "the page in flight finished; the next one did not start")
	started := paused.Rows - paused.NotStarted

	again := decided(t, e, c.ID, workflows.UpdateBatchPause, "budget review, again")
	assert.Equal(t, paused.State, again.State)
	assert.Equal(t, paused.NotStarted, again.NotStarted)
	assert.Equal(t, []string{"paused by alice: budget review"}, campaignEvents(t, e, c.ID), "the repeat writes nothing")

	// While paused, the workflow, the store and Temporal agree that no
	// page is out, and the count is the one the pause answered.
	st := campaignState(t, e, c.ID)
	assert.Equal(t, workflows.BatchProgress{BatchID: c.ID, Rows: 5, Started: started, State: "paused"}, st)
	assert.Equal(t, started, startedRows(t, e, c.ID))
	stored, err := e.Store.GetBatch(context.Background(), c.ID)
	require.NoError(t, err)
	assert.Equal(t, store.BatchPaused, stored.State)
	desc, err := e.Temporal.DescribeWorkflowExecution(context.Background(), workflows.BatchWorkflowID(c.ID), "")
	require.NoError(t, err)
	assert.Empty(t, desc.GetPendingActivities(), "no page of a paused campaign is out")

	// Page 3 is held, so the campaign is still starting when the resume
	// is repeated.
	resumed := decided(t, e, c.ID, workflows.UpdateBatchResume, "budget approved")
	assert.Equal(t, "starting", resumed.State)
	w.arrive(3)
	repeated := decided(t, e, c.ID, workflows.UpdateBatchResume, "")
	assert.Equal(t, resumed.State, repeated.State)
	assert.Equal(t, resumed.NotStarted, repeated.NotStarted)
	w.release(3)

	assert.Equal(t, workflows.BatchProgress{BatchID: c.ID, Rows: 5, Started: 5, State: "started"}, campaignResult(t, e, c.ID))
	assert.Equal(t, []string{"paused by alice: budget review", "resumed by alice: budget approved", "started by workflow"},
		campaignEvents(t, e, c.ID))
	for _, id := range c.PayoutIDs {
		assert.Equal(t, payout.StatusPaid, e.WaitFinal(id).Status, id)
	}
	assert.Equal(t, 5, e.Sandbox.Stats().Creates)

	// Nothing was scheduled between the pause and the resume: the
	// history, not a clock, says the pause held.
	var pausedAt, resumedAt int
	updates := 0
	for i, ev := range campaignHistory(t, e, c.ID, "") {
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
			if updates++; updates == 1 {
				pausedAt = i
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			if ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput().GetName() == workflows.UpdateBatchResume && resumedAt == 0 {
				resumedAt = i
			}
		}
	}
	require.Positive(t, pausedAt)
	require.Greater(t, resumedAt, pausedAt)
	for _, ev := range campaignHistory(t, e, c.ID, "")[pausedAt:resumedAt] {
		assert.NotEqual(t, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, ev.GetEventType(), "event %d while paused", ev.GetEventId())
	}

	for _, d := range []string{workflows.UpdateBatchPause, workflows.UpdateBatchResume, workflows.UpdateBatchCancel} {
		assert.Contains(t, refused(t, e, c.ID, d), "started", d)
	}
	assert.Len(t, campaignEvents(t, e, c.ID), 3, "refused decisions are not audited")
	checkRunReplay(t, e, workflows.BatchWorkflowID(c.ID), "", "batch_paused_resumed")
}

// Cancel waits for the page in flight, then cancels the rows not started,
// each with its audit row; the started rows are paid.
func TestCampaignCancelStopsUnstartedRowsAndStartedOnesArePaid(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true})
	w := startGatedWorker(t, e, 1, 2)
	c := newCampaign(t, e, w, 5, 2, 0)
	w.release(1)

	resp := decideDuringPage(t, e, w, c.ID, 2, workflows.UpdateBatchCancel, "wrong list")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	cancelled := testenv.Decode[campaignJSON](e, resp)
	assert.Equal(t, "cancelled", cancelled.State)
	assert.Equal(t, 1, cancelled.NotStarted)
	assert.Equal(t, 1, cancelled.Statuses["cancelled"])

	assert.Equal(t, workflows.BatchProgress{BatchID: c.ID, Rows: 5, Started: 4, State: "cancelled", Cancelled: 1},
		campaignResult(t, e, c.ID))
	// The workflow has ended: the repeat is answered from the store.
	again := decided(t, e, c.ID, workflows.UpdateBatchCancel, "wrong list")
	assert.Equal(t, cancelled.State, again.State)
	assert.Equal(t, cancelled.NotStarted, again.NotStarted)
	assert.Equal(t, []string{"cancelled by alice: wrong list"}, campaignEvents(t, e, c.ID))

	for _, id := range c.PayoutIDs[:4] {
		assert.Equal(t, payout.StatusPaid, e.WaitFinal(id).Status, id)
	}
	last := c.PayoutIDs[4]
	p, err := e.Store.GetPayout(context.Background(), last)
	require.NoError(t, err)
	assert.Equal(t, payout.StatusCancelled, p.Status)
	assert.Contains(t, p.FailureReason, "wrong list")
	events, err := e.Store.Events(context.Background(), last)
	require.NoError(t, err)
	require.Len(t, events, 2)
	assert.Equal(t, payout.StatusCancelled, events[1].To)
	assert.Equal(t, testenv.AdminName, events[1].Actor)
	assert.Equal(t, c.ID, events[1].Details["batch_id"])
	_, err = e.Temporal.DescribeWorkflowExecution(context.Background(), payout.WorkflowID(last), "")
	assert.Error(t, err, "a row cancelled before it started has no workflow")
	assert.Equal(t, 4, e.Sandbox.Stats().Creates)
	assert.Equal(t, 4, startedRows(t, e, c.ID))

	for _, d := range []string{workflows.UpdateBatchPause, workflows.UpdateBatchResume} {
		assert.Contains(t, refused(t, e, c.ID, d), "cancelled", d)
	}
	assert.Len(t, campaignEvents(t, e, c.ID), 1)
	checkRunReplay(t, e, workflows.BatchWorkflowID(c.ID), "", "batch_cancelled")
}

// A decision that arrives while the last page is out waits for it, and
// then every row has started: it is refused as on any finished campaign,
// and the campaign ends started. (It used to race the workflow's own
// "started" write: the one that lost failed the workflow or the decision.)
func TestCampaignDecisionDuringTheLastPageIsRefused(t *testing.T) {
	for _, d := range []string{workflows.UpdateBatchPause, workflows.UpdateBatchCancel} {
		t.Run(d, func(t *testing.T) {
			e := testenv.New(t, testenv.Options{NoWorker: true})
			w := startGatedWorker(t, e, 1, 2)
			c := newCampaign(t, e, w, 3, 2, 0) // pages of 2 and 1
			w.release(1)

			resp := decideDuringPage(t, e, w, c.ID, 2, d, "too late")
			require.Equal(t, http.StatusConflict, resp.StatusCode)
			assert.Contains(t, testenv.Decode[errorJSON](e, resp).Error, "every row has started")
			assert.Equal(t, workflows.BatchProgress{BatchID: c.ID, Rows: 3, Started: 3, State: "started"}, campaignResult(t, e, c.ID))
			assert.Equal(t, []string{"started by workflow"}, campaignEvents(t, e, c.ID))
			for _, id := range c.PayoutIDs {
				assert.Equal(t, payout.StatusPaid, e.WaitFinal(id).Status, id)
			}
			if d == workflows.UpdateBatchPause {
				checkRunReplay(t, e, workflows.BatchWorkflowID(c.ID), "", "batch_decision_during_last_page")
			}
		})
	}
}

// A campaign run as the API starts it, to the end: the plain history, the
// list of campaigns and a campaign's payouts page by page, and decisions
// on unknown and finished campaigns.
func TestCampaignRunsToTheEndAndPages(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	var ids []string
	for range 3 {
		key := uniqueKey("paged")
		rows := make([]batch.Row, 5)
		for i := range rows {
			rows[i] = batch.Row{ClientID: fmt.Sprintf("%s-%d", key, i), Asset: "USDT", Network: "tron", Amount: "1", Address: tronAddress}
		}
		resp := postBatch(e, key, "application/json", jsonRows(t, rows))
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		id := testenv.Decode[campaignJSON](e, resp).ID
		assert.Equal(t, workflows.BatchProgress{BatchID: id, Rows: 5, Started: 5, State: "started"}, campaignResult(t, e, id))
		ids = append(ids, id)
	}
	checkRunReplay(t, e, workflows.BatchWorkflowID(ids[0]), "", "batch_started")

	// Newest first, two to a page, each campaign once.
	var listed []string
	cursor := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 3, "the list ends")
		path := "/payouts/batches?limit=2"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		resp := e.Do(http.MethodGet, path, nil, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		page := testenv.Decode[campaignListJSON](e, resp)
		for _, it := range page.Items {
			listed = append(listed, it.ID)
			assert.Equal(t, "started", it.State)
			assert.Equal(t, 5, it.Rows)
		}
		if page.NextCursor == nil {
			assert.Len(t, page.Items, 1, "the last page")
			break
		}
		assert.Len(t, page.Items, 2)
		cursor = *page.NextCursor
	}
	assert.Equal(t, []string{ids[2], ids[1], ids[0]}, listed)
	bad := e.Do(http.MethodGet, "/payouts/batches?cursor=not-a-cursor", nil, nil)
	assert.Equal(t, http.StatusUnprocessableEntity, bad.StatusCode)
	bad.Body.Close()

	// A campaign's payouts in payout ID order, two to a page.
	var payouts []string
	cursor = ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 4, "the payouts end")
		path := "/payouts/batches/" + ids[0] + "/payouts?limit=2"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		resp := e.Do(http.MethodGet, path, nil, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		page := testenv.Decode[campaignPayoutsJSON](e, resp)
		for _, it := range page.Items {
			payouts = append(payouts, it.ID)
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	require.Len(t, payouts, 5)
	assert.True(t, slices.IsSorted(payouts), "payout ID order: %v", payouts)
	assert.Len(t, slices.Compact(slices.Clone(payouts)), 5, "each payout once")

	for _, d := range []string{workflows.UpdateBatchPause, workflows.UpdateBatchResume, workflows.UpdateBatchCancel} {
		assert.Contains(t, refused(t, e, ids[0], d), "every row has started", d)
		resp := decideCampaign(e, "no-such-campaign", d, "")
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, d)
		assert.NotEmpty(t, testenv.Decode[errorJSON](e, resp).Error)
	}
	resp := e.Do(http.MethodGet, "/payouts/batches/no-such-campaign/payouts", nil, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp.Body.Close()
	assert.Equal(t, []string{"started by workflow"}, campaignEvents(t, e, ids[0]))
}

// A campaign whose history reaches the input's bound continues as new with
// its cursor and count, and the last run finishes it.
func TestCampaignContinuesAsNew(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true})
	w := startGatedWorker(t, e, 1)
	c := newCampaign(t, e, w, 4, 1, 8) // one page of one row per run
	w.release(1)

	assert.Equal(t, workflows.BatchProgress{BatchID: c.ID, Rows: 4, Started: 4, State: "started"}, campaignResult(t, e, c.ID))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	closed := e.Temporal.GetWorkflowHistory(ctx, workflows.BatchWorkflowID(c.ID), c.FirstRunID, true, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
	require.True(t, closed.HasNext())
	ev, err := closed.Next()
	require.NoError(t, err)
	attrs := ev.GetWorkflowExecutionContinuedAsNewEventAttributes()
	require.NotNil(t, attrs, "the first run ended with %s, not continue-as-new", ev.GetEventType())
	var next workflows.BatchInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(attrs.GetInput(), &next))
	assert.Equal(t, workflows.BatchInput{BatchID: c.ID, Rows: 4, After: c.PayoutIDs[0], Started: 1, PageSize: 1, MaxHistory: 8}, next)

	desc, err := e.Temporal.DescribeWorkflowExecution(ctx, workflows.BatchWorkflowID(c.ID), "")
	require.NoError(t, err)
	assert.NotEqual(t, c.FirstRunID, desc.GetWorkflowExecutionInfo().GetExecution().GetRunId())
	assert.Equal(t, 4, startedRows(t, e, c.ID))
	assert.Equal(t, []string{"started by workflow"}, campaignEvents(t, e, c.ID))
	for _, id := range c.PayoutIDs {
		assert.Equal(t, payout.StatusPaid, e.WaitFinal(id).Status, id)
	}
	checkRunReplay(t, e, workflows.BatchWorkflowID(c.ID), c.FirstRunID, "batch_continue_as_new_first_run")
	checkRunReplay(t, e, workflows.BatchWorkflowID(c.ID), "", "batch_continue_as_new_last_run")
}
