package e2e

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testenv"
)

// getCSV reads a CSV answer with a standard reader, as a client would,
// and gives its rows as maps by header name.
func getCSV(t *testing.T, e *testenv.Env, path string, headers map[string]string) ([]string, []map[string]string) {
	t.Helper()
	resp := e.Do(http.MethodGet, path, nil, headers)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s", path)
	assert.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, resp.Header.Get("Content-Disposition"), "attachment; filename=")
	recs, err := csv.NewReader(resp.Body).ReadAll()
	require.NoError(t, err, "GET %s is RFC 4180", path)
	require.NotEmpty(t, recs, "a header row at least")
	var rows []map[string]string
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, name := range recs[0] {
			row[name] = rec[i]
		}
		rows = append(rows, row)
	}
	return recs[0], rows
}

func column(rows []map[string]string, name string) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, r[name])
	}
	return out
}

// TestPayoutsExportMatchesTheList runs without a worker, so the payouts
// stay as created and the list and the export see the same rows.
func TestPayoutsExportMatchesTheList(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true, AdminTokens: roleTokens(t)})
	// Memos are the free text a client controls; only ton takes one.
	memos := []string{"", "with, comma", `with "quotes"`, `=HYPERLINK("x")`, "-1+1"}
	for i, memo := range memos {
		b := fmt.Sprintf(`{"asset":"USDT","network":"tron","amount":"%d.000001","address":%q,"origin":%q}`,
			i+1, tronAddress, []string{"manual", "bonus"}[i%2])
		if memo != "" {
			b = fmt.Sprintf(`{"asset":"TON","network":"ton","amount":"%d.5","address":%q,"memo":%q,"origin":%q}`,
				i+1, batchTONAddress, memo, []string{"manual", "bonus"}[i%2])
		}
		resp := create(e, fmt.Sprint(73+i%2), fmt.Sprint("export-", i), []byte(b))
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusAccepted, resp.StatusCode, "%s: %s", b, raw)
	}

	header, rows := getCSV(t, e, "/payouts/export.csv", as(viewerToken))
	assert.Equal(t, []string{"id", "client_id", "asset", "network", "amount", "address_masked", "memo", "origin",
		"status", "is_subtract", "heleket_uuid", "txid", "commission", "failure_reason", "needs_attention",
		"requested_by", "created_at", "updated_at", "finalized_at", "waiting_for_kind", "waiting_for_reason", "retry_of", "retried_as"}, header)
	list := listPayouts(e, "limit=500")
	require.Len(t, rows, len(list.Items))
	assert.Equal(t, pageIDs(list), column(rows, "id"), "the list's rows in the list's order")
	for i, it := range list.Items {
		r := rows[i]
		assert.Equal(t, it.Amount, r["amount"], "decimal as the API writes it")
		assert.Equal(t, it.AddressMasked, r["address_masked"])
		assert.Equal(t, it.ClientID, r["client_id"])
		assert.Equal(t, it.Status, r["status"])
		assert.Equal(t, it.Origin, r["origin"])
		assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`, r["created_at"], "UTC RFC 3339")
	}
	memo := map[string]bool{}
	for _, r := range rows {
		assert.NotContains(t, r["address_masked"], tronAddress)
		assert.NotContains(t, r["address_masked"], batchTONAddress)
		memo[r["memo"]] = true
	}
	assert.Equal(t, map[string]bool{"": true, "with, comma": true, `with "quotes"`: true,
		`'=HYPERLINK("x")`: true, "'-1+1": true}, memo, "escaping round-trips; formulas are defused")

	_, bonus := getCSV(t, e, "/payouts/export.csv?origin=bonus&client_id=74", nil)
	assert.Equal(t, pageIDs(listPayouts(e, "origin=bonus&client_id=74")), column(bonus, "id"))
	assert.NotEmpty(t, bonus)
	_, none := getCSV(t, e, "/payouts/export.csv?status=paid", nil)
	assert.Empty(t, none, "only the header row")

	for _, q := range []string{"status=nope", "created_from=yesterday", "limit=10", "stauts=paid"} {
		resp := e.Do(http.MethodGet, "/payouts/export.csv?"+q, nil, nil)
		assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, q)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Contains(t, string(body), `"fields"`, q)
	}
}

func TestPayoutEventsCSVIsTheAuditTrail(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	p := accepted(t, e, "75", "events-csv-"+t.Name(), body("8.5", tronAddress))
	require.Equal(t, "paid", string(e.WaitFinal(p.ID).Status))

	header, rows := getCSV(t, e, "/payouts/"+p.ID+"/events.csv", nil)
	assert.Equal(t, []string{"id", "payout_id", "at", "from_status", "to_status", "source", "actor", "details"}, header)
	resp := e.Do(http.MethodGet, "/payouts/"+p.ID+"/events", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	trail := testenv.Decode[struct {
		Items []struct {
			ID       int64   `json:"id"`
			From     *string `json:"from_status"`
			To       string  `json:"to_status"`
			Source   string  `json:"source"`
			Actor    string  `json:"actor"`
			Details  any     `json:"details"`
			Received string  `json:"at"`
		} `json:"items"`
	}](e, resp)
	require.Len(t, rows, len(trail.Items))
	require.GreaterOrEqual(t, len(rows), 2)
	for i, it := range trail.Items {
		r := rows[i]
		assert.Equal(t, fmt.Sprint(it.ID), r["id"])
		assert.Equal(t, p.ID, r["payout_id"])
		assert.Equal(t, it.To, r["to_status"])
		assert.Equal(t, it.Source, r["source"])
		if it.From == nil {
			assert.Empty(t, r["from_status"])
		} else {
			assert.Equal(t, *it.From, r["from_status"])
		}
		if r["details"] != "" {
			assert.True(t, json.Valid([]byte(r["details"])), r["details"])
		}
		assert.NotContains(t, r["details"], tronAddress)
	}
	assert.Equal(t, "paid", rows[len(rows)-1]["to_status"])

	resp = e.Do(http.MethodGet, "/payouts/no-such-payout/events.csv", nil, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp.Body.Close()
}
