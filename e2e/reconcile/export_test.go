package reconcile_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/internal/testenv"
)

func TestDiscrepanciesCSVHasTheRunsDiscrepancies(t *testing.T) {
	e := testenv.New(t, testenv.Options{Reconcile: activities.ReconcileSettings{StuckAfter: time.Millisecond}})
	const failAddr = "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbFa"
	e.Sandbox.ForceOutcome(failAddr, "fail")
	failed := createOverHTTP(t, e, "failed-"+t.Name(), failAddr)
	e.WaitFinal(failed)
	createAtHeleket(t, e, "orphan-for-the-csv", "7.25")
	res := runNow(t, e)
	run := getRun(t, e, res.RunID)
	require.GreaterOrEqual(t, len(run.Discrepancies), 2)

	resp := e.Do(http.MethodGet, "/reconciliation/runs/"+res.RunID+"/discrepancies.csv", nil, nil)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, resp.Header.Get("Content-Disposition"), "discrepancies.csv")
	recs, err := csv.NewReader(resp.Body).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, []string{"id", "run_id", "order_id", "payout_id", "kind", "reason", "ours", "theirs",
		"detected_at", "alerted_at", "resolved_at", "resolution", "resolved_by", "note"}, recs[0])
	require.Len(t, recs, len(run.Discrepancies)+1)
	for i, d := range run.Discrepancies {
		r := recs[i+1]
		assert.Equal(t, fmt.Sprint(d.ID), r[0])
		assert.Equal(t, res.RunID, r[1])
		assert.Equal(t, d.OrderID, r[2])
		assert.Equal(t, d.PayoutID, r[3])
		assert.Equal(t, string(d.Kind), r[4])
		assert.Equal(t, d.DetectedAt.UTC().Format(time.RFC3339Nano), r[8])
		for _, snapshot := range []string{r[6], r[7]} {
			if snapshot != "" {
				assert.True(t, json.Valid([]byte(snapshot)), snapshot)
			}
			assert.NotContains(t, snapshot, failAddr)
			assert.NotContains(t, snapshot, tronAddress)
		}
	}
	orders := map[string]string{}
	for _, r := range recs[1:] {
		orders[r[2]] = r[7]
	}
	require.Contains(t, orders, "orphan-for-the-csv")
	assert.Contains(t, orders["orphan-for-the-csv"], `"amount":"7.25"`, "amounts as decimal strings")

	missing := e.Do(http.MethodGet, "/reconciliation/runs/no-such-run/discrepancies.csv", nil, nil)
	assert.Equal(t, http.StatusNotFound, missing.StatusCode)
	missing.Body.Close()
}
