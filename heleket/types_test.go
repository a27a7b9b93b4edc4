package heleket_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
)

func TestAmountDecodesStringsAndNumbers(t *testing.T) {
	cases := map[string]string{
		`"100.50"`: "100.5", `100.50`: "100.5", `129`: "129", `" 7 "`: "7", `1e3`: "1000", `"1E-2"`: "0.01",
	}
	for in, want := range cases {
		var a heleket.Amount
		require.NoError(t, json.Unmarshal([]byte(in), &a), in)
		assert.True(t, a.Valid, in)
		assert.True(t, a.Equal(dec(want)), "%s decoded to %s", in, a)
	}
	for _, in := range []string{`null`, `""`} {
		var a heleket.Amount
		require.NoError(t, json.Unmarshal([]byte(in), &a), in)
		assert.False(t, a.Valid, in)
	}
	for _, in := range []string{`"ten"`, `true`, `"1e999999999"`, `1e-65`} {
		var a heleket.Amount
		assert.Error(t, json.Unmarshal([]byte(in), &a), in)
	}
}

func TestAmountMarshalKeepsEveryDigit(t *testing.T) {
	cases := map[string]string{
		"10":                   `"10.00000000"`,
		"0.5":                  `"0.50000000"`,
		"0.12345678":           `"0.12345678"`,
		"0.123456789":          `"0.123456789"`, // 8 decimals would round money away
		"1.000000000000000001": `"1.000000000000000001"`,
	}
	for in, want := range cases {
		out, err := json.Marshal(heleket.NewAmount(dec(in)))
		require.NoError(t, err)
		assert.Equal(t, want, string(out), in)
	}
	out, err := json.Marshal(heleket.Amount{})
	require.NoError(t, err)
	assert.Equal(t, "null", string(out))
}

func TestFlagVariants(t *testing.T) {
	for in, want := range map[string]bool{`true`: true, `1`: true, `"1"`: true, `"TRUE"`: true, `false`: false, `0`: false, `"false"`: false} {
		var f heleket.Flag
		require.NoError(t, json.Unmarshal([]byte(in), &f), in)
		assert.True(t, f.Valid, in)
		assert.Equal(t, want, f.Value, in)
	}
	var f heleket.Flag
	require.NoError(t, json.Unmarshal([]byte(`null`), &f))
	assert.False(t, f.Valid)
	assert.Error(t, json.Unmarshal([]byte(`"yes"`), &f))
}

func TestFinalFallsBackToStatusTable(t *testing.T) {
	assert.True(t, heleket.Payout{Status: heleket.StatusCancel}.Final())
	assert.False(t, heleket.Payout{Status: heleket.StatusCheck}.Final())
	assert.False(t, heleket.Payout{Status: heleket.StatusFail, IsFinal: heleket.Flag{Value: false, Valid: true}}.Final(),
		"an explicit is_final wins over the table")
	assert.True(t, heleket.Webhook{Status: heleket.StatusSystemFail}.Final())
}
