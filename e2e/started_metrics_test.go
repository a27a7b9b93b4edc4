package e2e

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/batch"
	"github.com/heleket-payouts/payouts/internal/metricstest"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
)

// startedCount reads payouts_started_total for USDT on tron from origin.
func startedCount(t *testing.T, origin payout.Origin) float64 {
	return metricstest.Counter(t, "payouts_started_total",
		map[string]string{"asset": "USDT", "network": "tron", "origin": string(origin)})
}

// In-flight figures are started minus finished, so every payout must be
// counted as started exactly once, whoever stores it: the API, a batch,
// the workflow's Persist.
func TestEveryPayoutStartCountsOnceWhateverItsOrigin(t *testing.T) {
	e := testenv.New(t, testenv.Options{})

	manual := startedCount(t, payout.OriginManual)
	key := uniqueKey("started")
	p := accepted(t, e, "53", key, body("5", tronAddress))
	replay := create(e, "53", key, body("5", tronAddress))
	require.Equal(t, http.StatusAccepted, replay.StatusCode)
	assert.Equal(t, "true", replay.Header.Get("Idempotent-Replayed"))
	replay.Body.Close()
	require.Equal(t, payout.StatusPaid, e.WaitFinal(p.ID).Status, "its workflow persisted it too")
	assert.Equal(t, 1.0, startedCount(t, payout.OriginManual)-manual, "a payout and its replay count once")

	bonus := startedCount(t, payout.OriginBonus)
	rows := []batch.Row{
		{ClientID: "s-1", Asset: "USDT", Network: "tron", Amount: "1", Address: tronAddress},
		{ClientID: "s-2", Asset: "USDT", Network: "tron", Amount: "2", Address: tronAddress},
		{ClientID: "s-3", Asset: "USDT", Network: "tron", Amount: "3", Address: tronAddress},
	}
	bkey := uniqueKey("started-batch")
	resp := postBatch(e, bkey, "application/json", jsonRows(t, rows))
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	b := testenv.Decode[batchJSON](e, resp)
	waitStarted(t, e, b.ID)
	for i, r := range rows {
		require.Equal(t, payout.StatusPaid, e.WaitFinal(batch.PayoutID(e.Installation, bkey, r.ClientID, i)).Status)
	}
	again := postBatch(e, bkey, "application/json", jsonRows(t, rows))
	require.Equal(t, http.StatusAccepted, again.StatusCode)
	again.Body.Close()
	assert.Equal(t, float64(len(rows)), startedCount(t, payout.OriginBonus)-bonus, "a batch of N rows is N payouts started")
}
