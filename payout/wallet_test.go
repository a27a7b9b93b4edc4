package payout

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateWalletNormalizes(t *testing.T) {
	v, errs := ValidateWallet(WalletRequest{ClientID: "42", Asset: " usdt", Network: "TON ", Address: " " + addrTON + "\n", Memo: " deposit 7 ", IsDefault: true})
	require.True(t, errs.Empty(), "%v", errs)
	assert.Equal(t, WalletRequest{ClientID: "42", Asset: "USDT", Network: "ton", Address: addrTON, Memo: "deposit 7", IsDefault: true}, v)
}

func TestValidateWalletReportsEveryField(t *testing.T) {
	cases := []struct {
		name  string
		req   WalletRequest
		field string
	}{
		{"missing client", WalletRequest{Asset: "USDT", Network: "tron", Address: addrTron}, FieldClientID},
		{"bad client", WalletRequest{ClientID: "a b", Asset: "USDT", Network: "tron", Address: addrTron}, FieldClientID},
		{"unsupported pair", WalletRequest{ClientID: "42", Asset: "BTC", Network: "tron", Address: addrTron}, FieldNetwork},
		{"unknown asset", WalletRequest{ClientID: "42", Asset: "NOPE", Network: "tron", Address: addrTron}, FieldAsset},
		{"missing address", WalletRequest{ClientID: "42", Asset: "USDT", Network: "tron"}, FieldAddress},
		{"wrong address shape", WalletRequest{ClientID: "42", Asset: "USDT", Network: "tron", Address: addrEVM}, FieldAddress},
		{"memo off TON", WalletRequest{ClientID: "42", Asset: "USDT", Network: "tron", Address: addrTron, Memo: "x"}, FieldMemo},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, errs := ValidateWallet(c.req)
			assert.NotEmpty(t, errs[c.field], "%v", errs)
			assert.Equal(t, WalletRequest{}, v)
			assert.NotContains(t, errs.Error(), addrTron, "addresses are never echoed")
		})
	}
}

func TestValidateClientID(t *testing.T) {
	assert.Nil(t, ValidateClientID("client-1.a_b"))
	assert.NotEmpty(t, ValidateClientID("")[FieldClientID])
	assert.NotEmpty(t, ValidateClientID("a/b")[FieldClientID])
}
