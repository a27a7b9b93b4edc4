package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
)

type listedPayoutJSON struct {
	payoutJSON
	AddressMasked string `json:"address_masked"`
}

type pageJSON struct {
	Items      []listedPayoutJSON `json:"items"`
	NextCursor *string            `json:"next_cursor"`
}

func listPayouts(e *testenv.Env, query string) pageJSON {
	e.T.Helper()
	resp := e.Do(http.MethodGet, "/payouts?"+query, nil, nil)
	require.Equal(e.T, http.StatusOK, resp.StatusCode, "GET /payouts?%s", query)
	return testenv.Decode[pageJSON](e, resp)
}

func pageIDs(p pageJSON) []string {
	out := []string{}
	for _, it := range p.Items {
		out = append(out, it.ID)
	}
	return out
}

// TestListPayoutsFiltersAndPages runs without a worker, so every payout
// stays requested and the listing is deterministic.
func TestListPayoutsFiltersAndPages(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true})
	type spec struct{ client, asset, network, address, origin string }
	specs := []spec{
		{"70", "USDT", "tron", tronAddress, "manual"},
		{"71", "USDT", "tron", tronAddress, "bonus"},
		{"70", "TRX", "tron", tronAddress, "scheduled"},
		{"71", "USDT", "tron", otherTronAddress, "manual"},
		{"70", "USDT", "tron", otherTronAddress, "bonus"},
	}
	var newestFirst []string
	for i, s := range specs {
		b := fmt.Sprintf(`{"asset":%q,"network":%q,"amount":"%d","address":%q,"origin":%q}`, s.asset, s.network, i+1, s.address, s.origin)
		p := accepted(t, e, s.client, fmt.Sprint("list-", i), []byte(b))
		newestFirst = append([]string{p.ID}, newestFirst...)
	}

	var paged []string
	query := "limit=2"
	for range 10 {
		page := listPayouts(e, query)
		assert.LessOrEqual(t, len(page.Items), 2)
		paged = append(paged, pageIDs(page)...)
		if page.NextCursor == nil {
			break
		}
		query = "limit=2&cursor=" + url.QueryEscape(*page.NextCursor)
	}
	assert.Equal(t, newestFirst, paged, "every payout once, newest first")
	assert.Equal(t, newestFirst, pageIDs(listPayouts(e, "")))

	pick := func(idx ...int) []string {
		out := []string{}
		for _, i := range idx {
			out = append(out, newestFirst[len(specs)-1-i])
		}
		slices.Reverse(out)
		return out
	}
	future := url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	past := url.QueryEscape(time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
	for query, want := range map[string][]string{
		"client_id=70":              pick(0, 2, 4),
		"client_id=70&origin=bonus": pick(4),
		"asset=trx":                 pick(2),
		"origin=manual":             pick(0, 3),
		"status=requested":          pick(0, 1, 2, 3, 4),
		"status=paid,failed":        {},
		"needs_attention=true":      {},
		"created_from=" + future:    {},
		"created_to=" + past:        {},
		"created_from=" + past + "&created_to=" + future + "&client_id=71": pick(1, 3),
	} {
		assert.Equal(t, want, pageIDs(listPayouts(e, query)), query)
	}
	first := listPayouts(e, "limit=1").Items[0]
	assert.Equal(t, "TJRa…RTv8", first.AddressMasked)
}

func TestListPayoutsRefusesBadQueries(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true})
	for query, field := range map[string]string{
		"status=nope":             "status",
		"status=paid,nope":        "status",
		"client_id=a%20b":         "client_id",
		"origin=gift":             "origin",
		"asset=DOGECOIN":          "asset",
		"created_from=yesterday":  "created_from",
		"created_to=2026-13-01":   "created_to",
		"limit=0":                 "limit",
		"limit=501":               "limit",
		"limit=ten":               "limit",
		"cursor=not-a-cursor":     "cursor",
		"needs_attention=yes":     "needs_attention",
		"stauts=paid":             "stauts",
		"client_id=1&client_id=2": "client_id",
		"created_from=2026-11-02T00:00:00Z&created_to=2026-11-01T00:00:00Z": "created_to",
	} {
		resp := e.Do(http.MethodGet, "/payouts?"+query, nil, nil)
		assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, query)
		got := testenv.Decode[errorJSON](e, resp)
		assert.NotEmpty(t, got.Fields[field], "%s: %v", query, got.Fields)
	}
}

type eventJSON struct {
	ID         int64          `json:"id"`
	FromStatus *string        `json:"from_status"`
	ToStatus   string         `json:"to_status"`
	Source     string         `json:"source"`
	Actor      string         `json:"actor"`
	Details    map[string]any `json:"details"`
	At         time.Time      `json:"at"`
}

func TestPayoutEventsShowTheAuditTrail(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	p := accepted(t, e, "72", "events-"+t.Name(), body("8", tronAddress))
	final := e.WaitFinal(p.ID)
	require.Equal(t, payout.StatusPaid, final.Status)

	resp := e.Do(http.MethodGet, "/payouts/"+p.ID+"/events", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got := testenv.Decode[struct {
		PayoutID string      `json:"payout_id"`
		Items    []eventJSON `json:"items"`
	}](e, resp)
	assert.Equal(t, p.ID, got.PayoutID)
	var trail []string
	for _, ev := range got.Items {
		from := ""
		if ev.FromStatus != nil {
			from = *ev.FromStatus
		}
		trail = append(trail, ev.Source+":"+from+"->"+ev.ToStatus)
	}
	assert.Equal(t, e.Trail(p.ID), trail)
	require.NotEmpty(t, got.Items)
	assert.Nil(t, got.Items[0].FromStatus, "the creation row has no previous status")
	assert.Equal(t, testenv.AdminName, got.Items[0].Actor)
	last := got.Items[len(got.Items)-1]
	assert.Equal(t, final.TxID, last.Details["txid"])

	resp = e.Do(http.MethodGet, "/payouts/po-does-not-exist/events", nil, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp.Body.Close()
}

type statsJSON struct {
	From     *time.Time       `json:"from"`
	Total    int64            `json:"total"`
	ByStatus map[string]int64 `json:"by_status"`
	ByAsset  []struct {
		Asset  string `json:"asset"`
		Count  int64  `json:"count"`
		Amount string `json:"amount"`
	} `json:"by_asset"`
	ByStatusAsset []struct {
		Status string `json:"status"`
		Asset  string `json:"asset"`
		Count  int64  `json:"count"`
		Amount string `json:"amount"`
	} `json:"by_status_asset"`
	Paid        int64    `json:"paid"`
	Finalized   int64    `json:"finalized"`
	SuccessRate *float64 `json:"success_rate"`
	TimeToFinal struct {
		P50 *float64 `json:"p50"`
		P95 *float64 `json:"p95"`
	} `json:"time_to_final_seconds"`
	NeedsAttention int64 `json:"needs_attention"`
}

func stats(e *testenv.Env, query string) statsJSON {
	e.T.Helper()
	resp := e.Do(http.MethodGet, "/dashboard/api/admin-stats?"+query, nil, nil)
	require.Equal(e.T, http.StatusOK, resp.StatusCode)
	return testenv.Decode[statsJSON](e, resp)
}

func TestAdminStatsOverHTTP(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	before := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	paid1 := accepted(t, e, "73", "stats-1", body("10", tronAddress))
	paid2 := accepted(t, e, "73", "stats-2", body("20.5", tronAddress))
	// Below the sandbox's minimum: Heleket refuses it.
	refused := accepted(t, e, "74", "stats-3", body("0.000001", tronAddress))
	for _, id := range []string{paid1.ID, paid2.ID, refused.ID} {
		e.WaitFinal(id)
	}

	st := stats(e, "")
	assert.Equal(t, int64(3), st.Total)
	assert.Equal(t, int64(2), st.ByStatus["paid"])
	assert.Equal(t, int64(1), st.ByStatus["rejected"])
	assert.Zero(t, st.ByStatus["requested"], "every status is listed")
	assert.Len(t, st.ByStatus, len(payout.Statuses))
	require.Len(t, st.ByAsset, 1)
	assert.Equal(t, "USDT", st.ByAsset[0].Asset)
	assert.Equal(t, int64(3), st.ByAsset[0].Count)
	assert.Equal(t, "30.500001", st.ByAsset[0].Amount)
	require.Len(t, st.ByStatusAsset, 2)
	assert.Equal(t, "30.5", st.ByStatusAsset[0].Amount, "paid USDT")
	assert.Equal(t, int64(2), st.Paid)
	assert.Equal(t, int64(3), st.Finalized)
	require.NotNil(t, st.SuccessRate)
	assert.InDelta(t, 0.6667, *st.SuccessRate, 0.00001)
	require.NotNil(t, st.TimeToFinal.P50)
	require.NotNil(t, st.TimeToFinal.P95)
	assert.Positive(t, *st.TimeToFinal.P50)
	assert.GreaterOrEqual(t, *st.TimeToFinal.P95, *st.TimeToFinal.P50)
	assert.Zero(t, st.NeedsAttention)

	assert.Equal(t, int64(3), stats(e, "from="+url.QueryEscape(before)).Total)
	empty := stats(e, "from="+url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339)))
	assert.Zero(t, empty.Total)
	assert.Nil(t, empty.SuccessRate)
	assert.Nil(t, empty.TimeToFinal.P50)
	require.NotNil(t, empty.From)

	for _, query := range []string{"from=today", "to=2026-11-01", "period=week", "from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z"} {
		resp := e.Do(http.MethodGet, "/dashboard/api/admin-stats?"+query, nil, nil)
		assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, query)
		assert.NotEmpty(t, testenv.Decode[errorJSON](e, resp).Fields, query)
	}
}
