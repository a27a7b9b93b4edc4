package payout

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr error
	}{
		{"0", "0", nil},
		{"1", "1", nil},
		{"100.50", "100.5", nil},
		{" 1.5 ", "1.5", nil},
		{"007", "7", nil},
		{strings.Repeat("9", 18), strings.Repeat("9", 18), nil},
		{"0." + strings.Repeat("0", 17) + "1", "0.000000000000000001", nil},

		{"", "", ErrNotDecimal},
		{"   ", "", ErrNotDecimal},
		{"1e3", "", ErrNotDecimal},
		{"1E3", "", ErrNotDecimal},
		{"0x10", "", ErrNotDecimal},
		{".5", "", ErrNotDecimal},
		{"5.", "", ErrNotDecimal},
		{"+1", "", ErrNotDecimal},
		{"1,000", "", ErrNotDecimal},
		{"1_000", "", ErrNotDecimal},
		{"1 000", "", ErrNotDecimal},
		{"1.2.3", "", ErrNotDecimal},
		{"NaN", "", ErrNotDecimal},
		{"Inf", "", ErrNotDecimal},
		{"١٢", "", ErrNotDecimal}, // Arabic-Indic digits
		{"-1", "", ErrNotPositive},
		{"-0.5", "", ErrNotPositive},
		{"-1e3", "", ErrNotDecimal},
		{strings.Repeat("1", 19), "", ErrTooManyDigits},
		{strings.Repeat("1", 40), "", ErrTooManyDigits},
		{"1." + strings.Repeat("1", 19), "", ErrTooManyDecimals},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDecimal(tt.in)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.String())
		})
	}
}

func TestParseAmount(t *testing.T) {
	tests := []struct {
		asset, in string
		want      string
		wantErr   string
	}{
		{"USDT", "100.50", "100.5", ""},
		{"USDT", " 1.5 ", "1.5", ""},
		{"USDT", "0.000001", "0.000001", ""},
		{"usdt", "1.123456", "1.123456", ""},
		{"BTC", "0.00000001", "0.00000001", ""},
		{"ETH", "0.000000000000000001", "0.000000000000000001", ""},
		{"TON", "0.000000001", "0.000000001", ""},
		{"SOL", "0.000000001", "0.000000001", ""},
		{"XMR", "0.000000000001", "0.000000000001", ""},
		{"TRX", "1.000001", "1.000001", ""},
		{"FOO", "0.00000001", "0.00000001", ""},
		{"USDT", strings.Repeat("9", 18), strings.Repeat("9", 18), ""},

		{"USDT", "0", "", "must be greater than zero"},
		{"USDT", "0.000000", "", "must be greater than zero"},
		{"USDT", "-5", "", "must be greater than zero"},
		{"USDT", "1e3", "", "not a decimal number"},
		{"USDT", "0x10", "", "not a decimal number"},
		{"USDT", "", "", "not a decimal number"},
		{"USDT", strings.Repeat("1", 40), "", "too many digits before the decimal point (max 18)"},
		{"USDT", "1.1234567", "", "too many decimal places (max 6 for USDT)"},
		{"usdc", "1.1234567", "", "too many decimal places (max 6 for USDC)"},
		{"USDT", "1.5000000", "", "too many decimal places (max 6 for USDT)"},
		{"TRX", "0.0000001", "", "too many decimal places (max 6 for TRX)"},
		{"BTC", "0.000000001", "", "too many decimal places (max 8 for BTC)"},
		{"LTC", "0.000000001", "", "too many decimal places (max 8 for LTC)"},
		{"DOGE", "0.000000001", "", "too many decimal places (max 8 for DOGE)"},
		{"BCH", "0.000000001", "", "too many decimal places (max 8 for BCH)"},
		{"DASH", "0.000000001", "", "too many decimal places (max 8 for DASH)"},
		{"TON", "0.0000000001", "", "too many decimal places (max 9 for TON)"},
		{"SOL", "0.0000000001", "", "too many decimal places (max 9 for SOL)"},
		{"XMR", "0.0000000000001", "", "too many decimal places (max 12 for XMR)"},
		{"ETH", "0.0000000000000000001", "", "too many decimal places (max 18)"},
		{"FOO", "0.000000001", "", "too many decimal places (max 8)"},
	}
	for _, tt := range tests {
		t.Run(tt.asset+"/"+tt.in, func(t *testing.T) {
			got, err := ParseAmount(tt.asset, tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.True(t, got.IsZero())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.String())
		})
	}
}

func TestParseAmountDoesNotEchoUnknownAsset(t *testing.T) {
	_, err := ParseAmount("<script>", "0.000000001")
	require.ErrorIs(t, err, ErrTooManyDecimals)
	assert.NotContains(t, err.Error(), "script")
}

func TestMaxDecimals(t *testing.T) {
	tests := map[string]int{
		"BTC": 8, "LTC": 8, "DOGE": 8, "BCH": 8, "DASH": 8,
		"ETH": 18, "BNB": 18, "POL": 18, "AVAX": 18, "DAI": 18,
		"USDT": 6, "USDC": 6, "TRX": 6, "TON": 9, "SOL": 9, "XMR": 12,
		" usdt ": 6, "UNKNOWN": 8, "": 8,
	}
	for asset, want := range tests {
		assert.Equal(t, want, MaxDecimals(asset), asset)
	}
}

func TestParseLimits(t *testing.T) {
	tests := []struct {
		name    string
		spec    string
		want    map[string]string
		wantErr string
	}{
		{"empty", "", map[string]string{}, ""},
		{"blank", "  ", map[string]string{}, ""},
		{"two", "USDT=1000,BTC=0.05", map[string]string{"USDT": "1000", "BTC": "0.05"}, ""},
		{"spaces and case", " usdt = 1000 , btc=0.05 ,", map[string]string{"USDT": "1000", "BTC": "0.05"}, ""},

		{"no equals", "USDT1000", nil, "want ASSET=AMOUNT"},
		{"unknown asset", "FOO=1", nil, "unknown asset"},
		{"empty asset", "=1", nil, "unknown asset"},
		{"duplicate", "USDT=1,usdt=2", nil, "USDT is listed twice"},
		{"zero", "USDT=0", nil, "must be greater than zero"},
		{"negative", "USDT=-1", nil, "must be greater than zero"},
		{"exponent", "USDT=1e3", nil, "not a decimal number"},
		{"empty value", "USDT=", nil, "not a decimal number"},
		{"second entry bad", "USDT=1,BTC=x", nil, "entry 2: BTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLimits(tt.spec)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Len(t, got, len(tt.want))
			for asset, v := range tt.want {
				assert.True(t, decimal.RequireFromString(v).Equal(got[asset]), asset)
			}
		})
	}
}

func TestLimitsFor(t *testing.T) {
	lim := Limits{
		Max:        map[string]decimal.Decimal{"USDT": decimal.RequireFromString("1000")},
		DefaultMax: decimal.RequireFromString("5"),
	}
	got, ok := lim.For("usdt")
	assert.True(t, ok)
	assert.Equal(t, "1000", got.String())

	got, ok = lim.For("BTC")
	assert.True(t, ok)
	assert.Equal(t, "5", got.String())

	_, ok = Limits{}.For("BTC")
	assert.False(t, ok, "a zero default means no limit")
}
