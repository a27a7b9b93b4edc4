package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/outbound"
	"github.com/heleket-payouts/payouts/outbound/dispatch"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
)

type endpointJSON struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
	Secret string   `json:"secret"`
}

type outboundJSON struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	CreatedAt  time.Time      `json:"created_at"`
	Data       map[string]any `json:"data"`
	Deliveries []struct {
		EndpointID   string `json:"endpoint_id"`
		State        string `json:"state"`
		AttemptCount int    `json:"attempt_count"`
		Attempts     []struct {
			Outcome    string `json:"outcome"`
			StatusCode *int   `json:"status_code"`
		} `json:"attempts"`
	} `json:"deliveries"`
}

type outboundPageJSON struct {
	Items      []outboundJSON `json:"items"`
	NextCursor *string        `json:"next_cursor"`
}

// subscribe points an endpoint at the receiver and gives it the secret.
func subscribe(t *testing.T, e *testenv.Env, r *testenv.EventReceiver, types ...string) endpointJSON {
	t.Helper()
	resp := e.Do(http.MethodPost, "/event-endpoints", []byte(testenv.JSON(t, map[string]any{"url": r.URL(), "events": types})), nil)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	ep := testenv.Decode[endpointJSON](e, resp)
	require.True(t, strings.HasPrefix(ep.Secret, "whsec_"), "the secret is in the creation's answer")
	r.SetSecret(ep.Secret)
	return ep
}

// expectedEvents is what the outbox promises for the payout's audit trail.
func expectedEvents(t *testing.T, e *testenv.Env, id string) []string {
	t.Helper()
	trail, err := e.Store.Events(context.Background(), id)
	require.NoError(t, err)
	return outbound.TrailTypes(trail)
}

func storedEvents(t *testing.T, e *testenv.Env, query string) []outboundJSON {
	t.Helper()
	var all []outboundJSON
	for cursor := ""; ; {
		q := query + "&limit=2"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		resp := e.Do(http.MethodGet, "/events?"+q, nil, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		page := testenv.Decode[outboundPageJSON](e, resp)
		all = append(all, page.Items...)
		if page.NextCursor == nil {
			return all
		}
		cursor = *page.NextCursor
	}
}

// Every event reaches the receiver signed, in the order the payout moved,
// showing the payout as the API did, and the API lists the same events.
func TestReceiverGetsEveryEventSignedInTheOrderThePayoutMoved(t *testing.T) {
	e := approvalEnv(t, time.Hour)
	r := testenv.NewEventReceiver(t)
	ep := subscribe(t, e, r, "*")

	list := testenv.Decode[struct {
		Items []map[string]any `json:"items"`
	}](e, e.Do(http.MethodGet, "/event-endpoints", nil, nil))
	require.Len(t, list.Items, 1)
	assert.Equal(t, ep.ID, list.Items[0]["id"])
	assert.NotContains(t, list.Items[0], "secret", "a secret is shown once")

	client := uniqueKey("ev")
	plain := accepted(t, e, client, uniqueKey("plain"), body("10", tronAddress))
	big := accepted(t, e, client, uniqueKey("big"), body("1000.01", tronAddress))
	held := accepted(t, e, client, uniqueKey("held"), body("2000", tronAddress))
	resp, _ := decide(e, big.ID, "approve", testenv.SecondAdminToken)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = decide(e, held.ID, "cancel", testenv.AdminToken)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	for _, id := range []string{plain.ID, big.ID, held.ID} {
		final := e.WaitFinal(id)
		want := expectedEvents(t, e, id)
		got := r.AwaitPayout(id, want[len(want)-1])
		assert.Equal(t, want, got, "payout %s: %v", id, e.Trail(id))

		stored := storedEvents(t, e, "payout_id="+id)
		var storedTypes []string
		for i := len(stored) - 1; i >= 0; i-- {
			storedTypes = append(storedTypes, stored[i].Type)
		}
		assert.Equal(t, want, storedTypes, "GET /events lists what the receiver got, newest first")

		// The last event shows the payout exactly as GET /payouts/{id} does.
		var now map[string]any
		require.NoError(t, jsonOf(e.Do(http.MethodGet, "/payouts/"+id, nil, nil), &now))
		last := r.Accepted()
		for i := len(last) - 1; i >= 0; i-- {
			if last[i].PayoutID == id {
				assert.Equal(t, now, last[i].Data)
				break
			}
		}
		assert.Equal(t, string(final.Status), now["status"])
	}
	for _, ev := range r.Accepted() {
		assert.Equal(t, ev.ID, ev.HeaderID, "Payouts-Event-Id names the body's event")
		assert.NotContains(t, testenv.JSON(t, ev.Data), tronAddress, "no full address in an event")
	}
	assert.Empty(t, r.BadSignatures())
	assert.Equal(t, []string{"payout.created", "payout.awaiting_approval", "payout.approved", "payout.submitted", "payout.paid"}, r.OfPayout(big.ID))
	assert.Equal(t, []string{"payout.created", "payout.awaiting_approval", "payout.cancelled"}, r.OfPayout(held.ID))
	checkRunReplay(t, e, streamOf(ep, big.ID), "", "event_stream_delivered")
}

func streamOf(ep endpointJSON, key string) string {
	return dispatch.StreamWorkflowID(store.StreamKey{EndpointID: ep.ID, OrderingKey: key})
}

// A stream past its bound continues as new and its next run goes on
// where it stopped: nothing skipped, nothing twice. The receiver hangs
// while the payout moves, so the hand-overs signal the stream during its
// first call, and the run (bound: one call) continues as new.
func TestAnEventStreamContinuesAsNewWithoutLosingItsPlace(t *testing.T) {
	e := testenv.New(t, testenv.Options{ApprovalThresholds: usdt("1000"),
		Events: testenv.EventSettings{MaxPerRun: 1, Timeout: 500 * time.Millisecond}})
	r := testenv.NewEventReceiver(t)
	ep := subscribe(t, e, r, "*")
	r.Hang()
	p := accepted(t, e, uniqueKey("ev"), uniqueKey("can"), body("1000.01", tronAddress))
	resp, _ := decide(e, p.ID, "approve", testenv.SecondAdminToken)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	e.WaitFinal(p.ID)
	// Every delivery handed over before the release: a hand-over after the
	// stream's last run ended would start a fresh run, continued from none.
	require.Eventually(t, func() bool {
		var unhanded int
		err := e.Store.Pool().QueryRow(context.Background(), `SELECT count(*) FROM event_deliveries WHERE handed_at IS NULL`).Scan(&unhanded)
		return err == nil && unhanded == 0
	}, time.Minute, 20*time.Millisecond)
	r.Release()
	want := []string{"payout.created", "payout.awaiting_approval", "payout.approved", "payout.submitted", "payout.paid"}
	assert.Equal(t, want, r.AwaitPayout(p.ID, "payout.paid"))
	assert.Len(t, r.Accepted(), len(want), "each event once")

	id := streamOf(ep, p.ID)
	first := firstContinuedRun(t, e, id)
	require.NotEmpty(t, first, "the stream continued as new")
	checkRunReplay(t, e, id, first, "event_stream_continue_as_new_first_run")
	checkRunReplay(t, e, id, "", "event_stream_continue_as_new_last_run")
}

// firstContinuedRun follows the latest run of a workflow back through the
// runs it continued from, and returns the first one ("" if it never
// continued as new).
func firstContinuedRun(t *testing.T, e *testenv.Env, workflowID string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The receiver may have everything before the run that delivered it
	// has continued as new: wait for the chain's last run to end (Get
	// follows continue-as-new).
	require.NoError(t, e.Temporal.GetWorkflow(ctx, workflowID, "").Get(ctx, nil))
	var first string
	for runID := ""; ; {
		iter := e.Temporal.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		require.True(t, iter.HasNext())
		ev, err := iter.Next()
		require.NoError(t, err)
		prev := ev.GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
		if prev == "" {
			return first
		}
		first, runID = prev, prev
	}
}

func jsonOf(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

// A worker that dies after the changes and before their delivery loses
// nothing: the events wait in the outbox (or in their stream's retries)
// and a new worker delivers them, in order.
func TestEventsSurviveAWorkerKilledBetweenChangeAndDelivery(t *testing.T) {
	e := testenv.New(t, testenv.Options{Events: testenv.EventSettings{Off: true}})
	r := testenv.NewEventReceiver(t)
	subscribe(t, e, r, "*")

	// No events worker runs (it died, or has not come back): the payout
	// moves, its events wait in the outbox.
	first := accepted(t, e, uniqueKey("ev"), uniqueKey("outbox"), body("5", tronAddress))
	e.WaitFinal(first.ID)
	for _, ev := range storedEvents(t, e, "payout_id="+first.ID) {
		detail := testenv.Decode[outboundJSON](e, e.Do(http.MethodGet, "/events/"+ev.ID, nil, nil))
		require.Len(t, detail.Deliveries, 1)
		assert.Equal(t, "pending", detail.Deliveries[0].State)
		assert.Zero(t, detail.Deliveries[0].AttemptCount)
	}
	assert.Empty(t, r.Accepted())

	// A second payout's events are handed over while the receiver is
	// down, so they wait in their stream's retries when the worker dies.
	r.SetDown(true)
	e.StartEventsWorkerWith(testenv.EventSettings{})
	second := accepted(t, e, uniqueKey("ev"), uniqueKey("retrying"), body("6", tronAddress))
	e.WaitFinal(second.ID)
	require.Eventually(t, func() bool { return r.Refused() > 0 }, time.Minute, 20*time.Millisecond, "the receiver is tried")
	e.Events.Stop()

	r.SetDown(false)
	e.StartEventsWorkerWith(testenv.EventSettings{})
	for _, id := range []string{first.ID, second.ID} {
		want := expectedEvents(t, e, id)
		assert.Equal(t, want, r.AwaitPayout(id, want[len(want)-1]), id)
	}
	assert.Empty(t, r.BadSignatures())
}

// A receiver that is down for a while gets everything once it is back,
// each payout's events in order; the attempts show what happened.
func TestAReceiverDownForAWhileGetsEverythingOnceBack(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	r := testenv.NewEventReceiver(t)
	ep := subscribe(t, e, r, "payout.created", "payout.paid")
	r.SetDown(true)
	client := uniqueKey("ev")
	var ids []string
	for range 3 {
		ids = append(ids, accepted(t, e, client, uniqueKey("down"), body("7", tronAddress)).ID)
	}
	for _, id := range ids {
		e.WaitFinal(id)
	}
	require.Eventually(t, func() bool { return r.Refused() >= 6 }, time.Minute, 20*time.Millisecond, "each stream retries")
	r.SetDown(false)
	for _, id := range ids {
		assert.Equal(t, []string{"payout.created", "payout.paid"}, r.AwaitPayout(id, "payout.paid"))
	}
	created := storedEvents(t, e, "payout_id="+ids[0]+"&type=payout.created")
	require.Len(t, created, 1)
	detail := testenv.Decode[outboundJSON](e, e.Do(http.MethodGet, "/events/"+created[0].ID, nil, nil))
	require.Len(t, detail.Deliveries, 1)
	d := detail.Deliveries[0]
	assert.Equal(t, "delivered", d.State)
	require.GreaterOrEqual(t, len(d.Attempts), 2)
	assert.Equal(t, "refused", d.Attempts[0].Outcome)
	assert.Equal(t, http.StatusServiceUnavailable, *d.Attempts[0].StatusCode)
	assert.Equal(t, "delivered", d.Attempts[len(d.Attempts)-1].Outcome)
	submitted := storedEvents(t, e, "payout_id="+ids[0]+"&type=payout.submitted")
	require.Len(t, submitted, 1, "types not subscribed are stored too")
	detail = testenv.Decode[outboundJSON](e, e.Do(http.MethodGet, "/events/"+submitted[0].ID, nil, nil))
	assert.Empty(t, detail.Deliveries, "and never delivered")
	checkRunReplay(t, e, streamOf(ep, ids[0]), "", "event_stream_retried")
}

// A receiver that never answers holds only the events' own queue: every
// payout still finishes while it hangs.
func TestAReceiverThatNeverAnswersNeverSlowsPayouts(t *testing.T) {
	e := testenv.New(t, testenv.Options{Events: testenv.EventSettings{Timeout: 300 * time.Millisecond}})
	r := testenv.NewEventReceiver(t)
	subscribe(t, e, r, "*")
	r.Hang()
	client := uniqueKey("ev")
	var ids []string
	for range 8 {
		ids = append(ids, accepted(t, e, client, uniqueKey("hang"), body("3", tronAddress)).ID)
	}
	for _, id := range ids {
		assert.Equal(t, payout.StatusPaid, e.WaitFinal(id).Status)
	}
	assert.Empty(t, r.Accepted(), "the receiver answered nothing while the payouts finished")
	r.Release()
	for _, id := range ids {
		r.AwaitPayout(id, "payout.paid")
	}
}

func TestRedeliverSendsAnEventAgainWithItsID(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	r := testenv.NewEventReceiver(t)
	subscribe(t, e, r, "payout.paid")
	p := accepted(t, e, uniqueKey("ev"), uniqueKey("again"), body("4", tronAddress))
	e.WaitFinal(p.ID)
	r.AwaitPayout(p.ID, "payout.paid")
	paid := storedEvents(t, e, "payout_id="+p.ID+"&type=payout.paid")
	require.Len(t, paid, 1)

	resp := e.Do(http.MethodPost, "/events/"+paid[0].ID+"/redeliver", nil, nil)
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	resp.Body.Close()
	require.Eventually(t, func() bool {
		n := 0
		for _, ev := range r.Accepted() {
			if ev.ID == paid[0].ID {
				n++
			}
		}
		return n == 2
	}, time.Minute, 20*time.Millisecond, "the same event, with the same id, arrives again")
	// The receiver has it before the attempt is recorded.
	var detail outboundJSON
	require.Eventually(t, func() bool {
		detail = testenv.Decode[outboundJSON](e, e.Do(http.MethodGet, "/events/"+paid[0].ID, nil, nil))
		return len(detail.Deliveries) == 1 && detail.Deliveries[0].State == "delivered" && len(detail.Deliveries[0].Attempts) == 2
	}, time.Minute, 20*time.Millisecond, "delivered twice: %+v", detail.Deliveries)

	resp = e.Do(http.MethodPost, "/events/evt_unknown/redeliver", nil, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp.Body.Close()
}

func TestEventEndpointsRefuseBadInputAndDeletingStopsDeliveries(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	r := testenv.NewEventReceiver(t)
	for name, c := range map[string]struct {
		body  string
		field string
	}{
		"no url":           {`{"events":["*"]}`, "url"},
		"not http":         {`{"url":"ftp://example.com/x","events":["*"]}`, "url"},
		"plain http":       {`{"url":"http://receiver.example.com/x","events":["*"]}`, "url"},
		"credentials":      {`{"url":"https://u:p@receiver.example.com/x","events":["*"]}`, "url"},
		"no events":        {`{"url":"https://receiver.example.com/x","events":[]}`, "events"},
		"unknown type":     {`{"url":"https://receiver.example.com/x","events":["payout.teleported"]}`, "events"},
		"star with others": {`{"url":"https://receiver.example.com/x","events":["*","payout.paid"]}`, "events"},
	} {
		resp := e.Do(http.MethodPost, "/event-endpoints", []byte(c.body), nil)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, name)
		refusal := testenv.Decode[errorJSON](e, resp)
		assert.NotEmpty(t, refusal.Fields[c.field], name)
	}
	list := testenv.Decode[struct {
		Items []endpointJSON `json:"items"`
	}](e, e.Do(http.MethodGet, "/event-endpoints", nil, nil))
	assert.Empty(t, list.Items, "a refused endpoint is not stored")

	ep := subscribe(t, e, r, "*")
	resp := e.Do(http.MethodDelete, "/event-endpoints/"+ep.ID, nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp.Body.Close()
	resp = e.Do(http.MethodDelete, "/event-endpoints/ep_missing", nil, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp.Body.Close()

	p := accepted(t, e, uniqueKey("ev"), uniqueKey("after"), body("2", tronAddress))
	e.WaitFinal(p.ID)
	paid := storedEvents(t, e, "payout_id="+p.ID+"&type=payout.paid")
	require.Len(t, paid, 1)
	detail := testenv.Decode[outboundJSON](e, e.Do(http.MethodGet, "/events/"+paid[0].ID, nil, nil))
	assert.Empty(t, detail.Deliveries, "a deleted endpoint receives nothing new")
	assert.Empty(t, r.Accepted())

	clicks := testenv.Decode[map[string]any](e, e.Do(http.MethodGet, "/dashboard/api/admin-clicks", nil, nil))
	assert.Contains(t, testenv.JSON(t, clicks), "event_endpoint_changed")
}

// A campaign's last final row tells the receiver the campaign completed.
func TestACompletedCampaignIsAnEvent(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	r := testenv.NewEventReceiver(t)
	subscribe(t, e, r, "batch.completed")
	client := uniqueKey("evb")
	rows := testenv.JSON(t, []map[string]string{
		{"client_id": client, "asset": "USDT", "network": "tron", "amount": "1", "address": tronAddress},
		{"client_id": client + "b", "asset": "USDT", "network": "tron", "amount": "2", "address": tronAddress},
	})
	resp := e.Do(http.MethodPost, "/payouts/batch", []byte(rows), map[string]string{"Idempotency-Key": uniqueKey("evb")})
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	b := testenv.Decode[map[string]any](e, resp)
	require.Eventually(t, func() bool {
		for _, ev := range r.Accepted() {
			if ev.Type == "batch.completed" && ev.Data["id"] == b["id"] {
				return ev.Data["done"] == true
			}
		}
		return false
	}, 2*time.Minute, 50*time.Millisecond)
	n := 0
	for _, ev := range r.Accepted() {
		if ev.Type == "batch.completed" {
			n++
		}
	}
	assert.Equal(t, 1, n)
}
