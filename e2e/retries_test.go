package e2e

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/batch"
	"github.com/heleket-payouts/payouts/gate"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
)

type linkedJSON struct {
	ID        string  `json:"id"`
	ClientID  string  `json:"client_id"`
	Amount    string  `json:"amount"`
	Status    string  `json:"status"`
	RetryOf   *string `json:"retry_of"`
	RetriedAs *string `json:"retried_as"`
}

type retryConflictJSON struct {
	Error     string `json:"error"`
	RetriedAs string `json:"retried_as"`
}

func retry(e *testenv.Env, id, key string) *http.Response {
	return e.Do(http.MethodPost, "/payouts/"+id+"/retry", nil, map[string]string{"Idempotency-Key": key})
}

// failedPayout makes a payout to address that Heleket fails, and lets the
// address pay again afterwards.
func failedPayout(t *testing.T, e *testenv.Env, client, amount, address string) payoutJSON {
	t.Helper()
	e.Sandbox.ForceOutcome(address, "fail")
	p := accepted(t, e, client, uniqueKey("to-fail"), body(amount, address))
	require.Equal(t, payout.StatusFailed, e.WaitFinal(p.ID).Status)
	e.Sandbox.ForceOutcome(address, "")
	return p
}

func getLinked(t *testing.T, e *testenv.Env, id string) linkedJSON {
	t.Helper()
	resp := e.Do(http.MethodGet, "/payouts/"+id, nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return testenv.Decode[linkedJSON](e, resp)
}

// A failed payout retried is a new payout that gets paid, linked both
// ways in the payout, the list and both audit trails; the same key
// answers the same retry; a second retry, a retry of a paid payout, a
// key reused for another payout and a missing key are refused.
func TestRetryOfAFailedPayoutIsPaidAndLinkedBothWays(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	client := uniqueKey("retry")
	original := failedPayout(t, e, client, "7", tronAddress)
	key := uniqueKey("retry-key")

	resp := retry(e, original.ID, key)
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	made := testenv.Decode[linkedJSON](e, resp)
	require.NotEqual(t, original.ID, made.ID, "a new payout, a new order_id")
	require.NotNil(t, made.RetryOf)
	assert.Equal(t, original.ID, *made.RetryOf)
	assert.Equal(t, "7", made.Amount)
	assert.Equal(t, "/payouts/"+made.ID, resp.Header.Get("Location"))

	again := retry(e, original.ID, key)
	require.Equal(t, http.StatusAccepted, again.StatusCode)
	assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, made.ID, testenv.Decode[linkedJSON](e, again).ID, "same key, same retry")

	assert.Equal(t, payout.StatusPaid, e.WaitFinal(made.ID).Status)
	got := getLinked(t, e, original.ID)
	require.NotNil(t, got.RetriedAs)
	assert.Equal(t, made.ID, *got.RetriedAs)
	assert.Equal(t, "failed", got.Status)
	page := testenv.Decode[struct {
		Items []linkedJSON `json:"items"`
	}](e, e.Do(http.MethodGet, "/payouts?client_id="+client, nil, nil))
	require.Len(t, page.Items, 2)
	assert.Equal(t, made.ID, page.Items[0].ID, "newest first")
	assert.Equal(t, original.ID, *page.Items[0].RetryOf)
	assert.Equal(t, made.ID, *page.Items[1].RetriedAs)

	events, err := e.Store.Events(t.Context(), original.ID)
	require.NoError(t, err)
	last := events[len(events)-1]
	assert.Equal(t, map[string]any{"action": "retried", "retried_as": made.ID}, last.Details)
	assert.Equal(t, testenv.AdminName, last.Actor)
	created, err := e.Store.Events(t.Context(), made.ID)
	require.NoError(t, err)
	assert.Equal(t, original.ID, created[0].Details["retry_of"])

	second := retry(e, original.ID, uniqueKey("other-key"))
	require.Equal(t, http.StatusConflict, second.StatusCode)
	assert.Equal(t, made.ID, testenv.Decode[retryConflictJSON](e, second).RetriedAs, "retried at most once")

	paid := retry(e, made.ID, uniqueKey("paid"))
	require.Equal(t, http.StatusConflict, paid.StatusCode)
	assert.Contains(t, testenv.Decode[retryConflictJSON](e, paid).Error, "is paid")

	other := failedPayout(t, e, client, "3", tronAddress)
	reused := retry(e, other.ID, key)
	require.Equal(t, http.StatusConflict, reused.StatusCode, "the key already made a payout of this client")
	assert.Nil(t, getLinked(t, e, other.ID).RetriedAs, "refused: nothing linked")

	noKey := retry(e, other.ID, "")
	require.Equal(t, http.StatusUnprocessableEntity, noKey.StatusCode)
	assert.Contains(t, testenv.Decode[errorJSON](e, noKey).Fields, "Idempotency-Key")
	unknown := retry(e, "po-no-such-payout", uniqueKey("unknown"))
	unknown.Body.Close()
	assert.Equal(t, http.StatusNotFound, unknown.StatusCode)
	withBody := e.Do(http.MethodPost, "/payouts/"+other.ID+"/retry", []byte(`{"amount":"5"}`),
		map[string]string{"Idempotency-Key": uniqueKey("body")})
	withBody.Body.Close()
	assert.Equal(t, http.StatusBadRequest, withBody.StatusCode, "the retry takes no terms")
}

// A retry is a payout like any other for the money controls: a client's
// daily cap refuses it, with the cap's field error, and nothing is
// stored or linked.
func TestRetryPassesTheMoneyControls(t *testing.T) {
	e := testenv.New(t, testenv.Options{Controls: gate.Policy{ClientDailyLimits: usdt("10")}})
	client := uniqueKey("retry-cap")
	original := failedPayout(t, e, client, "8", tronAddress)
	// Failed payouts count for nothing; this paid one takes 5 of the 10.
	paid := accepted(t, e, client, uniqueKey("paid"), body("5", tronAddress))
	require.Equal(t, payout.StatusPaid, e.WaitFinal(paid.ID).Status)

	resp := retry(e, original.ID, uniqueKey("over-cap"))
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	refusal := testenv.Decode[errorJSON](e, resp)
	require.NotEmpty(t, refusal.Fields["amount"])
	assert.Contains(t, refusal.Fields["amount"][0], "client "+client+"'s 24 h total would be 13 USDT, over its daily limit of 10")
	assert.Nil(t, getLinked(t, e, original.ID).RetriedAs)
	assert.Equal(t, 2, sqlCount(t, e, `SELECT count(*) FROM payouts WHERE client_id = $1`, client), "a refused retry stores nothing")
}

type batchRetriedJSON struct {
	BatchID  string `json:"batch_id"`
	Retried  int    `json:"retried"`
	Replayed int    `json:"replayed"`
	Skipped  int    `json:"skipped"`
	Refused  []struct {
		PayoutID string              `json:"payout_id"`
		Fields   map[string][]string `json:"fields"`
	} `json:"refused"`
	Payouts []struct {
		RetryOf string `json:"retry_of"`
		ID      string `json:"id"`
		Status  string `json:"status"`
	} `json:"payouts"`
}

// retryLinks maps each retried row to its retry.
func retryLinks(r batchRetriedJSON) map[string]string {
	out := map[string]string{}
	for _, p := range r.Payouts {
		out[p.RetryOf] = p.ID
	}
	return out
}

func retryFailed(t *testing.T, e *testenv.Env, batchID, key string) batchRetriedJSON {
	t.Helper()
	resp := e.Do(http.MethodPost, "/payouts/batches/"+batchID+"/retry-failed", nil, map[string]string{"Idempotency-Key": key})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return testenv.Decode[batchRetriedJSON](e, resp)
}

// A campaign's retry-failed retries exactly its failed rows, once: a
// repeat with the same key answers the same payouts, another key skips
// them, and every retry is paid.
func TestBatchRetryFailedRetriesExactlyTheFailedRowsOnce(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	e.Sandbox.ForceOutcome(otherTronAddress, "fail")
	rows := []batch.Row{
		{ClientID: "rf-1", Asset: "USDT", Network: "tron", Amount: "1", Address: tronAddress},
		{ClientID: "rf-2", Asset: "USDT", Network: "tron", Amount: "2", Address: otherTronAddress},
		{ClientID: "rf-3", Asset: "USDT", Network: "tron", Amount: "3", Address: tronAddress},
		{ClientID: "rf-4", Asset: "USDT", Network: "tron", Amount: "4", Address: otherTronAddress},
	}
	resp := postBatch(e, uniqueKey("rf"), "application/json", jsonRows(t, rows))
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	b := testenv.Decode[batchJSON](e, resp)
	waitStarted(t, e, b.ID)
	failed := map[string]bool{}
	for _, id := range sqlStrings(t, e, `SELECT payout_id FROM payout_batch_items WHERE batch_id = $1`, b.ID) {
		if e.WaitFinal(id).Status == payout.StatusFailed {
			failed[id] = true
		}
	}
	require.Len(t, failed, 2, "the rows to otherTronAddress failed")
	e.Sandbox.ForceOutcome(otherTronAddress, "")

	key := uniqueKey("retry-failed")
	first := retryFailed(t, e, b.ID, key)
	assert.Equal(t, b.ID, first.BatchID)
	assert.Equal(t, 2, first.Retried)
	assert.Zero(t, first.Replayed)
	assert.Zero(t, first.Skipped)
	assert.Empty(t, first.Refused)
	require.Len(t, first.Payouts, 2)
	for _, r := range first.Payouts {
		assert.True(t, failed[r.RetryOf], "only failed rows are retried")
		assert.Equal(t, payout.StatusPaid, e.WaitFinal(r.ID).Status)
		require.NotNil(t, getLinked(t, e, r.RetryOf).RetriedAs)
		assert.Equal(t, r.ID, *getLinked(t, e, r.RetryOf).RetriedAs)
	}

	repeat := retryFailed(t, e, b.ID, key)
	assert.Zero(t, repeat.Retried, "a repeat retries nothing again")
	assert.Equal(t, 2, repeat.Replayed)
	assert.Equal(t, retryLinks(first), retryLinks(repeat), "and answers the same payouts")
	other := retryFailed(t, e, b.ID, uniqueKey("another"))
	assert.Zero(t, other.Retried)
	assert.Equal(t, 2, other.Skipped, "rows already retried are skipped")
	assert.Empty(t, other.Payouts)
	assert.Equal(t, 2, sqlCount(t, e, `SELECT count(*) FROM payouts p JOIN payout_batch_items i ON i.payout_id = p.retry_of
		WHERE i.batch_id = $1`, b.ID), "two retries in all")

	unknown := e.Do(http.MethodPost, "/payouts/batches/no-such-batch/retry-failed", nil, map[string]string{"Idempotency-Key": key})
	unknown.Body.Close()
	assert.Equal(t, http.StatusNotFound, unknown.StatusCode)
}

// A campaign row whose retry a money control refuses is reported, and
// the other rows are retried all the same.
func TestBatchRetryFailedReportsRowsTheGateRefuses(t *testing.T) {
	e := testenv.New(t, testenv.Options{Controls: gate.Policy{ClientDailyLimits: usdt("15")}})
	e.Sandbox.ForceOutcome(otherTronAddress, "fail")
	capped, free := uniqueKey("rf-cap"), uniqueKey("rf-free")
	rows := []batch.Row{
		{ClientID: capped, Asset: "USDT", Network: "tron", Amount: "8", Address: otherTronAddress},
		{ClientID: free, Asset: "USDT", Network: "tron", Amount: "2", Address: otherTronAddress},
	}
	resp := postBatch(e, uniqueKey("rf-cap"), "application/json", jsonRows(t, rows))
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	b := testenv.Decode[batchJSON](e, resp)
	waitStarted(t, e, b.ID)
	byClient := map[string]string{}
	for _, id := range sqlStrings(t, e, `SELECT payout_id FROM payout_batch_items WHERE batch_id = $1`, b.ID) {
		p := e.WaitFinal(id)
		require.Equal(t, payout.StatusFailed, p.Status)
		byClient[p.ClientID] = id
	}
	e.Sandbox.ForceOutcome(otherTronAddress, "")
	// The capped client is paid 9 meanwhile: 9 + 8 is over its 15.
	paid := accepted(t, e, capped, uniqueKey("paid"), body("9", tronAddress))
	require.Equal(t, payout.StatusPaid, e.WaitFinal(paid.ID).Status)

	got := retryFailed(t, e, b.ID, uniqueKey("retry-failed"))
	assert.Equal(t, 1, got.Retried)
	require.Len(t, got.Refused, 1)
	assert.Equal(t, byClient[capped], got.Refused[0].PayoutID)
	assert.NotEmpty(t, got.Refused[0].Fields["amount"], "with the cap's field error")
	require.Len(t, got.Payouts, 1)
	assert.Equal(t, byClient[free], got.Payouts[0].RetryOf)
	assert.Nil(t, getLinked(t, e, byClient[capped]).RetriedAs, "the refused row stays unretried")
}
