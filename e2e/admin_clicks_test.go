package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/batch"
	"github.com/heleket-payouts/payouts/internal/testenv"
)

type adminClicksJSON struct {
	From    *time.Time `json:"from"`
	To      *time.Time `json:"to"`
	Actions []string   `json:"actions"`
	Total   int64      `json:"total"`
	Admins  []struct {
		Admin   string `json:"admin"`
		Total   int64  `json:"total"`
		Actions map[string]struct {
			Total int64 `json:"total"`
			Days  []struct {
				Day   string `json:"day"`
				Count int64  `json:"count"`
			} `json:"days"`
		} `json:"actions"`
	} `json:"admins"`
}

// counts flattens the answer to admin/action totals, checking on the way
// that every total is the sum of its parts.
func (c adminClicksJSON) counts(t *testing.T) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	var total int64
	for _, a := range c.Admins {
		var adminTotal int64
		for action, v := range a.Actions {
			var days int64
			for _, d := range v.Days {
				_, err := time.Parse(time.DateOnly, d.Day)
				assert.NoError(t, err)
				days += d.Count
			}
			assert.Equal(t, v.Total, days, "%s %s: days add up", a.Admin, action)
			out[a.Admin+" "+action] = v.Total
			adminTotal += v.Total
		}
		assert.Equal(t, a.Total, adminTotal, a.Admin)
		total += adminTotal
	}
	assert.Equal(t, c.Total, total)
	return out
}

func TestAdminClicksCountWhatEachAdminDid(t *testing.T) {
	e := testenv.New(t, testenv.Options{ApprovalThresholds: usdt("1000")})
	before := time.Now().UTC().Add(-time.Minute)
	as := func(token string) map[string]string { return map[string]string{"Authorization": "Bearer " + token} }

	// alice requests three payouts; bob approves one and rejects another.
	approved := accepted(t, e, "95", uniqueKey("clicks-big"), body("5000", tronAddress))
	require.Equal(t, "awaiting_approval", approved.Status)
	rejected := accepted(t, e, "95", uniqueKey("clicks-big"), body("6000", tronAddress))
	accepted(t, e, "95", uniqueKey("clicks-small"), body("5", tronAddress))
	resp, _ := decide(e, approved.ID, "approve", testenv.SecondAdminToken)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = decide(e, rejected.ID, "reject", testenv.SecondAdminToken)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// alice uploads a campaign of two rows: one action, not two requests.
	rows := []batch.Row{
		{ClientID: "96", Asset: "USDT", Network: "tron", Amount: "3", Address: tronAddress},
		{ClientID: "97", Asset: "USDT", Network: "tron", Amount: "4", Address: tronAddress},
	}
	resp = postBatch(e, uniqueKey("clicks-campaign"), "application/json", jsonRows(t, rows))
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	resp.Body.Close()

	// alice creates a schedule, bob pauses it.
	clientID := uniqueKey("clicks-sched")
	resp = createSchedule(e, clientID, scheduleBody(t, map[string]any{"name": "yearly", "asset": "USDT", "network": "tron",
		"amount": "25", "address": tronAddress, "cron": "0 0 1 1 *"}))
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	sc := testenv.Decode[scheduleJSON](e, resp)
	dropSchedule(t, e, sc.ID)
	resp = e.Do(http.MethodPost, "/clients/"+clientID+"/payout-schedules/"+sc.ID+"/pause", nil, as(testenv.SecondAdminToken))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp.Body.Close()

	// bob runs reconciliation.
	resp = e.Do(http.MethodPost, "/payouts/reconcile", nil, as(testenv.SecondAdminToken))
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	resp.Body.Close()

	want := map[string]int64{
		"alice payout_requested":       3,
		"alice campaign_uploaded":      1,
		"alice schedule_changed":       1,
		"bob payout_approved":          1,
		"bob payout_rejected":          1,
		"bob schedule_changed":         1,
		"bob reconciliation_triggered": 1,
	}
	after := time.Now().UTC().Add(time.Minute)
	query := "?from=" + url.QueryEscape(before.Format(time.RFC3339Nano)) + "&to=" + url.QueryEscape(after.Format(time.RFC3339Nano))
	resp = e.Do(http.MethodGet, "/dashboard/api/admin-clicks"+query, nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	period := testenv.Decode[adminClicksJSON](e, resp)
	assert.Equal(t, want, period.counts(t))
	require.NotNil(t, period.From)
	assert.True(t, before.Equal(*period.From))
	assert.Contains(t, period.Actions, "event_endpoint_changed", "named before it can be counted")
	require.Len(t, period.Admins, 2)
	assert.Equal(t, "alice", period.Admins[0].Admin, "sorted by admin")

	// The default period is all time: the same activity, and no bounds.
	resp = e.Do(http.MethodGet, "/dashboard/api/admin-clicks", nil, as(testenv.SecondAdminToken))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	all := testenv.Decode[adminClicksJSON](e, resp)
	assert.Equal(t, want, all.counts(t))
	assert.Nil(t, all.From)
	assert.Nil(t, all.To)

	// A period that ends before the activity counts nothing.
	resp = e.Do(http.MethodGet, "/dashboard/api/admin-clicks?to="+url.QueryEscape(before.Format(time.RFC3339)), nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	empty := testenv.Decode[adminClicksJSON](e, resp)
	assert.Empty(t, empty.Admins)
	assert.Zero(t, empty.Total)
}

func TestAdminClicksRefusesABadPeriod(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true})
	for query, field := range map[string]string{
		"from=yesterday":          "from",
		"to=2026-13-01T00:00:00Z": "to",
		"from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z": "to",
		"from=2026-12-01T00:00:00Z&to=2026-12-01T00:00:00Z": "to",
		"since=2026-12-01T00:00:00Z":                        "since",
	} {
		resp := e.Do(http.MethodGet, "/dashboard/api/admin-clicks?"+query, nil, nil)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, query)
		got := testenv.Decode[errorJSON](e, resp)
		assert.NotEmpty(t, got.Fields[field], fmt.Sprintf("%s: %v", query, got.Fields))
	}
}
