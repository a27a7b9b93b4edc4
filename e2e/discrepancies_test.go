package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/reconcile"
	"github.com/heleket-payouts/payouts/store"
)

type discrepancyJSON struct {
	ID         int64   `json:"id"`
	RunID      string  `json:"run_id"`
	PayoutID   string  `json:"payout_id"`
	Kind       string  `json:"kind"`
	ResolvedAt *string `json:"resolved_at"`
	Resolution string  `json:"resolution"`
	ResolvedBy string  `json:"resolved_by"`
	Note       string  `json:"note"`
}

type discrepancyPageJSON struct {
	Items      []discrepancyJSON `json:"items"`
	NextCursor *string           `json:"next_cursor"`
}

type resolvedJSON struct {
	Discrepancy      discrepancyJSON `json:"discrepancy"`
	AttentionCleared bool            `json:"attention_cleared"`
}

// discrepancyRun records a reconciliation run with the discrepancies
// given, as a run that found them would; what finding them takes is
// e2e/reconcile's.
func discrepancyRun(t *testing.T, e *testenv.Env, found ...store.Discrepancy) []store.Discrepancy {
	t.Helper()
	runID := uniqueKey("run")
	_, err := e.Store.BeginRun(t.Context(), store.RunStart{ID: runID, Trigger: "test", WorkflowID: "wf-" + runID},
		store.Lease{TTL: 10 * time.Minute, Lookback: time.Hour})
	require.NoError(t, err)
	out := make([]store.Discrepancy, len(found))
	for i, d := range found {
		d.RunID = runID
		stored, created, err := e.Store.AddDiscrepancy(t.Context(), d)
		require.NoError(t, err)
		require.True(t, created)
		out[i] = stored
	}
	_, err = e.Store.FinishRun(t.Context(), reconcile.Finish{RunID: runID, Status: reconcile.StatusSucceeded})
	require.NoError(t, err)
	return out
}

func listDiscrepancies(t *testing.T, e *testenv.Env, query string) discrepancyPageJSON {
	t.Helper()
	resp := e.Do(http.MethodGet, "/discrepancies?"+query, nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, query)
	return testenv.Decode[discrepancyPageJSON](e, resp)
}

func resolve(e *testenv.Env, id int64, body, token string) *http.Response {
	return e.Do(http.MethodPost, fmt.Sprintf("/discrepancies/%d/resolve", id), []byte(body), as(token))
}

// The list filters by status, kind, payout and run, newest first, and its
// pages walk a selection once.
func TestDiscrepancyListFiltersAndPages(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true})
	p := accepted(t, e, uniqueKey("disc"), uniqueKey("disc"), body("5", tronAddress))
	var found []store.Discrepancy
	for i := range 5 {
		found = append(found, store.Discrepancy{OrderID: uniqueKey(fmt.Sprint("orphan", i)), Kind: reconcile.KindOrphan, Reason: "unknown here"})
	}
	found = append(found, store.Discrepancy{OrderID: p.ID, PayoutID: p.ID, Kind: reconcile.KindStuck, Reason: "requested for 2h"})
	stored := discrepancyRun(t, e, found...)
	runID := stored[0].RunID
	stuck := stored[5]

	byPayout := listDiscrepancies(t, e, "payout_id="+p.ID)
	require.Len(t, byPayout.Items, 1)
	assert.Equal(t, stuck.ID, byPayout.Items[0].ID)
	assert.Nil(t, byPayout.NextCursor)
	assert.Len(t, listDiscrepancies(t, e, "kind=orphan&run_id="+url.QueryEscape(runID)).Items, 5)
	assert.Len(t, listDiscrepancies(t, e, "status=open&run_id="+url.QueryEscape(runID)).Items, 6)
	assert.Empty(t, listDiscrepancies(t, e, "status=resolved&run_id="+url.QueryEscape(runID)).Items)

	var walked []int64
	query := "limit=2&run_id=" + url.QueryEscape(runID)
	for pages := 0; ; pages++ {
		require.Less(t, pages, 5)
		page := listDiscrepancies(t, e, query)
		for _, d := range page.Items {
			walked = append(walked, d.ID)
		}
		if page.NextCursor == nil {
			break
		}
		query = "limit=2&run_id=" + url.QueryEscape(runID) + "&cursor=" + *page.NextCursor
	}
	want := make([]int64, 0, len(stored))
	for i := len(stored) - 1; i >= 0; i-- {
		want = append(want, stored[i].ID)
	}
	assert.Equal(t, want, walked, "three pages of two, newest first, each once")

	for _, bad := range []string{"status=closed", "kind=lost", "cursor=%21", "limit=0", "colour=red"} {
		resp := e.Do(http.MethodGet, "/discrepancies?"+bad, nil, nil)
		assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, bad)
		assert.NotEmpty(t, testenv.Decode[errorJSON](e, resp).Fields, bad)
	}
}

// Resolving: an operator's role, a closed set of resolutions and a note,
// field errors otherwise; needs_attention clears only with the payout's
// last open discrepancy; every resolution is in the payout's audit trail;
// the same resolution again is a replay, another one a conflict.
func TestResolvingTheLastOpenDiscrepancyClearsNeedsAttention(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true, AdminTokens: roleTokens(t)})
	p := accepted(t, e, uniqueKey("resolve"), uniqueKey("resolve"), body("5", tronAddress))
	require.NoError(t, e.Store.SetNeedsAttention(t.Context(), p.ID, true, payout.SourceReconcile, "stuck: test"))
	stored := discrepancyRun(t, e,
		store.Discrepancy{OrderID: p.ID, PayoutID: p.ID, Kind: reconcile.KindStuck, Reason: "requested for 2h"},
		store.Discrepancy{OrderID: p.ID, PayoutID: p.ID, Kind: reconcile.KindTermsMismatch, Reason: "amount differs"})
	stuck, mismatch := stored[0], stored[1]

	denied := resolve(e, stuck.ID, `{"resolution":"fixed","note":"x"}`, initiatorToken)
	require.Equal(t, http.StatusForbidden, denied.StatusCode)
	assert.Equal(t, "operator", testenv.Decode[forbiddenJSON](e, denied).NeedRole)
	bad := resolve(e, stuck.ID, `{"resolution":"ignored","note":" "}`, operatorToken)
	require.Equal(t, http.StatusUnprocessableEntity, bad.StatusCode)
	fields := testenv.Decode[errorJSON](e, bad).Fields
	assert.Contains(t, fields["resolution"][0], "fixed, accepted, false_positive")
	assert.Contains(t, fields["note"][0], "is required")
	missing := resolve(e, 999999999, `{"resolution":"fixed","note":"x"}`, operatorToken)
	missing.Body.Close()
	assert.Equal(t, http.StatusNotFound, missing.StatusCode)

	first := resolve(e, stuck.ID, `{"resolution":"accepted","note":"slow chain, paid since"}`, operatorToken)
	require.Equal(t, http.StatusOK, first.StatusCode)
	got := testenv.Decode[resolvedJSON](e, first)
	assert.False(t, got.AttentionCleared, "the mismatch is still open")
	assert.Equal(t, "otto", got.Discrepancy.ResolvedBy)
	assert.Equal(t, "accepted", got.Discrepancy.Resolution)
	assert.NotNil(t, got.Discrepancy.ResolvedAt)
	assert.True(t, getNeedsAttention(t, e, p.ID))

	last := resolve(e, mismatch.ID, `{"resolution":"fixed","note":"corrected at Heleket"}`, operatorToken)
	require.Equal(t, http.StatusOK, last.StatusCode)
	assert.True(t, testenv.Decode[resolvedJSON](e, last).AttentionCleared)
	assert.False(t, getNeedsAttention(t, e, p.ID), "nothing open for the payout any more")

	replay := resolve(e, mismatch.ID, `{"resolution":"fixed","note":"corrected at Heleket"}`, operatorToken)
	require.Equal(t, http.StatusOK, replay.StatusCode)
	assert.Equal(t, "true", replay.Header.Get("Idempotent-Replayed"))
	replay.Body.Close()
	conflict := resolve(e, mismatch.ID, `{"resolution":"false_positive","note":"changed my mind"}`, operatorToken)
	conflict.Body.Close()
	assert.Equal(t, http.StatusConflict, conflict.StatusCode)

	trail := testenv.Decode[struct {
		Items []struct {
			FromStatus *string        `json:"from_status"`
			ToStatus   string         `json:"to_status"`
			Actor      string         `json:"actor"`
			Details    map[string]any `json:"details"`
		} `json:"items"`
	}](e, e.Do(http.MethodGet, "/payouts/"+p.ID+"/events", nil, nil))
	var resolutions []map[string]any
	for _, ev := range trail.Items {
		if ev.Details["action"] == "discrepancy_resolved" {
			assert.Equal(t, "otto", ev.Actor)
			require.NotNil(t, ev.FromStatus)
			assert.Equal(t, ev.ToStatus, *ev.FromStatus, "a resolution keeps the status")
			resolutions = append(resolutions, ev.Details)
		}
	}
	require.Len(t, resolutions, 2, "one audit row per resolution, none for the replay")
	assert.Equal(t, "slow chain, paid since", resolutions[0]["note"])
	assert.Equal(t, false, resolutions[1]["needs_attention"])
	assert.Equal(t, 2, sqlCount(t, e, `SELECT count(*) FROM reconciliation_discrepancy_events WHERE discrepancy_id = ANY($1)`,
		[]int64{stuck.ID, mismatch.ID}))

	resolved := listDiscrepancies(t, e, "status=resolved&payout_id="+p.ID)
	assert.Len(t, resolved.Items, 2)
	assert.Empty(t, listDiscrepancies(t, e, "status=open&payout_id="+p.ID).Items)
}

func getNeedsAttention(t *testing.T, e *testenv.Env, id string) bool {
	t.Helper()
	resp := e.Do(http.MethodGet, "/payouts/"+id, nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return testenv.Decode[struct {
		NeedsAttention bool `json:"needs_attention"`
	}](e, resp).NeedsAttention
}
