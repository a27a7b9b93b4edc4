package payout_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/heleket-payouts/payouts/payout"
)

func BenchmarkValidate(b *testing.B) {
	req := payout.Request{ClientID: "42", Asset: "USDT", Network: "tron", Amount: "100.50",
		Address: "TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW", IdempotencyKey: "first-payout"}
	lim := payout.Limits{DefaultMax: decimal.RequireFromString("100000")}
	b.ReportAllocs()
	for b.Loop() {
		if _, errs := payout.Validate(req, lim); !errs.Empty() {
			b.Fatal(errs)
		}
	}
}

func BenchmarkDeriveID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = payout.DeriveID("0123456789abcdef", "api", "42", "first-payout")
	}
}
