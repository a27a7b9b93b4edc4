package e2e

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket/sandbox"
	"github.com/heleket-payouts/payouts/internal/testenv"
)

type quoteJSON struct {
	ClientID        string `json:"client_id"`
	Asset           string `json:"asset"`
	Network         string `json:"network"`
	Amount          string `json:"amount"`
	Commission      string `json:"commission"`
	RecipientAmount string `json:"recipient_amount"`
	MerchantAmount  string `json:"merchant_amount"`
	IsSubtract      bool   `json:"is_subtract"`
}

type refusalJSON struct {
	Error  string              `json:"error"`
	Fields map[string][]string `json:"fields"`
}

func quote(e *testenv.Env, client string, b []byte, headers map[string]string) *http.Response {
	return e.Do(http.MethodPost, "/clients/"+client+"/payout/quote", b, headers)
}

// A quote answers Heleket's fee and what arrives, and leaves every table,
// the idempotency key and Temporal as they were: the same key then makes
// the payout.
func TestQuoteAnswersTheFeeAndChangesNothing(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true})
	before := rowCounts(t, e)

	resp := quote(e, "90", body("10", tronAddress), map[string]string{"Idempotency-Key": "q-1"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	q := testenv.Decode[quoteJSON](e, resp)
	assert.Equal(t, quoteJSON{ClientID: "90", Asset: "USDT", Network: "tron", Amount: "10", Commission: q.Commission,
		RecipientAmount: "10", MerchantAmount: q.MerchantAmount, IsSubtract: true}, q)
	assert.NotEqual(t, "0", q.Commission, "the sandbox charges a fee on USDT tron")
	assert.Equal(t, 1, e.Sandbox.Stats().Calls["/v1/payout/calc"])

	assert.Equal(t, before, rowCounts(t, e), "no table changed")
	assert.Zero(t, e.Sandbox.Stats().Calls["/v1/payout"])
	p := accepted(t, e, "90", "q-1", body("10", tronAddress))
	assert.Equal(t, "10", p.Amount, "the key the quote carried is still free")
}

// A quote goes through the create's validation and destination rules.
func TestQuoteRefusesWhatACreateRefuses(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true})
	resp := quote(e, "91", body("-1", "not-an-address"), nil)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	got := testenv.Decode[refusalJSON](e, resp)
	assert.Contains(t, got.Fields, "amount")
	assert.Contains(t, got.Fields, "address")

	resp = quote(e, "91", []byte(`{"asset":"USDT","network":"tron","amount":"5"}`), nil)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	got = testenv.Decode[refusalJSON](e, resp)
	assert.Equal(t, []string{"no address given and client has no default USDT wallet on tron"}, got.Fields["address"])
	assert.Zero(t, e.Sandbox.Stats().Calls["/v1/payout/calc"], "a refused request never reaches Heleket")
}

// Heleket failing is a 502 that says nothing was changed.
func TestQuoteWhenHeleketFailsIs502(t *testing.T) {
	e := testenv.New(t, testenv.Options{NoWorker: true})
	e.Sandbox.SetFaults(sandbox.Faults{ServerErrorRate: 1})
	resp := quote(e, "92", body("5", tronAddress), nil)
	require.Equal(t, http.StatusBadGateway, resp.StatusCode)
	got := testenv.Decode[refusalJSON](e, resp)
	assert.Contains(t, got.Error, "Heleket could not quote the fee; nothing was changed")
}
