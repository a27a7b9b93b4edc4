package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestAddressFixturesAreValid(t *testing.T) {
	assert.True(t, validAddress("tron", tronAddr))
	assert.True(t, validAddress("tron", tronAddr2))
	assert.True(t, validAddress("bsc", evmAddr))
	assert.True(t, validAddress("ltc", ltcAddr))
	assert.False(t, validAddress("tron", evmAddr))
}

func TestAuth(t *testing.T) {
	s := newSandbox(t, Config{})
	body := `{"order_id":"x"}`

	cases := map[string]struct{ merchant, sign string }{
		"wrong sign":       {testMerchant, signHex([]byte(body), "other-key")},
		"sign of other":    {testMerchant, signHex([]byte(body+" "), testKey)},
		"wrong merchant":   {"00000000-0000-4000-8000-000000000000", signHex([]byte(body), testKey)},
		"missing headers":  {"", ""},
		"uppercase digest": {testMerchant, strings.ToUpper(signHex([]byte(body), testKey))},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := postWith(t, s.URL()+"/v1/payout/info", c.merchant, c.sign, body)
			assert.Equal(t, http.StatusUnauthorized, r.HTTP)
			assert.Equal(t, 1, r.State)
			assert.Equal(t, "Invalid Sign.", r.Message)
		})
	}
	assert.Equal(t, len(cases), s.Stats().Rejected)
}

func TestNoParameterBodies(t *testing.T) {
	s := newSandbox(t, Config{})
	for _, body := range []string{"", "{}", "[]"} {
		r := post(t, s, "/v1/payout/services", body)
		assert.Equal(t, http.StatusOK, r.HTTP, "body %q", body)
		assert.Equal(t, 0, r.State)
	}
	// An empty body is signed as md5(base64("")+key) = md5(key).
	r := postWith(t, s.URL()+"/v1/payout/services", testMerchant, signHex(nil, testKey), "")
	assert.Equal(t, http.StatusOK, r.HTTP)
	assert.Equal(t, 3+1, s.Stats().Calls["/v1/payout/services"])
}

func TestCreateValidation(t *testing.T) {
	s := newSandbox(t, Config{})
	long := strings.Repeat("a", 101)
	cases := map[string]struct {
		body string
		want map[string][]string
	}{
		"empty": {`{}`, map[string][]string{
			"amount": {vRequired}, "currency": {vRequired}, "order_id": {vRequired},
			"address": {vRequired}, "is_subtract": {vRequired},
		}},
		"not numeric": {`{"amount":"12,5","currency":"USDT","network":"tron","order_id":"a","address":"` + tronAddr + `","is_subtract":true}`,
			map[string][]string{"amount": {vNumeric}}},
		"amount bool": {`{"amount":true,"currency":"USDT","network":"tron","order_id":"a","address":"` + tronAddr + `","is_subtract":true}`,
			map[string][]string{"amount": {vNumeric}}},
		"order_id alpha_dash and max": {`{"amount":"5","currency":"USDT","network":"tron","order_id":"` + long + `!","address":"` + tronAddr + `","is_subtract":true}`,
			map[string][]string{"order_id": {vAlphaDash, vMaxString}}},
		"order_id max": {`{"amount":"5","currency":"USDT","network":"tron","order_id":"` + long + `","address":"` + tronAddr + `","is_subtract":true}`,
			map[string][]string{"order_id": {vMaxString}}},
		"order_id slash": {`{"amount":"5","currency":"USDT","network":"tron","order_id":"a/b","address":"` + tronAddr + `","is_subtract":true}`,
			map[string][]string{"order_id": {vAlphaDash}}},
		"is_subtract not boolean": {`{"amount":"5","currency":"USDT","network":"tron","order_id":"a","address":"` + tronAddr + `","is_subtract":"yes"}`,
			map[string][]string{"is_subtract": {vBoolean}}},
		"network required for multi-network coin": {`{"amount":"5","currency":"USDT","order_id":"a","address":"` + tronAddr + `","is_subtract":true}`,
			map[string][]string{"network": {vRequired}}},
		"unknown network": {`{"amount":"5","currency":"USDT","network":"dogechain","order_id":"a","address":"` + tronAddr + `","is_subtract":true}`,
			map[string][]string{"network": {vIn}}},
		"unknown currency": {`{"amount":"5","currency":"FOO","network":"tron","order_id":"a","address":"` + tronAddr + `","is_subtract":true}`,
			map[string][]string{"network": {vIn}}},
		"network of other coin": {`{"amount":"5","currency":"TRX","network":"bsc","order_id":"a","address":"` + evmAddr + `","is_subtract":true}`,
			map[string][]string{"network": {vIn}}},
		"address shape": {`{"amount":"5","currency":"USDT","network":"tron","order_id":"a","address":"` + evmAddr + `","is_subtract":true}`,
			map[string][]string{"address": {vInvalid}}},
		"below min": {`{"amount":"0.5","currency":"USDT","network":"tron","order_id":"a","address":"` + tronAddr + `","is_subtract":true}`,
			map[string][]string{"amount": {vMinNumeric}}},
		"fee eats amount": {`{"amount":"1","currency":"USDT","network":"tron","order_id":"a","address":"` + tronAddr + `","is_subtract":false}`,
			map[string][]string{"amount": {vMinNumeric}}},
		"negative": {`{"amount":"-5","currency":"USDT","network":"tron","order_id":"a","address":"` + tronAddr + `","is_subtract":true}`,
			map[string][]string{"amount": {vMinNumeric}}},
		"above max": {`{"amount":"1000000.01","currency":"USDT","network":"tron","order_id":"a","address":"` + tronAddr + `","is_subtract":true}`,
			map[string][]string{"amount": {vMaxNumeric}}},
		"bad callback": {`{"amount":"5","currency":"USDT","network":"tron","order_id":"a","address":"` + tronAddr + `","is_subtract":true,"url_callback":"ftp:/x"}`,
			map[string][]string{"url_callback": {vURL}}},
		"currency not a string": {`{"amount":"5","currency":5,"network":"tron","order_id":"a","address":"` + tronAddr + `","is_subtract":true}`,
			map[string][]string{"currency": {vString}}},
		"bad priority": {`{"amount":"5","currency":"USDT","network":"tron","order_id":"a","address":"` + tronAddr + `","is_subtract":true,"priority":"asap"}`,
			map[string][]string{"priority": {vIn}}},
		"not json": {`amount=5`, map[string][]string{
			"amount": {vRequired}, "currency": {vRequired}, "order_id": {vRequired},
			"address": {vRequired}, "is_subtract": {vRequired},
		}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := post(t, s, "/v1/payout", c.body)
			assert.Equal(t, http.StatusUnprocessableEntity, r.HTTP)
			assert.Equal(t, 1, r.State)
			assert.Equal(t, c.want, r.Errors)
		})
	}
	assert.Equal(t, 0, s.Stats().Creates)
}

func TestCreateAcceptsLenientForms(t *testing.T) {
	s := newSandbox(t, Config{SettleAfter: time.Hour})
	// JSON number amount, "1"/0 booleans, upper-case network, single-network coin without network.
	bodies := []string{
		`{"amount":5.5,"currency":"USDT","network":"TRON","order_id":"n1","address":"` + tronAddr + `","is_subtract":"1"}`,
		`{"amount":"20","currency":"trx","order_id":"n2","address":"` + tronAddr + `","is_subtract":0}`,
	}
	for _, b := range bodies {
		r := post(t, s, "/v1/payout", b)
		require.Equal(t, http.StatusOK, r.HTTP, "%+v", r)
	}
	p, ok := s.Payout("n2")
	require.True(t, ok)
	assert.Equal(t, "TRX", p.Currency)
	assert.Equal(t, "tron", p.Network)
}

func TestCreatePayoutObject(t *testing.T) {
	s := newSandbox(t, Config{SettleAfter: time.Hour, Balances: map[string]decimal.Decimal{"USDT": dec("1000")}})
	p := create(t, s, usdt("ord-1", "100.5"))

	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, p.UUID)
	assert.Equal(t, heleket.StatusProcess, p.Status)
	assert.Equal(t, heleket.Flag{Value: false, Valid: true}, p.IsFinal)
	assert.Empty(t, p.TxID)
	assert.Empty(t, p.OrderID, "create results carry no order_id")
	assert.Equal(t, "USDT", p.Currency)
	assert.Equal(t, "tron", p.Network)
	assert.Equal(t, tronAddr, p.Address)
	assert.True(t, dec("100.5").Equal(p.Amount.Decimal))
	assert.True(t, dec("1").Equal(p.Commission.Decimal))
	assert.True(t, dec("101.5").Equal(lenientDec(p.MerchantAmount)))
	assert.True(t, dec("100.5").Equal(lenientDec(p.PayerAmount)))
	assert.True(t, dec("898.5").Equal(lenientDec(p.Balance)))

	stored, ok := s.Payout("ord-1")
	require.True(t, ok)
	assert.Equal(t, "ord-1", stored.OrderID)
	assert.Regexp(t, `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`, stored.CreatedAt.Text())
}

func TestIdempotentCreate(t *testing.T) {
	s := newSandbox(t, Config{SettleAfter: time.Hour, Balances: map[string]decimal.Decimal{"USDT": dec("1000")}})
	first := create(t, s, usdt("same-order", "10"))
	// A repeat with other parameters still returns the original payout.
	again := create(t, s, usdt("same-order", "500"))

	assert.Equal(t, first.UUID, again.UUID)
	assert.True(t, dec("10").Equal(again.Amount.Decimal))
	assert.True(t, dec("989").Equal(s.Balance("USDT")), "debited once")
	st := s.Stats()
	assert.Equal(t, 1, st.Creates)
	assert.Equal(t, 1, st.IdempotentRepeats)
	assert.Len(t, s.Payouts(), 1)
}

func TestIdempotentCreateConcurrent(t *testing.T) {
	s := newSandbox(t, Config{SettleAfter: time.Hour, Balances: map[string]decimal.Decimal{"USDT": dec("1000")}})
	var wg sync.WaitGroup
	uuids := make([]string, 16)
	for i := range uuids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			uuids[i] = create(t, s, usdt("race", "10")).UUID
		}()
	}
	wg.Wait()
	for _, u := range uuids {
		assert.Equal(t, uuids[0], u)
	}
	assert.True(t, dec("989").Equal(s.Balance("USDT")))
	assert.Equal(t, 1, s.Stats().Creates)
	assert.Equal(t, 15, s.Stats().IdempotentRepeats)
}

func TestFeesAndBalances(t *testing.T) {
	s := newSandbox(t, Config{SettleAfter: time.Hour, Balances: map[string]decimal.Decimal{"USDT": dec("1000"), "LTC": dec("10")}})

	// is_subtract=true: recipient gets amount, merchant pays amount+fee.
	p := create(t, s, usdt("sub-true", "100"))
	assert.True(t, dec("101").Equal(lenientDec(p.MerchantAmount)))
	assert.True(t, dec("100").Equal(lenientDec(p.PayerAmount)))
	assert.True(t, dec("899").Equal(s.Balance("USDT")))

	// is_subtract=false: the fee comes out of the amount, merchant pays amount.
	a := usdt("sub-false", "100")
	a.isSubtract = false
	p = create(t, s, a)
	assert.True(t, dec("1").Equal(p.Commission.Decimal))
	assert.True(t, dec("100").Equal(lenientDec(p.MerchantAmount)))
	assert.True(t, dec("99").Equal(lenientDec(p.PayerAmount)))
	assert.True(t, dec("799").Equal(s.Balance("USDT")))

	// Percent commission: LTC charges 0.001 + 1%.
	p = create(t, s, createArgs{orderID: "ltc-1", currency: "LTC", address: ltcAddr, amount: "2", isSubtract: true})
	assert.True(t, dec("0.021").Equal(p.Commission.Decimal))
	assert.True(t, dec("2.021").Equal(lenientDec(p.MerchantAmount)))
	assert.True(t, dec("7.979").Equal(s.Balance("LTC")))
}

func TestBusinessRefusals(t *testing.T) {
	s := newSandbox(t, Config{SettleAfter: time.Hour, Balances: map[string]decimal.Decimal{"USDT": dec("100")}})

	r := post(t, s, "/v1/payout", usdt("too-much", "100").body()) // needs 101
	assert.Equal(t, http.StatusUnprocessableEntity, r.HTTP)
	assert.Equal(t, msgInsufficient, r.Message)
	assert.Empty(t, r.Errors)

	a := usdt("exact", "100")
	a.isSubtract = false // needs exactly 100
	create(t, s, a)
	assert.True(t, s.Balance("USDT").IsZero())

	r = post(t, s, "/v1/payout", createArgs{orderID: "xmr", currency: "XMR", address: "4" + strings.Repeat("A", 94), amount: "1", isSubtract: true}.body())
	assert.Equal(t, http.StatusUnprocessableEntity, r.HTTP)
	assert.Equal(t, msgUnavailable, r.Message)

	s.SetServiceAvailable("USDT", "bsc", false)
	r = post(t, s, "/v1/payout", createArgs{orderID: "bsc", currency: "USDT", network: "bsc", address: evmAddr, amount: "1", isSubtract: true}.body())
	assert.Equal(t, msgUnavailable, r.Message)
	assert.Equal(t, 1, s.Stats().Creates)
	assert.Equal(t, 3, s.Stats().Rejected)
}

func TestInfo(t *testing.T) {
	s := newSandbox(t, Config{SettleAfter: time.Hour})
	p1 := create(t, s, usdt("info-1", "10"))
	p2 := create(t, s, usdt("info-2", "20"))

	var got heleket.Payout
	r := post(t, s, "/v1/payout/info", `{"uuid":"`+p1.UUID+`"}`)
	require.Equal(t, http.StatusOK, r.HTTP)
	require.NoError(t, json.Unmarshal(r.Result, &got))
	assert.Equal(t, p1.UUID, got.UUID)

	r = post(t, s, "/v1/payout/info", `{"uuid":"`+p1.UUID+`","order_id":"info-2"}`)
	require.NoError(t, json.Unmarshal(r.Result, &got))
	assert.Equal(t, p2.UUID, got.UUID, "order_id wins")

	cases := map[string]struct {
		body string
		want map[string][]string
	}{
		"neither":  {`{}`, map[string][]string{"uuid": {vRequiredWithout}, "order_id": {vRequiredWithout}}},
		"long id":  {`{"order_id":"` + strings.Repeat("x", 33) + `"}`, map[string][]string{"order_id": {vMaxString}}},
		"bad uuid": {`{"uuid":"nope"}`, map[string][]string{"uuid": {vUUID}}},
	}
	for name, c := range cases {
		r := post(t, s, "/v1/payout/info", c.body)
		assert.Equal(t, http.StatusUnprocessableEntity, r.HTTP, name)
		assert.Equal(t, c.want, r.Errors, name)
	}

	r = post(t, s, "/v1/payout/info", `{"order_id":"missing"}`)
	assert.Equal(t, http.StatusUnprocessableEntity, r.HTTP)
	assert.Equal(t, "Not found payout", r.Message)
}

func TestServicesAndCalc(t *testing.T) {
	s := newSandbox(t, Config{})
	r := post(t, s, "/v1/payout/services", "")
	var svcs []heleket.Service
	require.NoError(t, json.Unmarshal(r.Result, &svcs))
	require.Len(t, svcs, len(serviceTable))
	byKey := map[string]heleket.Service{}
	for _, sv := range svcs {
		byKey[sv.Currency+"/"+sv.Network] = sv
	}
	for _, k := range []string{"USDT/tron", "TRX/tron", "USDC/tron", "USDT/bsc", "USDT/eth", "USDT/polygon",
		"USDT/ton", "USDT/sol", "BTC/btc", "LTC/ltc", "DOGE/doge", "USDT/arbitrum", "USDT/avalanche"} {
		assert.Contains(t, byKey, k)
	}
	tron := byKey["USDT/tron"]
	assert.True(t, tron.IsAvailable.Value)
	assert.True(t, dec("1").Equal(tron.Limit.MinAmount.Decimal))
	assert.True(t, dec("1").Equal(tron.Commission.FeeAmount.Decimal))
	assert.False(t, byKey["XMR/xmr"].IsAvailable.Value)

	for _, path := range []string{"/v1/payout/calc", "/v1/payout/calculate"} {
		for _, c := range []struct {
			sub               bool
			fee, merch, payee string
		}{{true, "0.3", "50.3", "50"}, {false, "0.3", "50", "49.7"}} {
			body := `{"amount":"50","currency":"USDT","network":"bsc","address":"` + evmAddr + `","is_subtract":` + map[bool]string{true: "true", false: "false"}[c.sub] + `}`
			r := post(t, s, path, body)
			require.Equal(t, http.StatusOK, r.HTTP, "%+v", r)
			var res heleket.CalcResult
			require.NoError(t, json.Unmarshal(r.Result, &res))
			assert.True(t, dec(c.fee).Equal(res.Commission.Decimal), path)
			assert.True(t, dec(c.merch).Equal(res.MerchantAmount.Decimal), path)
			assert.True(t, dec(c.payee).Equal(res.PayoutAmount.Decimal), path)
			assert.Contains(t, string(r.Result), `"payout_amount":"`)
		}
	}
	r = post(t, s, "/v1/payout/calc", `{"amount":"50","currency":"USDT","is_subtract":true}`)
	assert.Equal(t, map[string][]string{"network": {vRequired}}, r.Errors)
}

func TestForceOutcomeFailCreditsBack(t *testing.T) {
	s := newSandbox(t, Config{Balances: map[string]decimal.Decimal{"USDT": dec("500")}})
	rcv := newReceiver(t, 0)
	s.ForceOutcome(tronAddr2, heleket.StatusFail)

	a := usdt("doomed", "100")
	a.address, a.callback = tronAddr2, rcv.url()
	p := create(t, s, a)
	eventually(t, "payout fails", func() bool {
		got, _ := s.Payout("doomed")
		return got.Status == heleket.StatusFail
	})
	assert.True(t, dec("500").Equal(s.Balance("USDT")), "debit returned")

	eventually(t, "two webhooks", func() bool { return rcv.count() == 2 })
	bodies := rcv.got()
	assert.Equal(t, expectedWebhook(p, "doomed", heleket.StatusProcess, ""), string(bodies[0]))
	assert.Equal(t, expectedWebhook(p, "doomed", heleket.StatusFail, ""), string(bodies[1]))

	// Other addresses still settle as paid.
	create(t, s, usdt("fine", "100"))
	eventually(t, "paid", func() bool { got, _ := s.Payout("fine"); return got.Status == heleket.StatusPaid })
	got, _ := s.Payout("fine")
	assert.Regexp(t, `^[0-9a-f]{64}$`, got.TxID)
	assert.True(t, dec("399").Equal(s.Balance("USDT")))
}

func TestSetStatus(t *testing.T) {
	s := newSandbox(t, Config{SettleAfter: time.Hour, Balances: map[string]decimal.Decimal{"USDT": dec("50")}})
	rcv := newReceiver(t, 0)
	a := usdt("op", "10")
	a.callback = rcv.url()
	create(t, s, a)

	require.NoError(t, s.SetStatus("op", heleket.StatusCheck))
	require.NoError(t, s.SetStatus("op", heleket.StatusCancel))
	assert.True(t, dec("50").Equal(s.Balance("USDT")))
	assert.Error(t, s.SetStatus("op", heleket.StatusPaid), "final payouts do not move")
	assert.Error(t, s.SetStatus("missing", heleket.StatusPaid))
	assert.Error(t, s.SetStatus("op", "bogus"))

	eventually(t, "three webhooks", func() bool { return rcv.count() == 3 })
	var statuses []string
	for _, b := range rcv.got() {
		statuses = append(statuses, statusOf(t, b))
	}
	assert.Equal(t, []string{"process", "check", "cancel"}, statuses)
}

func TestStuckOutcome(t *testing.T) {
	s := newSandbox(t, Config{})
	s.ForceOutcome(tronAddr, heleket.StatusCheck)
	create(t, s, usdt("stuck", "10"))
	eventually(t, "check", func() bool { got, _ := s.Payout("stuck"); return got.Status == heleket.StatusCheck })
	s.ForceOutcome(tronAddr, "")
	require.NoError(t, s.SetStatus("stuck", heleket.StatusPaid))
}

func TestCloseIsIdempotent(t *testing.T) {
	s := New(Config{SettleAfter: time.Hour})
	require.NoError(t, s.Start("127.0.0.1:0"))
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
}

// Status words compare case-insensitively, so a forced "FAIL" must act as
// fail: refunded and reported in Heleket's lower case.
func TestForcedStatusWordsIgnoreCase(t *testing.T) {
	s := newSandbox(t, Config{SettleAfter: time.Hour, Balances: map[string]decimal.Decimal{"USDT": dec("50")}})
	create(t, s, usdt("upper", "10"))
	require.NoError(t, s.SetStatus("upper", "FAIL"))
	got, _ := s.Payout("upper")
	assert.Equal(t, heleket.StatusFail, got.Status)
	assert.True(t, dec("50").Equal(s.Balance("USDT")), "debit returned")

	s.ForceOutcome(tronAddr2, "Cancel")
	s.SetSettleAfter(0)
	a := usdt("mixed", "10")
	a.address = tronAddr2
	create(t, s, a)
	eventually(t, "cancelled", func() bool { got, _ := s.Payout("mixed"); return got.Status == heleket.StatusCancel })
	assert.True(t, dec("50").Equal(s.Balance("USDT")))
}
