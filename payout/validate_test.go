package payout

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func goodRequest() Request {
	return Request{
		ClientID:       "client-1",
		Asset:          "USDT",
		Network:        "tron",
		Amount:         "100.50",
		Address:        addrTron,
		IdempotencyKey: "order 42/retry#1",
	}
}

func testLimits() Limits {
	return Limits{Max: map[string]decimal.Decimal{"USDT": decimal.RequireFromString("1000")}}
}

func TestValidateOK(t *testing.T) {
	r := goodRequest()
	r.Asset, r.Network, r.Address = " usdt ", " TRON ", " "+addrTron+"\n"
	v, errs := Validate(r, testLimits())
	require.True(t, errs.Empty(), "%v", errs)
	assert.True(t, decimal.RequireFromString("100.5").Equal(v.Amount), v.Amount.String())
	v.Amount = decimal.Decimal{}
	assert.Equal(t, Valid{
		ClientID:       "client-1",
		Asset:          "USDT",
		Network:        "tron",
		Address:        addrTron,
		Origin:         OriginManual,
		IdempotencyKey: "order 42/retry#1",
	}, v)
}

func TestValidateAcceptsEachNetwork(t *testing.T) {
	addrs := map[string]string{
		"arbitrum": addrEVM, "avalanche": addrEVM, "bsc": addrEVM, "eth": addrEVM, "polygon": addrEVM,
		"tron": addrTron, "btc": addrBTCWPKH, "ltc": addrLTC1, "ton": addrTON, "sol": addrSOL,
		"doge": addrDOGE, "bch": addrBCH, "dash": addrDASH, "xmr": addrXMR,
	}
	for _, n := range Networks() {
		for _, a := range AssetsOn(n) {
			t.Run(a+"/"+n, func(t *testing.T) {
				r := goodRequest()
				r.Asset, r.Network, r.Address, r.Amount = a, n, addrs[n], "1"
				_, errs := Validate(r, Limits{})
				assert.True(t, errs.Empty(), "%v", errs)
			})
		}
	}
}

// TestValidateRules changes one field of a good request and expects exactly
// one message on one field.
func TestValidateRules(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Request)
		field  string
		want   string
	}{
		{"client_id missing", func(r *Request) { r.ClientID = "" }, FieldClientID, "is required"},
		{"client_id too long", func(r *Request) { r.ClientID = strings.Repeat("a", 65) }, FieldClientID, "1-64 characters"},
		{"client_id bad char", func(r *Request) { r.ClientID = "a b" }, FieldClientID, "1-64 characters"},
		{"client_id slash", func(r *Request) { r.ClientID = "a/b" }, FieldClientID, "1-64 characters"},
		{"asset missing", func(r *Request) { r.Asset = " " }, FieldAsset, "is required"},
		{"asset unknown", func(r *Request) { r.Asset = "MATIC" }, FieldAsset, "is not supported; supported: AVAX, BCH"},
		{"network missing", func(r *Request) { r.Network = "" }, FieldNetwork, "is required"},
		{"network unknown", func(r *Request) { r.Network = "trc20" }, FieldNetwork, "is not supported; supported: arbitrum,"},
		{"pair unsupported", func(r *Request) { r.Network, r.Address = "btc", addrBTC }, FieldNetwork,
			"USDT is not available on btc; supported: arbitrum, avalanche, bsc, eth, polygon, sol, ton, tron"},
		{"amount missing", func(r *Request) { r.Amount = "  " }, FieldAmount, "is required"},
		{"amount zero", func(r *Request) { r.Amount = "0" }, FieldAmount, "must be greater than zero"},
		{"amount negative", func(r *Request) { r.Amount = "-1" }, FieldAmount, "must be greater than zero"},
		{"amount exponent", func(r *Request) { r.Amount = "1e3" }, FieldAmount, "not a decimal number"},
		{"amount hex", func(r *Request) { r.Amount = "0x10" }, FieldAmount, "not a decimal number"},
		{"amount 40 digits", func(r *Request) { r.Amount = strings.Repeat("1", 40) }, FieldAmount, "too many digits"},
		{"amount decimals", func(r *Request) { r.Amount = "1.1234567" }, FieldAmount, "too many decimal places (max 6 for USDT)"},
		{"amount over limit", func(r *Request) { r.Amount = "1000.000001" }, FieldAmount, "exceeds the limit of 1000 USDT per payout"},
		{"evm address on tron", func(r *Request) { r.Address = addrEVM }, FieldAddress, "not a valid tron address"},
		{"tron address on eth", func(r *Request) { r.Network, r.Address = "eth", addrTron }, FieldAddress, "not a valid eth address"},
		{"memo off ton", func(r *Request) { r.Memo = "123" }, FieldMemo, "is only supported on ton"},
		{"memo too long", func(r *Request) {
			r.Asset, r.Network, r.Address, r.Memo = "TON", "ton", addrTON, strings.Repeat("m", 129)
		}, FieldMemo, "at most 128 characters"},
		{"memo control char", func(r *Request) {
			r.Asset, r.Network, r.Address, r.Memo = "TON", "ton", addrTON, "a\x00b"
		}, FieldMemo, "without control characters"},
		{"memo invalid utf8", func(r *Request) {
			r.Asset, r.Network, r.Address, r.Memo = "TON", "ton", addrTON, "a\xffb"
		}, FieldMemo, "without control characters"},
		{"origin unknown", func(r *Request) { r.Origin = "cron" }, FieldOrigin, "must be one of manual, scheduled, bonus"},
		{"key missing", func(r *Request) { r.IdempotencyKey = "" }, FieldIdempotencyKey, "is required"},
		{"key too long", func(r *Request) { r.IdempotencyKey = strings.Repeat("k", 201) }, FieldIdempotencyKey, "1-200 printable ASCII"},
		{"key non-ascii", func(r *Request) { r.IdempotencyKey = "ключ" }, FieldIdempotencyKey, "1-200 printable ASCII"},
		{"key control", func(r *Request) { r.IdempotencyKey = "a\tb" }, FieldIdempotencyKey, "1-200 printable ASCII"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := goodRequest()
			tt.modify(&r)
			v, errs := Validate(r, testLimits())
			assert.Equal(t, Valid{}, v)
			require.Len(t, errs, 1, "%v", errs)
			require.Len(t, errs[tt.field], 1, "%v", errs)
			assert.Contains(t, errs[tt.field][0], tt.want)
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Request)
		check  func(*testing.T, Valid)
	}{
		{"no address means default wallet", func(r *Request) { r.Address = "" },
			func(t *testing.T, v Valid) { assert.Empty(t, v.Address) }},
		{"origin scheduled", func(r *Request) { r.Origin = "scheduled" },
			func(t *testing.T, v Valid) { assert.Equal(t, OriginScheduled, v.Origin) }},
		{"origin bonus any case", func(r *Request) { r.Origin = " Bonus " },
			func(t *testing.T, v Valid) { assert.Equal(t, OriginBonus, v.Origin) }},
		{"memo on ton", func(r *Request) {
			r.Asset, r.Network, r.Address, r.Memo = "TON", "ton", addrTON, strings.Repeat("é", 128)
		}, func(t *testing.T, v Valid) { assert.Equal(t, strings.Repeat("é", 128), v.Memo) }},
		{"amount at limit", func(r *Request) { r.Amount = "1000.000000" },
			func(t *testing.T, v Valid) { assert.Equal(t, "1000", v.Amount.String()) }},
		{"asset without limit", func(r *Request) { r.Asset, r.Amount = "TRX", "1000000" },
			func(t *testing.T, v Valid) { assert.Equal(t, "TRX", v.Asset) }},
		{"client id 64 chars", func(r *Request) { r.ClientID = strings.Repeat("A", 60) + "_.-9" },
			func(t *testing.T, v Valid) { assert.Len(t, v.ClientID, 64) }},
		{"key 200 printable", func(r *Request) { r.IdempotencyKey = strings.Repeat("~", 199) + " " },
			func(t *testing.T, v Valid) { assert.Len(t, v.IdempotencyKey, 200) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := goodRequest()
			tt.modify(&r)
			v, errs := Validate(r, testLimits())
			require.True(t, errs.Empty(), "%v", errs)
			tt.check(t, v)
		})
	}
}

func TestValidateDefaultLimit(t *testing.T) {
	lim := Limits{DefaultMax: decimal.RequireFromString("10")}
	r := goodRequest()
	r.Amount = "10.01"
	_, errs := Validate(r, lim)
	assert.Equal(t, []string{"exceeds the limit of 10 USDT per payout"}, errs[FieldAmount])
}

func TestValidateCollectsAllErrors(t *testing.T) {
	_, errs := Validate(Request{Origin: "x", Memo: "m"}, Limits{})
	assert.ElementsMatch(t, []string{FieldClientID, FieldAsset, FieldNetwork, FieldAmount, FieldOrigin, FieldIdempotencyKey},
		keys(errs))

	r := goodRequest()
	r.Amount, r.Address, r.Memo = "1.1234567", addrEVM, "memo"
	_, errs = Validate(r, testLimits())
	assert.ElementsMatch(t, []string{FieldAmount, FieldAddress, FieldMemo}, keys(errs))
}

func TestValidateUnknownAssetSkipsDependentChecks(t *testing.T) {
	r := goodRequest()
	r.Asset, r.Amount = "<b>FOO</b>", "1.123456789"
	_, errs := Validate(r, Limits{DefaultMax: decimal.RequireFromString("1")})
	require.Len(t, errs[FieldAmount], 1)
	assert.Equal(t, "too many decimal places (max 8)", errs[FieldAmount][0])
	assert.NotContains(t, errs.Error(), "FOO")
}

func TestValidateNeverEchoesAddress(t *testing.T) {
	for _, n := range Networks() {
		r := goodRequest()
		r.Network, r.Address = n, "SECRETWALLET"+addrTron
		_, errs := Validate(r, Limits{})
		assert.NotContains(t, errs.Error(), "SECRETWALLET", n)
		b, err := json.Marshal(errs)
		require.NoError(t, err)
		assert.NotContains(t, string(b), "SECRETWALLET", n)
	}
}

func TestFieldErrors(t *testing.T) {
	e := FieldErrors{}
	assert.True(t, e.Empty())
	assert.True(t, FieldErrors(nil).Empty())
	e.Add("b", "two")
	e.Add("a", "one")
	e.Add("b", "three")
	assert.False(t, e.Empty())
	assert.Equal(t, "invalid payout request: a: one; b: two, three", e.Error())

	b, err := json.Marshal(e)
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":["one"],"b":["two","three"]}`, string(b))
}

func keys(e FieldErrors) []string {
	out := make([]string, 0, len(e))
	for k := range e {
		out = append(out, k)
	}
	return out
}
