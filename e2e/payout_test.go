package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/heleket/sandbox"
	"github.com/heleket-payouts/payouts/internal/testenv"
	"github.com/heleket-payouts/payouts/payout"
	"github.com/heleket-payouts/payouts/workflows"
)

const tronAddress = "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"

type payoutJSON struct {
	ID          string  `json:"id"`
	ClientID    string  `json:"client_id"`
	Asset       string  `json:"asset"`
	Network     string  `json:"network"`
	Amount      string  `json:"amount"`
	Origin      string  `json:"origin"`
	Status      string  `json:"status"`
	HeleketUUID *string `json:"heleket_uuid"`
	TxID        *string `json:"txid"`
	Commission  *string `json:"commission"`
	CreatedAt   string  `json:"created_at"`
	UpdatedAt   string  `json:"updated_at"`
}

type errorJSON struct {
	Error  string              `json:"error"`
	Fields map[string][]string `json:"fields"`
}

func body(amount, address string) []byte {
	b, _ := json.Marshal(map[string]string{"asset": "USDT", "network": "tron", "amount": amount, "address": address})
	return b
}

func create(e *testenv.Env, client, key string, b []byte) *http.Response {
	return e.Do(http.MethodPost, "/clients/"+client+"/payout", b, map[string]string{"Idempotency-Key": key})
}

func accepted(t *testing.T, e *testenv.Env, client, key string, b []byte) payoutJSON {
	resp := create(e, client, key, b)
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	p := testenv.Decode[payoutJSON](e, resp)
	require.Equal(t, "/payouts/"+p.ID, resp.Header.Get("Location"))
	return p
}

func payoutRows(t *testing.T, e *testenv.Env) int {
	var n int
	require.NoError(t, e.Store.Pool().QueryRow(context.Background(), "select count(*) from payouts").Scan(&n))
	return n
}

func TestPayoutOverHTTPEndsPaidWithFullAuditTrail(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	p := accepted(t, e, "42", "happy-"+t.Name(), body("100.50", tronAddress))
	assert.Equal(t, "requested", p.Status)
	assert.Equal(t, "100.5", p.Amount)
	assert.Equal(t, "manual", p.Origin)

	resp := e.Do(http.MethodGet, "/payouts/"+p.ID, nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, "never 404 right after a 202")
	resp.Body.Close()

	final := e.WaitFinal(p.ID)
	assert.Equal(t, payout.StatusPaid, final.Status)
	assert.Len(t, final.TxID, 64)
	require.True(t, final.Commission.Valid)
	assert.True(t, final.Commission.Decimal.IsPositive())
	assert.NotEmpty(t, final.HeleketUUID)
	assert.NotNil(t, final.FinalizedAt)
	assert.Equal(t, []string{"api:->requested", "workflow:requested->submitted", "webhook:submitted->processing", "webhook:processing->paid"}, e.Trail(p.ID))

	got := testenv.Decode[payoutJSON](e, e.Do(http.MethodGet, "/payouts/"+p.ID, nil, nil))
	assert.Equal(t, "paid", got.Status)
	require.NotNil(t, got.TxID)
	assert.Equal(t, final.TxID, *got.TxID)
	require.NotNil(t, got.Commission)

	st := e.Sandbox.Stats()
	assert.Equal(t, 1, st.Creates)
	assert.Equal(t, 1, st.Calls["/v1/payout/info"], "the final webhook is confirmed once, no polls")
	checkReplay(t, e, p.ID, "payout_webhook_path")
}

func TestWebhooksDroppedPayoutEndsPaidByPolling(t *testing.T) {
	e := testenv.New(t, testenv.Options{Timing: workflows.Timing{WebhookWait: 500 * time.Millisecond, PollInitial: 200 * time.Millisecond, PollMax: time.Second}})
	e.Sandbox.SetFaults(sandbox.Faults{WebhookDropRate: 1})
	p := accepted(t, e, "43", "poll-"+t.Name(), body("10", tronAddress))

	final := e.WaitFinal(p.ID)
	assert.Equal(t, payout.StatusPaid, final.Status)
	assert.NotEmpty(t, final.TxID)
	trail := e.Trail(p.ID)
	assert.Equal(t, "poll:", trail[len(trail)-1][:5], "the final status came from a poll: %v", trail)
	assert.NotContains(t, fmt.Sprint(trail), "webhook:")
	assert.Zero(t, e.Sandbox.Stats().WebhooksDelivered)
	checkReplay(t, e, p.ID, "payout_polling_path")
}

func TestHeleketRefusalEndsRejectedAfterOneCreate(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	// Below the sandbox's minimum for USDT on tron: valid for us, a 422 for Heleket.
	p := accepted(t, e, "44", "reject-"+t.Name(), body("0.000001", tronAddress))

	final := e.WaitFinal(p.ID)
	assert.Equal(t, payout.StatusRejected, final.Status)
	assert.Contains(t, final.FailureReason, "amount")
	assert.Equal(t, 1, e.Sandbox.Stats().Calls["/v1/payout"], "no retry storm")
	assert.Equal(t, 0, e.Sandbox.Stats().Creates)
	assert.Equal(t, []string{"api:->requested", "workflow:requested->rejected"}, e.Trail(p.ID))
	checkReplay(t, e, p.ID, "payout_rejected_path")
}

func TestInsufficientBalanceEndsRejected(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	before := e.Sandbox.Balance("USDT")
	p := accepted(t, e, "45", "broke-"+t.Name(), body(before.Add(before).String(), tronAddress))

	final := e.WaitFinal(p.ID)
	assert.Equal(t, payout.StatusRejected, final.Status)
	assert.NotEmpty(t, final.FailureReason)
	assert.True(t, before.Equal(e.Sandbox.Balance("USDT")), "nothing debited")
}

func TestForgedWebhookIs401AndChangesNothing(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	p := accepted(t, e, "46", "forged-"+t.Name(), body("5", tronAddress))
	final := e.WaitFinal(p.ID)
	require.Equal(t, payout.StatusPaid, final.Status)
	trail := e.Trail(p.ID)

	payload := fmt.Sprintf(`{"type":"payout","uuid":%q,"order_id":%q,"amount":"5.00000000","status":"fail","is_final":true}`, final.HeleketUUID, p.ID)
	forged := payload[:len(payload)-1] + `,"sign":"` + heleket.SignWebhook([]byte(payload), "not-the-key") + `"}`
	resp, err := http.Post(e.API.URL+"/payouts/webhook", "application/json", bytesReader(forged))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	after, err := e.Store.GetPayout(context.Background(), p.ID)
	require.NoError(t, err)
	assert.Equal(t, payout.StatusPaid, after.Status)
	assert.Equal(t, trail, e.Trail(p.ID))
	var inbox int
	require.NoError(t, e.Store.Pool().QueryRow(context.Background(), "select count(*) from webhook_inbox where body = $1", []byte(forged)).Scan(&inbox))
	assert.Zero(t, inbox)
}

func TestDuplicateAndReorderedWebhooksDoNotMoveAFinalPayout(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	e.Sandbox.SetFaults(sandbox.Faults{WebhookDuplicateRate: 1, WebhookReorder: true})
	p := accepted(t, e, "47", "dup-"+t.Name(), body("7", tronAddress))
	final := e.WaitFinal(p.ID)
	require.Equal(t, payout.StatusPaid, final.Status)
	trail := e.Trail(p.ID)

	// A late "process" webhook, validly signed, arrives after the payout is paid.
	e.Sandbox.SetFaults(sandbox.Faults{})
	late := signedWebhook(final.HeleketUUID, p.ID, "process", false)
	for range 2 {
		resp, err := http.Post(e.API.URL+"/payouts/webhook", "application/json", bytesReader(late))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
	after, err := e.Store.GetPayout(context.Background(), p.ID)
	require.NoError(t, err)
	assert.Equal(t, payout.StatusPaid, after.Status)
	assert.Equal(t, trail, e.Trail(p.ID), "no audit row for stale webhooks")
}

func TestSameIdempotencyKeyGivesOnePayout(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	key := "same-" + t.Name()
	first := accepted(t, e, "48", key, body("12.34", tronAddress))

	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Go(func() {
			resp := create(e, "48", key, body("12.34", tronAddress))
			defer resp.Body.Close()
			var p payoutJSON
			if resp.StatusCode == http.StatusAccepted && json.NewDecoder(resp.Body).Decode(&p) == nil {
				ids[i] = p.ID
			}
		})
	}
	wg.Wait()
	for _, id := range ids {
		assert.Equal(t, first.ID, id)
	}
	final := e.WaitFinal(first.ID)
	assert.Equal(t, payout.StatusPaid, final.Status)

	again := create(e, "48", key, body("12.34", tronAddress))
	assert.Equal(t, http.StatusAccepted, again.StatusCode)
	assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, "paid", testenv.Decode[payoutJSON](e, again).Status)

	conflict := create(e, "48", key, body("99", tronAddress))
	assert.Equal(t, http.StatusConflict, conflict.StatusCode)
	conflict.Body.Close()

	assert.Equal(t, 1, payoutRows(t, e))
	assert.Equal(t, 1, e.Sandbox.Stats().Creates)
	assert.Equal(t, 1, countWorkflows(t, e, first.ID))
}

func TestInvalidRequestsGet4xxAndCreateNothing(t *testing.T) {
	e := testenv.New(t, testenv.Options{})
	cases := []struct {
		name   string
		key    string
		body   string
		status int
		field  string
	}{
		{"bad amount", "k1", `{"asset":"USDT","network":"tron","amount":"-5","address":"` + tronAddress + `"}`, 422, "amount"},
		{"float amount", "k2", `{"asset":"USDT","network":"tron","amount":1.5,"address":"` + tronAddress + `"}`, 400, ""},
		{"unknown network", "k3", `{"asset":"USDT","network":"moon","amount":"5","address":"` + tronAddress + `"}`, 422, "network"},
		{"wrong address shape", "k4", `{"asset":"USDT","network":"tron","amount":"5","address":"0x52908400098527886E0F7030069857D2E4169EE7"}`, 422, "address"},
		{"missing key", "", `{"asset":"USDT","network":"tron","amount":"5","address":"` + tronAddress + `"}`, 422, "Idempotency-Key"},
		{"no default wallet", "k5", `{"asset":"USDT","network":"tron","amount":"5"}`, 422, "address"},
		{"unknown field", "k6", `{"asset":"USDT","network":"tron","amount":"5","adress":"x"}`, 400, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := create(e, "49", c.key, []byte(c.body))
			assert.Equal(t, c.status, resp.StatusCode)
			got := testenv.Decode[errorJSON](e, resp)
			assert.NotEmpty(t, got.Error)
			if c.field != "" {
				assert.NotEmpty(t, got.Fields[c.field], "field errors: %v", got.Fields)
			}
		})
	}
	resp := e.Do(http.MethodPost, "/clients/49/payout", body("5", tronAddress), map[string]string{"Idempotency-Key": "k7", "Authorization": "Bearer wrong-token-0000000000"})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp.Body.Close()
	assert.Zero(t, payoutRows(t, e))
	assert.Zero(t, e.Sandbox.Stats().Calls["/v1/payout"])
}
