package batch

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/payout"
)

const tron = "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"

func TestParseJSON(t *testing.T) {
	rows, err := Parse("application/json", []byte(`[{"client_id":"1","asset":"USDT","network":"tron","amount":"5","address":"`+tron+`"},
		{"client_id":"2","asset":"usdt","network":"TRON","amount":"1.5"}]`))
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, Row{ClientID: "1", Asset: "USDT", Network: "tron", Amount: "5", Address: tron}, rows[0])
	assert.Equal(t, "", rows[1].Address)
}

func TestParseJSONRefusesWhatItCannotReadExactly(t *testing.T) {
	for name, body := range map[string]string{
		"object not array": `{"client_id":"1"}`,
		"float amount":     `[{"client_id":"1","asset":"USDT","network":"tron","amount":1.5}]`,
		"unknown field":    `[{"client_id":"1","adress":"x"}]`,
		"trailing value":   `[] []`,
		"empty":            ``,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("", []byte(body))
			require.ErrorIs(t, err, ErrMalformed)
		})
	}
}

func TestParseCSV(t *testing.T) {
	body := "\ufeffAmount, client_id,asset,network,memo\n" +
		"5,1,USDT,tron,\n" +
		"\"1.50\",2,TON,ton,hello, world\n"
	_, err := Parse("text/csv; charset=utf-8", []byte(body))
	require.ErrorIs(t, err, ErrMalformed, "a record with more fields than the header")

	body = "\ufeffAmount, client_id,asset,network,memo\n" +
		"5,1,USDT,tron,\n" +
		"\"1.50\",2,TON,ton,\"hello, world\"\n"
	rows, err := Parse("text/csv; charset=utf-8", []byte(body))
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, Row{ClientID: "1", Asset: "USDT", Network: "tron", Amount: "5"}, rows[0])
	assert.Equal(t, Row{ClientID: "2", Asset: "TON", Network: "ton", Amount: "1.50", Memo: "hello, world"}, rows[1])
}

func TestParseCSVHeaderProblems(t *testing.T) {
	tests := map[string]string{
		"":                                       "empty CSV body",
		"client_id,asset,network\n":              "missing column(s) amount",
		"client_id,asset,network,amount,iban\n":  `unknown column "iban"`,
		"client_id,asset,network,amount,asset\n": `column "asset" appears twice`,
	}
	for body, want := range tests {
		t.Run(want, func(t *testing.T) {
			_, err := ParseCSV(strings.NewReader(body))
			require.ErrorIs(t, err, ErrMalformed)
			assert.Contains(t, err.Error(), want)
		})
	}
}

func TestIsCSV(t *testing.T) {
	assert.True(t, IsCSV("text/csv"))
	assert.True(t, IsCSV("Text/CSV; charset=utf-8"))
	assert.False(t, IsCSV("application/json"))
	assert.False(t, IsCSV(""))
}

func TestValidateReportsEveryRowAndTheKey(t *testing.T) {
	rows := []Row{
		{ClientID: "1", Asset: "USDT", Network: "tron", Amount: "5", Address: tron},
		{ClientID: "2", Asset: "USDT", Network: "tron", Amount: "-5", Address: "0xnot-tron"},
		{ClientID: "3", Asset: "USDT", Network: "tron", Amount: "1"},
		{ClientID: "", Asset: "FOO", Network: "tron", Amount: "1"},
	}
	valid, batchErrs, rowErrs := Validate("", rows, payout.Limits{})
	assert.Equal(t, []string{"is required"}, batchErrs[FieldKey])
	require.Len(t, rowErrs, 2)
	assert.NotEmpty(t, rowErrs[1][payout.FieldAmount])
	assert.NotEmpty(t, rowErrs[1][payout.FieldAddress])
	assert.NotEmpty(t, rowErrs[3][payout.FieldClientID])
	assert.NotEmpty(t, rowErrs[3][payout.FieldAsset])
	assert.Equal(t, payout.OriginBonus, valid[0].Origin)
	assert.Equal(t, "", valid[2].Address, "a row without address is valid; the caller resolves the default wallet")
}

func TestValidateBatchSize(t *testing.T) {
	_, batchErrs, _ := Validate("k", nil, payout.Limits{})
	assert.NotEmpty(t, batchErrs[FieldRows])

	rows := make([]Row, MaxRows+1)
	_, batchErrs, rowErrs := Validate("k", rows, payout.Limits{})
	assert.Contains(t, batchErrs[FieldRows][0], fmt.Sprint(MaxRows))
	assert.Empty(t, rowErrs, "rows of an oversized batch are not examined")
}

func TestValidateKey(t *testing.T) {
	row := []Row{{ClientID: "1", Asset: "USDT", Network: "tron", Amount: "5", Address: tron}}
	for _, key := range []string{strings.Repeat("k", maxKeyLen+1), "tab\tkey", "ключ"} {
		_, batchErrs, _ := Validate(key, row, payout.Limits{})
		assert.NotEmpty(t, batchErrs[FieldKey], "%q", key)
	}
	_, batchErrs, _ := Validate("campaign 2026-11 / black friday!", row, payout.Limits{})
	assert.True(t, batchErrs.Empty())
}

func TestIDs(t *testing.T) {
	const inst = "0123456789abcdef0123456789abcdef"
	assert.Equal(t, ID(inst, "k"), ID(inst, "k"))
	assert.NotEqual(t, ID(inst, "k"), ID(inst, "k2"))
	assert.Len(t, ID(inst, "k"), payout.IDLength)
	assert.True(t, strings.HasPrefix(ID(inst, "k"), "bt"))
	assert.NotEqual(t, ID(inst, "k"), ID("fedcba9876543210fedcba9876543210", "k"), "per installation")
	assert.NotEqual(t, ID(inst, "k"), ID("", "k"), "apart from the IDs before installations")

	assert.Equal(t, PayoutID(inst, "k", "1", 0), PayoutID(inst, "k", "1", 0))
	assert.NotEqual(t, PayoutID(inst, "k", "1", 0), PayoutID(inst, "k", "1", 1))
	assert.NotEqual(t, PayoutID(inst, "k", "1", 0), PayoutID(inst, "k2", "1", 0))
	assert.NotEqual(t, PayoutID(inst, "k", "1", 0), payout.DeriveID(inst, "api", "1", "k#0"), "apart from single payouts")
	assert.NotEqual(t, PayoutID(inst, "k", "1", 0), PayoutID("fedcba9876543210fedcba9876543210", "k", "1", 0), "apart per installation")
}

func TestFingerprint(t *testing.T) {
	parse := func(rows ...Row) []payout.Valid {
		v, be, re := Validate("k", rows, payout.Limits{})
		require.True(t, be.Empty())
		require.Empty(t, re)
		return v
	}
	a := Row{ClientID: "1", Asset: "USDT", Network: "tron", Amount: "100.50", Address: tron}
	b := Row{ClientID: "2", Asset: "USDT", Network: "tron", Amount: "1"}
	same := a
	same.Amount, same.Asset = "100.5", " usdt "

	assert.Equal(t, Fingerprint(parse(a, b)), Fingerprint(parse(same, b)), "normalised amounts and codes")
	assert.NotEqual(t, Fingerprint(parse(a, b)), Fingerprint(parse(b, a)), "row order matters: it names the payouts")
	changed := a
	changed.Amount = "100.51"
	assert.NotEqual(t, Fingerprint(parse(a, b)), Fingerprint(parse(changed, b)))
	assert.NotEqual(t, Fingerprint(parse(a)), Fingerprint(parse(a, a)))
}
