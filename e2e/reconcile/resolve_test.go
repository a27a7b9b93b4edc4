package reconcile_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/activities"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
)

// A stuck payout a run flagged is resolved by an operator through the
// API: its needs_attention clears, and the next run, finding it still
// stuck, neither raises the discrepancy again nor flags it again.
func TestAResolvedStuckPayoutIsNotFlaggedAgain(t *testing.T) {
	e := testenv.New(t, testenv.Options{Reconcile: activities.ReconcileSettings{StuckAfter: time.Millisecond}})
	const stuckAddr = "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbRs"
	e.Sandbox.ForceOutcome(stuckAddr, "process")
	id := createOverHTTP(t, e, "resolve-"+t.Name(), stuckAddr)
	eventually(t, "stuck payout processing", func() bool { return status(t, e, id) == payout.StatusProcessing })
	runNow(t, e)
	require.True(t, needsAttention(t, e, id))

	page := testenv.Decode[struct {
		Items []struct {
			ID   int64  `json:"id"`
			Kind string `json:"kind"`
		} `json:"items"`
	}](e, e.Do(http.MethodGet, "/discrepancies?status=open&payout_id="+id, nil, nil))
	require.Len(t, page.Items, 1)
	require.Equal(t, "stuck", page.Items[0].Kind)
	resp := e.Do(http.MethodPost, fmt.Sprintf("/discrepancies/%d/resolve", page.Items[0].ID),
		[]byte(`{"resolution":"accepted","note":"Heleket confirms it is processing; chain congestion"}`), nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp.Body.Close()
	require.False(t, needsAttention(t, e, id), "the last open discrepancy resolved")

	res := runNow(t, e)
	assert.Equal(t, 1, res.Counts.Stuck, "still stuck")
	assert.Zero(t, res.Counts.NewDiscrepancies)
	assert.False(t, needsAttention(t, e, id), "a resolved discrepancy does not flag the payout again")
}

func needsAttention(t *testing.T, e *testenv.Env, id string) bool {
	t.Helper()
	p, err := e.Store.GetPayout(context.Background(), id)
	require.NoError(t, err)
	return p.NeedsAttention
}
