package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/batch"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/store"
	"github.com/heleket-payouts/payouts/workflows"
)

const batchTONAddress = "EQDtFpEwcFAEcRe5mLVh2N6C0x-_hJEM7W61_JLnSF74p4q2"

type batchJSON struct {
	ID          string                    `json:"id"`
	Rows        int                       `json:"rows"`
	RequestedBy string                    `json:"requested_by"`
	NotStarted  int                       `json:"not_started"`
	Final       int                       `json:"final"`
	Done        bool                      `json:"done"`
	Statuses    map[string]int            `json:"statuses"`
	Assets      map[string]batchAssetJSON `json:"assets"`
}

type batchAssetJSON struct {
	Rows     int               `json:"rows"`
	Amount   string            `json:"amount"`
	ByStatus map[string]string `json:"by_status"`
}

type batchErrorJSON struct {
	Error  string                         `json:"error"`
	Fields map[string][]string            `json:"fields"`
	Rows   map[string]map[string][]string `json:"rows"`
}

// uniqueKey makes a key or client ID that no earlier run against the same dev
// server used (go test -count=N), since payout and workflow IDs derive
// from it.
func uniqueKey(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand never fails on Linux
	return prefix + "-" + hex.EncodeToString(b)
}

func postBatch(e *testenv.Env, key, contentType string, body []byte) *http.Response {
	return e.Do(http.MethodPost, "/payouts/batch", body, map[string]string{"Idempotency-Key": key, "Content-Type": contentType})
}

func jsonRows(t *testing.T, rows []batch.Row) []byte {
	b, err := json.Marshal(rows)
	require.NoError(t, err)
	return b
}

func upsertDefaultWallet(t *testing.T, e *testenv.Env, client, asset, network, address string) {
	_, err := e.Store.UpsertWallet(context.Background(), store.Wallet{ClientID: client, Asset: asset, Network: network, Address: address, IsDefault: true})
	require.NoError(t, err)
}

func sqlCount(t *testing.T, e *testenv.Env, query string, args ...any) int {
	var n int
	require.NoError(t, e.Store.Pool().QueryRow(context.Background(), query, args...).Scan(&n))
	return n
}

// waitStarted asks for the batch until every row's workflow is started:
// the request answers after a few seconds at most and starting goes on.
func waitStarted(t *testing.T, e *testenv.Env, id string) batchJSON {
	// The campaign's workflow ends once every row has started.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	require.NoError(t, e.Temporal.GetWorkflow(ctx, workflows.BatchWorkflowID(id), "").Get(ctx, nil), "batch %s", id)
	for range 3000 {
		b := testenv.Decode[batchJSON](e, e.Do(http.MethodGet, "/payouts/batches/"+id, nil, nil))
		if b.NotStarted == 0 {
			return b
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("batch %s never got all its workflows started", id)
	return batchJSON{}
}

func TestBatchPaysEveryRowOnceAndRepeatsAnswerTheSameBatch(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	upsertDefaultWallet(t, e, "b-2", "USDT", "tron", tronAddress)
	rows := []batch.Row{
		{ClientID: "b-1", Asset: "USDT", Network: "tron", Amount: "10.50", Address: tronAddress},
		{ClientID: "b-2", Asset: "usdt", Network: "TRON", Amount: "2"}, // default wallet
		{ClientID: "b-3", Asset: "TON", Network: "ton", Amount: "1.5", Address: batchTONAddress, Memo: "bonus"},
		{ClientID: "b-1", Asset: "USDT", Network: "tron", Amount: "10.50", Address: tronAddress}, // a second, separate bonus
	}
	key := uniqueKey("black-friday")
	resp := postBatch(e, key, "application/json", jsonRows(t, rows))
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	first := testenv.Decode[batchJSON](e, resp)
	assert.Equal(t, batch.ID(e.Installation, key), first.ID)
	assert.Equal(t, "/payouts/batches/"+first.ID, resp.Header.Get("Location"))
	assert.Equal(t, 4, first.Rows)
	waitStarted(t, e, first.ID)
	assert.Equal(t, testenv.AdminName, first.RequestedBy)
	assert.Equal(t, "23", first.Assets["USDT"].Amount)
	assert.Equal(t, "1.5", first.Assets["TON"].Amount)

	for i, r := range rows {
		p := e.WaitFinal(batch.PayoutID(e.Installation, key, r.ClientID, i))
		assert.Equal(t, payout.StatusPaid, p.Status, "row %d", i)
		assert.Equal(t, payout.OriginBonus, p.Origin)
		assert.Equal(t, []string{"api:->requested", "workflow:requested->submitted", "webhook:submitted->processing", "webhook:processing->paid"}, e.Trail(p.ID))
	}
	assert.Equal(t, tronAddress, e.WaitFinal(batch.PayoutID(e.Installation, key, "b-2", 1)).Address, "the default wallet")
	assert.Equal(t, "bonus", e.WaitFinal(batch.PayoutID(e.Installation, key, "b-3", 2)).Memo)

	done := testenv.Decode[batchJSON](e, e.Do(http.MethodGet, "/payouts/batches/"+first.ID, nil, nil))
	assert.True(t, done.Done)
	assert.Equal(t, map[string]int{"paid": 4}, done.Statuses)
	assert.Equal(t, map[string]string{"paid": "23"}, done.Assets["USDT"].ByStatus)
	assert.Equal(t, 3, done.Assets["USDT"].Rows)

	// The same request again (amounts written differently): the same batch, nothing new.
	rows[0].Amount = "10.5"
	again := postBatch(e, key, "application/json", jsonRows(t, rows))
	require.Equal(t, http.StatusAccepted, again.StatusCode)
	assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, first.ID, testenv.Decode[batchJSON](e, again).ID)

	rows[0].Amount = "11"
	conflict := postBatch(e, key, "application/json", jsonRows(t, rows))
	assert.Equal(t, http.StatusConflict, conflict.StatusCode)
	conflict.Body.Close()

	assert.Equal(t, 4, payoutRows(t, e))
	assert.Equal(t, 4, e.Sandbox.Stats().Creates)
	assert.Equal(t, 1, countWorkflows(t, e, batch.PayoutID(e.Installation, key, "b-1", 0)))
}

func TestBatchFromCSV(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	upsertDefaultWallet(t, e, "c-2", "USDT", "tron", tronAddress)
	csv := "amount,client_id,asset,network,address\n" +
		"5,c-1,USDT,tron," + tronAddress + "\n" +
		"\"1.25\",c-2,USDT,tron,\n"
	key := uniqueKey("csv")
	resp := postBatch(e, key, "text/csv", []byte(csv))
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	b := testenv.Decode[batchJSON](e, resp)
	assert.Equal(t, 2, b.Rows)
	assert.Equal(t, "6.25", b.Assets["USDT"].Amount)
	waitStarted(t, e, b.ID)

	assert.Equal(t, payout.StatusPaid, e.WaitFinal(batch.PayoutID(e.Installation, key, "c-1", 0)).Status)
	assert.Equal(t, payout.StatusPaid, e.WaitFinal(batch.PayoutID(e.Installation, key, "c-2", 1)).Status)
	assert.Equal(t, 2, e.Sandbox.Stats().Creates)
}

func TestBatchWithBadRowsStoresAndStartsNothing(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	rows := []batch.Row{
		{ClientID: "x-1", Asset: "USDT", Network: "tron", Amount: "5", Address: tronAddress},
		{ClientID: "x-2", Asset: "USDT", Network: "tron", Amount: "-5", Address: tronAddress},
		{ClientID: "x-3", Asset: "USDT", Network: "tron", Amount: "5"}, // no default wallet
		{ClientID: "x-4", Asset: "USDT", Network: "moon", Amount: "1.1234567", Address: "0x52908400098527886E0F7030069857D2E4169EE7"},
		{ClientID: "x-5", Asset: "USDT", Network: "tron", Amount: "5", Address: tronAddress},
	}
	resp := postBatch(e, uniqueKey("bad"), "application/json", jsonRows(t, rows))
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	got := testenv.Decode[batchErrorJSON](e, resp)
	assert.Contains(t, got.Error, "3 of 5 rows")
	require.Len(t, got.Rows, 3, "every bad row at once: %v", got.Rows)
	assert.NotEmpty(t, got.Rows["1"]["amount"])
	assert.Contains(t, got.Rows["2"]["address"][0], "no default USDT wallet on tron")
	assert.NotEmpty(t, got.Rows["3"]["network"])
	assert.NotEmpty(t, got.Rows["3"]["amount"])
	assert.NotContains(t, fmt.Sprint(got), tronAddress, "addresses are never echoed")

	missingKey := postBatch(e, "", "application/json", jsonRows(t, rows[:1]))
	require.Equal(t, http.StatusUnprocessableEntity, missingKey.StatusCode)
	assert.NotEmpty(t, testenv.Decode[batchErrorJSON](e, missingKey).Fields["Idempotency-Key"])

	for name, c := range map[string]struct {
		contentType, body string
		status            int
	}{
		"empty list":     {"application/json", `[]`, http.StatusUnprocessableEntity},
		"float amount":   {"application/json", `[{"client_id":"x","asset":"USDT","network":"tron","amount":5}]`, http.StatusBadRequest},
		"csv no amount":  {"text/csv", "client_id,asset,network\nx,USDT,tron\n", http.StatusBadRequest},
		"csv ragged":     {"text/csv", "client_id,asset,network,amount\nx,USDT,tron\n", http.StatusBadRequest},
		"xml":            {"application/xml", `<rows/>`, http.StatusUnsupportedMediaType},
		"too many bytes": {"text/csv", "client_id,asset,network,amount\n" + strings.Repeat("x,USDT,tron,1\n", 1_300_000), http.StatusRequestEntityTooLarge}, // over 16 MiB
	} {
		t.Run(name, func(t *testing.T) {
			resp := postBatch(e, "refused-"+name, c.contentType, []byte(c.body))
			assert.Equal(t, c.status, resp.StatusCode)
			assert.NotEmpty(t, testenv.Decode[errorJSON](e, resp).Error)
		})
	}

	assert.Zero(t, payoutRows(t, e))
	assert.Zero(t, sqlCount(t, e, "select count(*) from payout_batches"))
	assert.Zero(t, sqlCount(t, e, "select count(*) from payout_events"))
	assert.Zero(t, e.Sandbox.Stats().Calls["/v1/payout"])
}

// A crash after the batch was stored but before its workflows started is
// what a repeat of the request repairs: the rows exist, so the repeat only
// starts them.
func TestBatchRepeatResumesStartsLostInACrash(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	rows := []batch.Row{
		{ClientID: "r-1", Asset: "USDT", Network: "tron", Amount: "3", Address: tronAddress},
		{ClientID: "r-2", Asset: "USDT", Network: "tron", Amount: "4", Address: tronAddress},
	}
	key := uniqueKey("crash")
	_, payouts := storeCampaignWithoutWorkflow(t, e, e.Installation, key, rows)
	stored := testenv.Decode[batchJSON](e, e.Do(http.MethodGet, "/payouts/batches/"+batch.ID(e.Installation, key), nil, nil))
	assert.Equal(t, 2, stored.NotStarted, "stored as requested, nothing started")

	resp := postBatch(e, key, "application/json", jsonRows(t, rows))
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	assert.Equal(t, "true", resp.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, batch.ID(e.Installation, key), testenv.Decode[batchJSON](e, resp).ID)
	waitStarted(t, e, batch.ID(e.Installation, key))
	for _, p := range payouts {
		assert.Equal(t, payout.StatusPaid, e.WaitFinal(p.ID).Status)
	}
	assert.Equal(t, 2, e.Sandbox.Stats().Creates)
}

// batchRows is the size of the large batch: BATCH_ROWS, or 1,000 so that
// make test stays quick (BATCH_ROWS=10000 runs the full-size campaign; on
// the SQLite dev server starting its workflows takes minutes).
func batchRows(t *testing.T) int {
	if v := os.Getenv("BATCH_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "BATCH_ROWS")
		require.LessOrEqual(t, n, batch.MaxRows, "BATCH_ROWS")
		return n
	}
	return 1000
}

// Only campaigns run: the test is about accepting a large batch (every
// row stored before the answer, every workflow started after it), not about
// the sandbox paying thousands of payouts.
func TestLargeBatchIsAcceptedInOneRequest(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true})
	e.StartCampaignWorker()
	n := batchRows(t)
	var sb strings.Builder
	sb.WriteString("client_id,asset,network,amount,address\n")
	want := decimal.Zero
	for i := range n {
		amount := decimal.New(int64(i%100+1), -2)
		want = want.Add(amount)
		fmt.Fprintf(&sb, "client-%d,USDT,tron,%s,%s\n", i%500, amount, tronAddress)
	}
	key := uniqueKey("large")

	start := time.Now()
	resp := postBatch(e, key, "text/csv", []byte(sb.String()))
	answered := time.Since(start)
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	b := testenv.Decode[batchJSON](e, resp)
	assert.Equal(t, n, b.Rows)
	assert.Equal(t, n, b.Statuses["requested"], "every row stored as requested before the answer")
	assert.Equal(t, want.String(), b.Assets["USDT"].Amount)
	b = waitStarted(t, e, b.ID)
	t.Logf("batch of %d rows (%d KiB of CSV): answered in %s, all workflows started after %s",
		n, sb.Len()>>10, answered, time.Since(start))

	assert.Zero(t, b.NotStarted)
	assert.Equal(t, map[string]int{"requested": n}, b.Statuses)
	assert.Equal(t, n, payoutRows(t, e))
	assert.Equal(t, n, sqlCount(t, e, "select count(*) from payout_events where details->>'batch_id' = $1", b.ID))
	for _, i := range []int{0, n / 2, n - 1} {
		id := batch.PayoutID(e.Installation, key, fmt.Sprintf("client-%d", i%500), i)
		_, err := e.Temporal.DescribeWorkflowExecution(context.Background(), payout.WorkflowID(id), "")
		assert.NoError(t, err, "workflow of row %d", i)
	}
}
