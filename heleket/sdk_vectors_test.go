package heleket_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
)

// Vectors in the shapes of the official SDKs' tests (Heleket/go-sdk v0.3.0,
// Heleket/php-sdk 2.2.0), written here with other values. Each sign was
// computed with the shell, independently of this package:
//
//	k='sdk-vector-payout-key-5e1'
//	printf '%s' "$payload" | base64 -w0 | { read b; printf '%s%s' "$b" "$k" | md5sum; }
const sdkKey = "sdk-vector-payout-key-5e1"

// The Go SDK builds its test webhooks with json.Marshal of a map: keys in
// alphabetical order, so sign sits in the middle, and nothing escaped PHP's
// way.
const (
	goSortedPayload = `{"amount":"27.18","is_final":true,"network":"bsc","order_id":"ord-2718","status":"paid","txid":"0xfeedface","type":"payout","uuid":"po-3141"}`
	goSortedSign    = "249147e8d7b418ac6b4fbbdf9fce0573"
	goSortedBody    = `{"amount":"27.18","is_final":true,"network":"bsc","order_id":"ord-2718","sign":"` + goSortedSign + `","status":"paid","txid":"0xfeedface","type":"payout","uuid":"po-3141"}`
)

func TestSDKVectorSortedKeysSignInTheMiddle(t *testing.T) {
	w, err := heleket.VerifyWebhook([]byte(goSortedBody), sdkKey)
	require.NoError(t, err)
	assert.Equal(t, "payout", w.Type)
	assert.Equal(t, "po-3141", w.UUID)
	assert.Equal(t, "ord-2718", w.OrderID)
	assert.Equal(t, "0xfeedface", w.TxID)
	assert.True(t, w.Amount.Equal(dec("27.18")))
	assert.True(t, w.Final())

	_, err = heleket.VerifyWebhook([]byte(goSortedBody), "a-different-key")
	assert.ErrorIs(t, err, heleket.ErrBadSignature, "wrong key")

	tampered := strings.Replace(goSortedBody, `"status":"paid"`, `"status":"fail"`, 1)
	_, err = heleket.VerifyWebhook([]byte(tampered), sdkKey)
	assert.ErrorIs(t, err, heleket.ErrBadSignature, "tampered status")
}

// The SDKs' PHP-style vector: a URL with "\/" escapes, sign last. It is a
// payment webhook: verification accepts it (the type decides elsewhere
// what happens to it).
func TestSDKVectorPHPEscapedSlashes(t *testing.T) {
	body := `{"type":"payment","uuid":"inv-1618","status":"paid","url":"https:\/\/pay.example.org\/pay\/inv-1618","sign":"51f8269f61a1eee05208a53b9fa881d0"}`
	w, err := heleket.VerifyWebhook([]byte(body), sdkKey)
	require.NoError(t, err)
	assert.Equal(t, "payment", w.Type)
	assert.Equal(t, "inv-1618", w.UUID)
}

func TestSDKVectorSignFirst(t *testing.T) {
	body := `{"sign":"31e96fd4408a55b5db85c1091c831897","type":"payout","uuid":"po-1414","status":"process"}`
	w, err := heleket.VerifyWebhook([]byte(body), sdkKey)
	require.NoError(t, err)
	assert.False(t, w.Final())
}

// The Go SDK keeps an explicit is_final=false even for a final word, and
// falls back to the status table only when the flag is absent. Final()
// does the same; the workflow confirms any final word with payout info
// whatever the flag (issue 12, item 2).
func TestSDKVectorIsFinalFlagAndFallback(t *testing.T) {
	explicit := `{"is_final":false,"sign":"7cccd04d912c29d59c3951bd0041bb5b","status":"paid","type":"payout","uuid":"po-1732"}`
	w, err := heleket.VerifyWebhook([]byte(explicit), sdkKey)
	require.NoError(t, err)
	assert.True(t, w.IsFinal.Valid)
	assert.False(t, w.Final(), "the flag wins")
	assert.True(t, heleket.IsFinalStatus(w.Status), "while the word is final")

	absent := `{"sign":"69b86a1abbca8f77e75998fcf2e62680","status":"cancel","type":"payout","uuid":"po-2236"}`
	w, err = heleket.VerifyWebhook([]byte(absent), sdkKey)
	require.NoError(t, err)
	assert.False(t, w.IsFinal.Valid)
	assert.True(t, w.Final(), "no flag: the status table")
}

// The PHP SDK's fixture is a pretty-printed file with an extra "from"
// member; its verifier decodes and re-encodes it PHP-style, so the sign is
// over the compact form.
func TestSDKVectorPrettyPrintedFixture(t *testing.T) {
	body := `{
    "type": "payout",
    "uuid": "9b2e4f61-3c7d-4a85-b0e1-5d6c7b8a9f02",
    "order_id": "ord-4669",
    "amount": "12.50",
    "merchant_amount": "13.00",
    "commission": "0.50",
    "is_final": true,
    "status": "paid",
    "from": "TPeyq8TzsMvMwyb1Dt2yoR4fGZzYJMMbdV",
    "network": "tron",
    "currency": "USDT",
    "payer_currency": "USDT",
    "txid": "c0ffee",
    "sign": "c7a70776ae9f49bd9986f699305961c6"
}`
	w, err := heleket.VerifyWebhook([]byte(body), sdkKey)
	require.NoError(t, err)
	assert.Equal(t, "ord-4669", w.OrderID)
	assert.True(t, w.Commission.Equal(dec("0.5")))
	assert.Equal(t, "c0ffee", w.TxID)
}

func TestSDKVectorNotAnObject(t *testing.T) {
	for _, body := range []string{`[1,2,3]`, `not json`, `"payout"`} {
		_, err := heleket.VerifyWebhook([]byte(body), sdkKey)
		assert.ErrorIs(t, err, heleket.ErrBadSignature, body)
	}
}

// Create and info answers in the SDKs' test shapes: the Go SDK's minimal
// result, and the PHP fixture's fuller one with nulls, an ISO created_at
// and members no payout type declares.
func TestSDKVectorPayoutAnswers(t *testing.T) {
	cases := map[string]string{
		"go minimal": `{"state":0,"result":{"uuid":"po-5772","status":"process","is_final":false,"amount":"7","currency":"USDT"}}`,
		"php fixture shape": `{"state":0,"result":{"uuid":"po-5772","order_id":"ord-5772","amount":"7.00","payment_amount":null,` +
			`"payer_amount":"7.00","payer_currency":"USDT","currency":"USDT","merchant_amount":"7.35","network":"tron",` +
			`"address":"TPeyq8TzsMvMwyb1Dt2yoR4fGZzYJMMbdV","status":"process","url":"https://pay.example.org/p/po-5772",` +
			`"expired_at":1764669600,"is_final":false,"created_at":"2026-12-02T10:00:00+03:00","commission":"0.35","txid":null}}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			for _, p := range callBoth(t, body) {
				assert.Equal(t, "po-5772", p.UUID)
				assert.Equal(t, heleket.StatusProcess, p.Status)
				assert.False(t, p.Final())
				assert.True(t, p.Amount.Equal(dec("7")))
				assert.Empty(t, p.TxID)
			}
		})
	}
}

// The Go SDK's calc result carries "amount" where the API docs name
// "payout_amount"; the docs win, and a result without it still decodes.
func TestSDKVectorCalcResult(t *testing.T) {
	f := newFake(t, requestKey, reply(http.StatusOK, `{"state":0,"result":{"commission":"0.5","merchant_amount":"10.5","amount":"10","network":"tron","currency":"USDT"}}`))
	r, err := newClient(t, f.URL).Calc(context.Background(), heleket.CalcRequest{Amount: "10", Currency: "USDT", Network: "tron"})
	require.NoError(t, err)
	assert.True(t, r.Commission.Equal(dec("0.5")))
	assert.True(t, r.MerchantAmount.Equal(dec("10.5")))
	assert.False(t, r.PayoutAmount.Valid)
}

// The Go SDK's troubleshooting guide names "Wrong key" next to "Invalid
// Sign." as what a bad key gets: our configuration, so never a refusal that
// rejects the payout.
func TestWrongKeyMessageIsAuth(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusUnprocessableEntity} {
		f := newFake(t, requestKey, reply(status, `{"state":1,"message":"Wrong key"}`))
		_, err := newClient(t, f.URL).CreatePayout(context.Background(), heleket.CreatePayoutRequest{OrderID: "o"})
		var ae *heleket.AuthError
		require.ErrorAs(t, err, &ae, "HTTP %d", status)
		assert.True(t, heleket.IsRetryable(err))
		assert.True(t, heleket.NeedsOperator(err))
	}
}
