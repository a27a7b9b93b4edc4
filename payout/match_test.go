package payout

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"

	"github.com/heleket-payouts/payouts/heleket"
)

func TestMismatches(t *testing.T) {
	ours := Payout{ID: "po1", Asset: "USDT", Network: "tron", Amount: decimal.RequireFromString("100.50"),
		Address: "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"}
	same := heleket.Payout{UUID: "u", Status: "process", Amount: heleket.NewAmount(decimal.RequireFromString("100.5")),
		Currency: "usdt", Network: "TRON", Address: "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"}
	assert.Empty(t, Mismatches(ours, same), "case of codes and trailing zeros do not count")

	other := same
	other.Amount = heleket.NewAmount(decimal.RequireFromString("99"))
	other.Address = "TXYZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW"
	assert.Equal(t, []string{"amount", "address"}, Mismatches(ours, other))

	missing := heleket.Payout{UUID: "u", Status: "process"}
	assert.Equal(t, []string{"amount", "currency", "network", "address"}, Mismatches(ours, missing),
		"what Heleket left out cannot be confirmed")

	evm := Payout{Asset: "USDT", Network: "bsc", Amount: decimal.RequireFromString("1"),
		Address: "0x52908400098527886E0F7030069857D2E4169EE7"}
	theirs := heleket.Payout{Amount: heleket.NewAmount(decimal.RequireFromString("1")), Currency: "USDT", Network: "bsc",
		Address: "0x52908400098527886e0f7030069857d2e4169ee7"}
	assert.Empty(t, Mismatches(evm, theirs), "EVM hex case is a checksum")
}
