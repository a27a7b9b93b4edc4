package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
)

// members decodes a payout object's members without any Go type in between,
// so an omitted member and a null one stay apart.
func members(t *testing.T, raw json.RawMessage) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &m), "%s", raw)
	return m
}

// Heleket's answers carry txid as null until the payout is sent: the member
// is there, not omitted.
func TestTxIDIsNullUntilSent(t *testing.T) {
	s := newSandbox(t, Config{SettleAfter: time.Hour, Balances: map[string]decimal.Decimal{"USDT": dec("1000")}})
	r := post(t, s, "/v1/payout", usdt("tx-1", "10").body())
	require.Equal(t, http.StatusOK, r.HTTP)
	txid, ok := members(t, r.Result)["txid"]
	require.True(t, ok, "create answer has a txid member: %s", r.Result)
	assert.Equal(t, "null", string(txid))

	info := post(t, s, "/v1/payout/info", `{"order_id":"tx-1"}`)
	assert.Equal(t, "null", string(members(t, info.Result)["txid"]))

	list := post(t, s, "/v1/payout/list", "")
	var page struct{ Items []json.RawMessage }
	require.NoError(t, json.Unmarshal(list.Result, &page))
	require.Len(t, page.Items, 1)
	assert.Equal(t, "null", string(members(t, page.Items[0])["txid"]))

	require.NoError(t, s.SetStatus("tx-1", heleket.StatusPaid))
	info = post(t, s, "/v1/payout/info", `{"order_id":"tx-1"}`)
	var sent string
	require.NoError(t, json.Unmarshal(members(t, info.Result)["txid"], &sent))
	assert.Regexp(t, `^[0-9a-f]{64}$`, sent)
}

// The documented webhook leaves txid out when the payout failed (and when
// it was paid off-chain, which the sandbox does not imitate); a paid one
// carries it. The sandbox also leaves it out before the payout is sent.
func TestWebhookTxIDOnlyWhenSent(t *testing.T) {
	s := newSandbox(t, Config{SettleAfter: time.Hour, Balances: map[string]decimal.Decimal{"USDT": dec("1000")}})
	rcv := newReceiver(t, 0)
	for _, id := range []string{"wh-paid", "wh-fail"} {
		a := usdt(id, "10")
		a.callback = rcv.url()
		create(t, s, a)
	}
	require.NoError(t, s.SetStatus("wh-paid", heleket.StatusPaid))
	require.NoError(t, s.SetStatus("wh-fail", heleket.StatusFail))
	eventually(t, "four webhooks", func() bool { return rcv.count() == 4 })

	for _, body := range rcv.got() {
		m := members(t, body)
		_, has := m["txid"]
		assert.Equal(t, statusOf(t, body) == heleket.StatusPaid, has, "txid member in %s", body)
		if has {
			assert.NotEqual(t, "null", string(m["txid"]))
		}
	}
}

// Unknown routes answer like the rest of the API, a JSON error, so the
// client's classification sees what a wrong base URL gives against Heleket.
func TestUnknownRoutesAnswerJSON(t *testing.T) {
	s := newSandbox(t, Config{})
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{http.MethodPost, "/v1/payout/nope", http.StatusNotFound},
		{http.MethodPost, "/v2/payout", http.StatusNotFound},
		{http.MethodPost, "/", http.StatusNotFound},
		{http.MethodGet, "/_sandbox/nope", http.StatusNotFound},
		{http.MethodGet, "/v1/payout", http.StatusMethodNotAllowed},
		{http.MethodPut, "/v1/payout/info", http.StatusMethodNotAllowed},
	} {
		req, err := http.NewRequest(tc.method, s.URL()+tc.path, strings.NewReader(`{}`))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, tc.status, resp.StatusCode, "%s %s", tc.method, tc.path)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"), "%s %s", tc.method, tc.path)
		var env struct {
			State   int    `json:"state"`
			Message string `json:"message"`
		}
		require.NoError(t, json.Unmarshal(body, &env), "%s %s: %s", tc.method, tc.path, body)
		assert.Equal(t, 1, env.State)
		assert.NotEmpty(t, env.Message)
	}
	// The routes that exist still answer.
	assert.Equal(t, http.StatusOK, post(t, s, "/v1/payout/services", "").HTTP)
}

func TestCalcPathOption(t *testing.T) {
	body := `{"amount":"50","currency":"USDT","network":"bsc","address":"` + evmAddr + `","is_subtract":true}`
	for _, tc := range []struct {
		only            string
		calc, calculate int
	}{
		{"", http.StatusOK, http.StatusOK},
		{heleket.PathCalc, http.StatusOK, http.StatusNotFound},
		{heleket.PathCalculate, http.StatusNotFound, http.StatusOK},
	} {
		s := newSandbox(t, Config{CalcPath: tc.only})
		assert.Equal(t, tc.calc, post(t, s, heleket.PathCalc, body).HTTP, "only %q", tc.only)
		assert.Equal(t, tc.calculate, post(t, s, heleket.PathCalculate, body).HTTP, "only %q", tc.only)
	}
}
