package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/schedule"
	"github.com/heleket-payouts/payouts/workflows"
)

type scheduleJSON struct {
	ID            string          `json:"id"`
	ClientID      string          `json:"client_id"`
	Name          string          `json:"name"`
	Amount        string          `json:"amount"`
	AddressMasked *string         `json:"address_masked"`
	Spec          json.RawMessage `json:"spec"`
	State         string          `json:"state"`
	Note          string          `json:"note"`
	NextRuns      []time.Time     `json:"next_runs"`
	Runs          int             `json:"runs"`
}

func scheduleBody(t *testing.T, fields map[string]any) []byte {
	b, err := json.Marshal(fields)
	require.NoError(t, err)
	return b
}

func createSchedule(e *testenv.Env, client string, body []byte) *http.Response {
	return e.Do(http.MethodPost, "/clients/"+client+"/payout-schedules", body, nil)
}

// dropSchedule keeps a test's schedule from outliving it on the shared dev
// server.
func dropSchedule(t *testing.T, e *testenv.Env, id string) {
	t.Cleanup(func() {
		err := e.Temporal.ScheduleClient().GetHandle(context.Background(), id).Delete(context.Background())
		var notFound *serviceerror.NotFound
		if err != nil && !errors.As(err, &notFound) {
			t.Errorf("delete schedule %s: %v", id, err)
		}
	})
}

// backfill runs the schedule over [from, to) as if that time passed now,
// and waits until the scheduler has started at least want runs in total.
// It waits on the schedule's own record of its actions, not on a clock.
func backfill(t *testing.T, e *testenv.Env, id string, from, to time.Time, want int) []client.ScheduleActionResult {
	ctx := context.Background()
	h := e.Temporal.ScheduleClient().GetHandle(ctx, id)
	require.NoError(t, h.Backfill(ctx, client.ScheduleBackfillOptions{Backfill: []client.ScheduleBackfill{
		{Start: from, End: to, Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL},
	}}))
	for range 600 {
		desc, err := h.Describe(ctx)
		require.NoError(t, err)
		if len(desc.Info.RecentActions) >= want {
			return desc.Info.RecentActions
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("schedule %s did not start %d runs", id, want)
	return nil
}

// runResults waits for every run and returns what each did.
func runResults(t *testing.T, e *testenv.Env, actions []client.ScheduleActionResult) []workflows.ScheduledPayoutResult {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out := make([]workflows.ScheduledPayoutResult, 0, len(actions))
	for _, a := range actions {
		var res workflows.ScheduledPayoutResult
		run := e.Temporal.GetWorkflow(ctx, a.StartWorkflowResult.WorkflowID, a.StartWorkflowResult.FirstExecutionRunID)
		require.NoError(t, run.Get(ctx, &res), "run %s", a.StartWorkflowResult.WorkflowID)
		out = append(out, res)
	}
	return out
}

func TestScheduleCatchUpPaysEachScheduledTimeOnce(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	clientID := uniqueKey("sched-catchup")
	upsertDefaultWallet(t, e, clientID, "USDT", "tron", tronAddress)
	// Yearly on 1 January: no natural run happens during the test.
	body := scheduleBody(t, map[string]any{"name": "new_year", "asset": "USDT", "network": "tron", "amount": "25", "cron": "0 0 1 1 *"})
	resp := createSchedule(e, clientID, body)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	sc := testenv.Decode[scheduleJSON](e, resp)
	dropSchedule(t, e, sc.ID)
	assert.Equal(t, schedule.ID(clientID, "new_year"), sc.ID)
	assert.Equal(t, "/clients/"+clientID+"/payout-schedules/"+sc.ID, resp.Header.Get("Location"))
	assert.Equal(t, "active", sc.State)
	assert.Nil(t, sc.AddressMasked, "pays the default wallet")
	require.NotEmpty(t, sc.NextRuns)
	assert.Equal(t, time.January, sc.NextRuns[0].Month())
	assert.Equal(t, 1, sc.NextRuns[0].Day())

	// Catch up three missed years, then the same range again.
	from, to := time.Date(2022, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	times := []time.Time{
		time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	firstRuns := runResults(t, e, backfill(t, e, sc.ID, from, to, 3))
	for i, at := range times {
		id := schedule.RunPayoutID(e.Installation, clientID, sc.ID, at)
		assert.Equal(t, workflows.ScheduledPayoutResult{PayoutID: id, ScheduledAt: at, Started: true}, firstRuns[i])
		p := e.WaitFinal(id)
		assert.Equal(t, payout.StatusPaid, p.Status)
		assert.Equal(t, payout.OriginScheduled, p.Origin)
		assert.Equal(t, testenv.AdminName, p.RequestedBy)
		assert.Equal(t, tronAddress, p.Address)
		assert.Equal(t, "25", p.Amount.String())
	}

	again := runResults(t, e, backfill(t, e, sc.ID, from, to, 6))
	require.Len(t, again, 6)
	for i, at := range times {
		assert.Equal(t, workflows.ScheduledPayoutResult{PayoutID: schedule.RunPayoutID(e.Installation, clientID, sc.ID, at), ScheduledAt: at, Started: false},
			again[3+i], "the repeated run of %s found its payout", at)
	}
	assert.Equal(t, 3, e.Sandbox.Stats().Creates, "Heleket got one create per scheduled time")
	assert.Equal(t, 3, sqlCount(t, e, "select count(*) from payouts where origin = 'scheduled' and client_id = $1", clientID))

	listed := testenv.Decode[struct {
		Items []scheduleJSON `json:"items"`
	}](e, e.Do(http.MethodGet, "/clients/"+clientID+"/payout-schedules", nil, nil))
	require.Len(t, listed.Items, 1)
	assert.Equal(t, 6, listed.Items[0].Runs)
}

func TestSchedulePauseResumeDelete(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	clientID := uniqueKey("sched-life")
	body := scheduleBody(t, map[string]any{"name": "weekly", "asset": "USDT", "network": "tron", "amount": "1.5",
		"address": tronAddress, "calendar": map[string]string{"hour": "9", "day_of_week": "MON"}, "timezone": "America/Sao_Paulo"})
	resp := createSchedule(e, clientID, body)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	sc := testenv.Decode[scheduleJSON](e, resp)
	dropSchedule(t, e, sc.ID)
	require.NotNil(t, sc.AddressMasked)
	assert.Equal(t, "TQrZ…AbpW", *sc.AddressMasked)
	sao, err := time.LoadLocation("America/Sao_Paulo")
	require.NoError(t, err)
	require.NotEmpty(t, sc.NextRuns)
	next := sc.NextRuns[0].In(sao)
	assert.Equal(t, time.Monday, next.Weekday())
	assert.Equal(t, 9, next.Hour())

	replay := createSchedule(e, clientID, body)
	require.Equal(t, http.StatusOK, replay.StatusCode)
	assert.Equal(t, "true", replay.Header.Get("Idempotent-Replayed"))
	replay.Body.Close()
	other := createSchedule(e, clientID, scheduleBody(t, map[string]any{"name": "weekly", "asset": "USDT", "network": "tron",
		"amount": "2", "address": tronAddress, "cron": "@weekly"}))
	assert.Equal(t, http.StatusConflict, other.StatusCode)
	other.Body.Close()

	path := "/clients/" + clientID + "/payout-schedules/" + sc.ID
	paused := testenv.Decode[scheduleJSON](e, e.Do(http.MethodPost, path+"/pause", nil, nil))
	assert.Equal(t, "paused", paused.State)
	assert.Equal(t, "paused by "+testenv.AdminName, paused.Note)
	assert.Empty(t, paused.NextRuns, "a paused schedule runs at no time")
	again := testenv.Decode[scheduleJSON](e, e.Do(http.MethodPost, path+"/pause", nil, nil))
	assert.Equal(t, "paused", again.State, "pausing twice is fine")
	desc, err := e.Temporal.ScheduleClient().GetHandle(context.Background(), sc.ID).Describe(context.Background())
	require.NoError(t, err)
	assert.True(t, desc.Schedule.State.Paused)
	shown := testenv.Decode[scheduleJSON](e, e.Do(http.MethodGet, path, nil, nil))
	assert.Equal(t, "paused", shown.State)
	assert.NotNil(t, shown.NextRuns, "an empty list, not null")
	assert.Empty(t, shown.NextRuns)
	listedPaused := testenv.Decode[struct {
		Items []scheduleJSON `json:"items"`
	}](e, e.Do(http.MethodGet, "/clients/"+clientID+"/payout-schedules", nil, nil))
	require.Len(t, listedPaused.Items, 1)
	assert.Equal(t, "paused", listedPaused.Items[0].State)
	assert.Empty(t, listedPaused.Items[0].NextRuns)
	resumed := testenv.Decode[scheduleJSON](e, e.Do(http.MethodPost, path+"/resume", nil, nil))
	assert.Equal(t, "active", resumed.State)
	assert.NotEmpty(t, resumed.NextRuns, "resumed, it runs again")

	foreign := e.Do(http.MethodPost, "/clients/someone-else/payout-schedules/"+sc.ID+"/pause", nil, nil)
	assert.Equal(t, http.StatusNotFound, foreign.StatusCode, "a schedule is reached through its own client only")
	foreign.Body.Close()

	for range 2 {
		del := e.Do(http.MethodDelete, path, nil, nil)
		assert.Equal(t, http.StatusNoContent, del.StatusCode, "deleting twice answers the same")
		del.Body.Close()
	}
	_, err = e.Temporal.ScheduleClient().GetHandle(context.Background(), sc.ID).Describe(context.Background())
	var notFound *serviceerror.NotFound
	assert.ErrorAs(t, err, &notFound, "gone from Temporal")
	gone := e.Do(http.MethodGet, path, nil, nil)
	assert.Equal(t, http.StatusNotFound, gone.StatusCode)
	gone.Body.Close()
	reuse := createSchedule(e, clientID, body)
	assert.Equal(t, http.StatusConflict, reuse.StatusCode, "a deleted schedule's name is not reused")
	reuse.Body.Close()
	listed := testenv.Decode[struct {
		Items []scheduleJSON `json:"items"`
	}](e, e.Do(http.MethodGet, "/clients/"+clientID+"/payout-schedules", nil, nil))
	assert.Empty(t, listed.Items)
}

func TestInvalidSchedulesAre422AndCreateNothing(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	clientID := uniqueKey("sched-bad")
	base := func(extra map[string]any) []byte {
		m := map[string]any{"name": "monthly", "asset": "USDT", "network": "tron", "amount": "5", "address": tronAddress}
		for k, v := range extra {
			m[k] = v
		}
		return scheduleBody(t, m)
	}
	cases := []struct {
		name   string
		body   []byte
		status int
		field  string
	}{
		{"bad cron", base(map[string]any{"cron": "0 25 * * *"}), 422, "cron"},
		{"no timing", base(nil), 422, "spec"},
		{"two timings", base(map[string]any{"cron": "@daily", "interval": map[string]string{"every": "24h"}}), 422, "spec"},
		{"every second", base(map[string]any{"interval": map[string]string{"every": "1s"}}), 422, "interval"},
		{"bad zone", base(map[string]any{"cron": "@daily", "timezone": "Mars/Olympus"}), 422, "timezone"},
		{"dash in name", base(map[string]any{"cron": "@daily", "name": "month-ly"}), 422, "name"},
		{"bad amount", base(map[string]any{"cron": "@daily", "amount": "0"}), 422, "amount"},
		{"no default wallet", scheduleBody(t, map[string]any{"name": "w", "asset": "USDT", "network": "tron", "amount": "5", "cron": "@daily"}), 422, "address"},
		{"unknown field", base(map[string]any{"cron": "@daily", "every": "1h"}), 400, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := createSchedule(e, clientID, c.body)
			assert.Equal(t, c.status, resp.StatusCode)
			got := testenv.Decode[errorJSON](e, resp)
			assert.NotEmpty(t, got.Error)
			if c.field != "" {
				assert.NotEmpty(t, got.Fields[c.field], "fields: %v", got.Fields)
			}
		})
	}
	assert.Zero(t, sqlCount(t, e, "select count(*) from payout_schedules"))
	for _, name := range []string{"monthly", "w", "month-ly"} {
		_, err := e.Temporal.ScheduleClient().GetHandle(context.Background(), schedule.ID(clientID, name)).Describe(context.Background())
		var notFound *serviceerror.NotFound
		assert.ErrorAs(t, err, &notFound, "no Temporal schedule for %s", name)
	}
	missing := e.Do(http.MethodGet, "/clients/"+clientID+"/payout-schedules/"+schedule.ID(clientID, "nope"), nil, nil)
	assert.Equal(t, http.StatusNotFound, missing.StatusCode)
	missing.Body.Close()
}
