package heleket_test

import (
	"testing"

	"github.com/heleket-payouts/payouts/heleket"
)

const benchKey = "bench-payout-key-0000000000000000"

var benchBody = []byte(`{"amount":"100.50","currency":"USDT","order_id":"po3M7NRUX8G9ty2o4Ldx3ZKrlNU63kBv","address":"TQrZ9wBzbfcC3Tj5Jn1YBeRzHnVUxqAbpW","is_subtract":true,"network":"tron","url_callback":"https://payouts.example/payouts/webhook"}`)

// benchWebhook is a webhook as Heleket sends it: PHP-encoded, sign last.
func benchWebhook(b *testing.B) []byte {
	payload := []byte(`{"type":"payout","uuid":"a5032c6d-ab3f-418b-8b21-979ed5bf1d40","order_id":"po3M7NRUX8G9ty2o4Ldx3ZKrlNU63kBv","amount":"100.50000000","merchant_amount":"101.50000000","commission":"1.00000000","is_final":true,"status":"paid","txid":"94c4535348ccab36f9fc66cd4a27b887af93b930581b88bc02fc1b02771ef22f","currency":"USDT","network":"tron","payer_currency":"USDT","payer_amount":"100.50000000"}`)
	signed := append(payload[:len(payload)-1:len(payload)-1], []byte(`,"sign":"`+heleket.SignWebhook(payload, benchKey)+`"}`)...)
	if _, err := heleket.VerifyWebhook(signed, benchKey); err != nil {
		b.Fatal(err)
	}
	return signed
}

func BenchmarkSign(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = heleket.Sign(benchBody, benchKey)
	}
}

func BenchmarkVerifyWebhook(b *testing.B) {
	raw := benchWebhook(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := heleket.VerifyWebhook(raw, benchKey); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyWebhookReencoded is the slower path: a relay changed the
// bytes, so only the PHP-style re-encoding matches.
func BenchmarkVerifyWebhookReencoded(b *testing.B) {
	raw := benchWebhook(b)
	relayed := make([]byte, 0, len(raw)+40)
	for _, c := range raw {
		relayed = append(relayed, c)
		if c == ',' {
			relayed = append(relayed, ' ')
		}
	}
	if _, err := heleket.VerifyWebhook(relayed, benchKey); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := heleket.VerifyWebhook(relayed, benchKey); err != nil {
			b.Fatal(err)
		}
	}
}
