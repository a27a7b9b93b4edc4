package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
	"github.com/heleket-payouts/payouts/heleket/sandbox"
)

// The client reads the sandbox's /v1/balance over HTTP: per currency, as
// decimals, debited by a create (amount + fee when the fee is the
// merchant's) and credited by a top-up.
func TestClientBalanceAgainstSandbox(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{Balances: map[string]decimal.Decimal{
		"USDT": d("1000.123456789"), "TON": d("5"),
	}})
	c := clientFor(t, sb)
	ctx := context.Background()

	b, err := c.Balance(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"TON", "USDT"}, b.Currencies())
	usdt, ok := b.Of("usdt")
	require.True(t, ok)
	assert.True(t, usdt.Equal(d("1000.123456789")), "every digit, no float: %s", usdt)
	_, ok = b.Of("BTC")
	assert.False(t, ok, "a currency Heleket does not list")

	_, err = c.CreatePayout(ctx, createReq("it-balance-1", "100"))
	require.NoError(t, err)
	b, err = c.Balance(ctx)
	require.NoError(t, err)
	usdt, _ = b.Of("USDT")
	assert.True(t, usdt.Equal(d("899.123456789")), "1000.123456789 - (100 + 1), got %s", usdt)

	after, err := sb.TopUp("usdt", d("0.876543211"))
	require.NoError(t, err)
	assert.True(t, after.Equal(d("900")))
	b, err = c.Balance(ctx)
	require.NoError(t, err)
	usdt, _ = b.Of("USDT")
	assert.True(t, usdt.Equal(d("900")), "got %s", usdt)
}

// A key the balance route refuses is an AuthError, which callers take as
// "balance unknown".
func TestClientBalanceWithAWrongKeyIsAnAuthError(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{})
	c := clientFor(t, sb, func(cfg *heleket.Config) { cfg.APIKey = "some-other-key" })
	_, err := c.Balance(context.Background())
	var ae *heleket.AuthError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusUnauthorized, ae.HTTPStatus)
	assert.Equal(t, heleket.PathBalance, ae.Endpoint)
}

// The wire shape is the contract's: [{"balance":{"merchant":[{uuid,
// balance, currency_code}], "user":[]}}], balances as strings.
func TestSandboxBalanceWireShape(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{Balances: map[string]decimal.Decimal{"USDT": d("12.5")}})
	req, err := http.NewRequest(http.MethodPost, sb.URL()+heleket.PathBalance, nil)
	require.NoError(t, err)
	req.Header.Set("merchant", itMerchant)
	req.Header.Set("sign", heleket.Sign(nil, itKey))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var body struct {
		State  int `json:"state"`
		Result []struct {
			Balance struct {
				Merchant []map[string]any `json:"merchant"`
				User     []any            `json:"user"`
			} `json:"balance"`
		} `json:"result"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	require.Len(t, body.Result, 1)
	m := body.Result[0].Balance.Merchant
	require.Len(t, m, 1)
	assert.Equal(t, "USDT", m[0]["currency_code"])
	assert.Equal(t, "12.50000000", m[0]["balance"], "a decimal string")
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$`, m[0]["uuid"])
	assert.NotNil(t, body.Result[0].Balance.User)
}

// POST /_sandbox/balance tops a balance up; bad amounts are refused and
// change nothing.
func TestSandboxTopUpRoute(t *testing.T) {
	sb := startSandbox(t, sandbox.Config{Balances: map[string]decimal.Decimal{"USDT": d("10")}})
	post := func(body string) (int, string) {
		resp, err := http.Post(sb.URL()+"/_sandbox/balance", "application/json", bytes.NewBufferString(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	status, body := post(`{"currency":"usdt","amount":"90.5"}`)
	assert.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"currency":"USDT","balance":"100.5"}`, body)
	assert.True(t, sb.Balance("USDT").Equal(d("100.5")))

	for _, bad := range []string{`{"currency":"USDT","amount":"-1"}`, `{"currency":"USDT","amount":"0"}`,
		`{"currency":"USDT","amount":"1e3x"}`, `{"currency":"","amount":"1"}`, `not json`} {
		status, _ := post(bad)
		assert.Equal(t, http.StatusBadRequest, status, bad)
	}
	assert.True(t, sb.Balance("USDT").Equal(d("100.5")), "refused top-ups change nothing")
}
