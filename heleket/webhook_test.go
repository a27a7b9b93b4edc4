package heleket_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
)

const webhookKey = "wh-payout-key-7f3a"

// phpSigned is a webhook payload without its sign, encoded the way PHP's
// json_encode($d, JSON_UNESCAPED_UNICODE) writes it: compact, "/" escaped as
// "\/", "São Paulo" and "Привет" as raw UTF-8. The extra description member
// carries the characters the encoding rules are about.
//
// wkey='wh-payout-key-7f3a'
// wh='{"type":"payout","uuid":"a6f5b0e2-7c1d-4d1e-9a3b-2f4c5d6e7f80","order_id":"ord-42","amount":"10.00000000","merchant_amount":"10.50000000","commission":"0.50000000","is_final":true,"status":"paid","txid":"0xabc123","currency":"USDT","network":"tron","payer_currency":"USDT","payer_amount":"10.00000000","description":"Saque para São Paulo \/ Привет"}'
// b64=$(printf '%s' "$wh" | base64 -w0)
// printf '%s%s' "$b64" "$wkey" | md5sum   # 3cb9f0f86dfcf737a52af20fc9916272
const (
	phpSigned = `{"type":"payout","uuid":"a6f5b0e2-7c1d-4d1e-9a3b-2f4c5d6e7f80","order_id":"ord-42","amount":"10.00000000","merchant_amount":"10.50000000","commission":"0.50000000","is_final":true,"status":"paid","txid":"0xabc123","currency":"USDT","network":"tron","payer_currency":"USDT","payer_amount":"10.00000000","description":"Saque para São Paulo \/ Привет"}`
	whSign    = "3cb9f0f86dfcf737a52af20fc9916272"
)

// heleketBody is the body as Heleket posts it: the signed payload with sign
// appended as the last member.
var heleketBody = strings.TrimSuffix(phpSigned, "}") + `,"sign":"` + whSign + `"}`

// relayBody is the same webhook after a proxy decoded and re-serialised it:
// indented, slash unescaped, sign moved first. Only verification method 2
// (re-encode PHP-style) can accept it; see TestRelayBodyNeedsMethodTwo.
const relayBody = `{
  "sign": "3cb9f0f86dfcf737a52af20fc9916272",
  "type": "payout",
  "uuid": "a6f5b0e2-7c1d-4d1e-9a3b-2f4c5d6e7f80",
  "order_id": "ord-42",
  "amount": "10.00000000",
  "merchant_amount": "10.50000000",
  "commission": "0.50000000",
  "is_final": true,
  "status": "paid",
  "txid": "0xabc123",
  "currency": "USDT",
  "network": "tron",
  "payer_currency": "USDT",
  "payer_amount": "10.00000000",
  "description": "Saque para São Paulo / Привет"
}`

// asciiRelayBody is what PHP's json_encode without JSON_UNESCAPED_UNICODE
// (a common way to re-send the final body) produces: non-ASCII as \uXXXX.
const asciiRelayBody = `{"type":"payout","uuid":"a6f5b0e2-7c1d-4d1e-9a3b-2f4c5d6e7f80","order_id":"ord-42","amount":"10.00000000","merchant_amount":"10.50000000","commission":"0.50000000","is_final":true,"status":"paid","txid":"0xabc123","currency":"USDT","network":"tron","payer_currency":"USDT","payer_amount":"10.00000000","description":"Saque para S\u00e3o Paulo \/ \u041f\u0440\u0438\u0432\u0435\u0442","sign":"3cb9f0f86dfcf737a52af20fc9916272"}`

func assertVectorWebhook(t *testing.T, w heleket.Webhook) {
	t.Helper()
	assert.Equal(t, "payout", w.Type)
	assert.Equal(t, "a6f5b0e2-7c1d-4d1e-9a3b-2f4c5d6e7f80", w.UUID)
	assert.Equal(t, "ord-42", w.OrderID)
	assert.True(t, w.Amount.Valid)
	assert.True(t, w.Amount.Equal(decimal.RequireFromString("10")), "amount %s", w.Amount)
	merchant, ok := w.MerchantAmount.Amount()
	assert.True(t, ok && merchant.Equal(decimal.RequireFromString("10.5")))
	assert.True(t, w.Commission.Equal(decimal.RequireFromString("0.5")))
	assert.True(t, w.Final())
	assert.Equal(t, heleket.StatusPaid, w.Status)
	assert.Equal(t, "0xabc123", w.TxID)
	assert.Equal(t, whSign, w.Sign)
}

func TestVerifyWebhookAsHeleketSendsIt(t *testing.T) {
	w, err := heleket.VerifyWebhook([]byte(heleketBody), webhookKey)
	require.NoError(t, err)
	assertVectorWebhook(t, w)
}

func TestVerifyWebhookSignFirstOrMiddle(t *testing.T) {
	// The sign covers the payload without the sign member, wherever it sits.
	signFirst := `{"sign":"` + whSign + `",` + strings.TrimPrefix(phpSigned, "{")
	signMiddle := strings.Replace(phpSigned, `"status":"paid",`, `"status":"paid","sign":"`+whSign+`",`, 1)
	require.Contains(t, signMiddle, `"sign":"`)
	for name, body := range map[string]string{"first": signFirst, "middle": signMiddle} {
		t.Run(name, func(t *testing.T) {
			w, err := heleket.VerifyWebhook([]byte(body), webhookKey)
			require.NoError(t, err)
			assertVectorWebhook(t, w)
		})
	}
}

func TestVerifyWebhookReencodedByRelay(t *testing.T) {
	for name, body := range map[string]string{"indented unescaped": relayBody, "ascii escaped": asciiRelayBody} {
		t.Run(name, func(t *testing.T) {
			w, err := heleket.VerifyWebhook([]byte(body), webhookKey)
			require.NoError(t, err)
			assertVectorWebhook(t, w)
		})
	}
}

func TestVerifyWebhookRejections(t *testing.T) {
	cases := []struct {
		name      string
		body      string
		key       string
		malformed bool
	}{
		{name: "tampered amount", body: strings.Replace(heleketBody, `"amount":"10.00000000"`, `"amount":"99.00000000"`, 1), key: webhookKey},
		{name: "tampered status in relay body", body: strings.Replace(relayBody, `"status": "paid"`, `"status": "fail"`, 1), key: webhookKey},
		{name: "wrong key", body: heleketBody, key: "wh-payout-key-7f3b"},
		{name: "missing sign", body: phpSigned, key: webhookKey},
		{name: "empty sign", body: strings.Replace(heleketBody, whSign, "", 1), key: webhookKey},
		{name: "sign not a string", body: strings.TrimSuffix(phpSigned, "}") + `,"sign":12345}`, key: webhookKey},
		{name: "duplicate sign", body: strings.TrimSuffix(heleketBody, "}") + `,"sign":"` + whSign + `"}`, key: webhookKey},
		{name: "sign only nested", body: strings.TrimSuffix(phpSigned, "}") + `,"extra":{"sign":"` + whSign + `"}}`, key: webhookKey},
		{name: "malformed JSON", body: heleketBody[:len(heleketBody)-1], key: webhookKey, malformed: true},
		{name: "not an object", body: `["sign"]`, key: webhookKey, malformed: true},
		{name: "empty body", body: ``, key: webhookKey, malformed: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := heleket.VerifyWebhook([]byte(tc.body), tc.key)
			require.Error(t, err)
			assert.ErrorIs(t, err, heleket.ErrBadSignature)
			assert.Equal(t, tc.malformed, errors.Is(err, heleket.ErrMalformedWebhook))
			assert.NotContains(t, err.Error(), tc.key)
			assert.NotContains(t, err.Error(), whSign)
		})
	}
}

func TestVerifyWebhookAcceptsUpperCaseSign(t *testing.T) {
	body := strings.Replace(heleketBody, whSign, strings.ToUpper(whSign), 1)
	_, err := heleket.VerifyWebhook([]byte(body), webhookKey)
	assert.NoError(t, err)
}

func TestVerifyWebhookAuthenticButUndecodable(t *testing.T) {
	// wkey='wh-payout-key-7f3a'; j='{"type":"payout","amount":"abc"}'
	// b64=$(printf '%s' "$j" | base64 -w0); printf '%s%s' "$b64" "$wkey" | md5sum
	//   # 67771fef610d16abb895cb818753c07e
	body := `{"type":"payout","amount":"abc","sign":"67771fef610d16abb895cb818753c07e"}`
	_, err := heleket.VerifyWebhook([]byte(body), webhookKey)
	require.Error(t, err)
	assert.ErrorIs(t, err, heleket.ErrMalformedWebhook)
	assert.NotErrorIs(t, err, heleket.ErrBadSignature, "the signature was good; only the content is wrong")
}

func TestVerifyWebhookNeedsKey(t *testing.T) {
	_, err := heleket.VerifyWebhook([]byte(heleketBody), "")
	require.Error(t, err)
	assert.NotErrorIs(t, err, heleket.ErrBadSignature, "a missing key is a configuration error, not a forged webhook")
}

func TestSignWebhookMatchesVector(t *testing.T) {
	assert.Equal(t, whSign, heleket.SignWebhook([]byte(phpSigned), webhookKey))
}

func TestEncodePHPJSONProducesSignedForm(t *testing.T) {
	// Re-encoding either relay body without its sign gives back the exact
	// bytes Heleket signed.
	relayNoSign := strings.Replace(relayBody, "  \"sign\": \"3cb9f0f86dfcf737a52af20fc9916272\",\n", "", 1)
	require.NotEqual(t, relayBody, relayNoSign)
	got, err := heleket.EncodePHPJSON([]byte(relayNoSign))
	require.NoError(t, err)
	assert.Equal(t, phpSigned, string(got))
	assert.NotEqual(t, whSign, heleket.SignWebhook([]byte(relayNoSign), webhookKey),
		"the relay's own bytes do not carry the signature; only the re-encoding does")
}

func TestEncodePHPJSON(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"compact, order kept", `{ "z" : 1 , "a" : [ 1 , 2 ] }`, `{"z":1,"a":[1,2]}`},
		{"slash escaped", `{"u":"https://example.com/cb"}`, `{"u":"https:\/\/example.com\/cb"}`},
		{"slash already escaped", `{"u":"a\/b"}`, `{"u":"a\/b"}`},
		{"escaped key", `{"a/b":1}`, `{"a\/b":1}`},
		{"non-ASCII raw", `{"c":"São Paulo","r":"Привет"}`, `{"c":"São Paulo","r":"Привет"}`},
		{"unicode escapes decoded", `{"c":"S\u00e3o \u041f"}`, `{"c":"São П"}`},
		{"surrogate pair decoded", `"\ud83d\ude00"`, "\"\U0001F600\""},
		{"line terminators stay escaped", "[\"\u2028\",\"\\u2029\"]", `["\u2028","\u2029"]`},
		{"short escapes", `"\b\f\n\r\t"`, `"\b\f\n\r\t"`},
		{"other controls as lower-case \\u00XX", `"\u0001\u001F\u0000"`, `"\u0001\u001f\u0000"`},
		{"quote and backslash", `"say \"hi\" \\ bye"`, `"say \"hi\" \\ bye"`},
		{"DEL raw", `"\u007f"`, "\"\x7f\""},
		{"numbers as in source", `[1, -0, 2.50, 1e3, 1E-2, 10.00000000]`, `[1,-0,2.50,1e3,1E-2,10.00000000]`},
		{"literals", `[true,false,null]`, `[true,false,null]`},
		{"nested and empty", `{"a":{"b":{},"c":[]},"d":[{"e":"/"}]}`, `{"a":{"b":{},"c":[]},"d":[{"e":"\/"}]}`},
		{"duplicate keys kept", `{"a":1,"a":2}`, `{"a":1,"a":2}`},
		{"scalar", `  "x/y"  `, `"x\/y"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := heleket.EncodePHPJSON([]byte(tc.in))
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
		})
	}
}

func TestEncodePHPJSONRejects(t *testing.T) {
	for name, in := range map[string]string{
		"empty":          ``,
		"truncated":      `{"a":`,
		"trailing value": `{} {}`,
		"invalid UTF-8":  "\"\xff\"",
		"bare word":      `payout`,
		"too deep":       strings.Repeat("[", 600) + strings.Repeat("]", 600),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := heleket.EncodePHPJSON([]byte(in))
			assert.Error(t, err)
		})
	}
}

func TestEncodeThenSignVerifies(t *testing.T) {
	// The path a webhook sender (the sandbox) takes: PHP-encode the payload,
	// sign it, append the sign.
	payload, err := heleket.EncodePHPJSON([]byte(`{"type":"payout","uuid":"u-1","order_id":"o-1","status":"fail","description":"a/b ç"}`))
	require.NoError(t, err)
	body := strings.TrimSuffix(string(payload), "}") + `,"sign":"` + heleket.SignWebhook(payload, webhookKey) + `"}`
	w, err := heleket.VerifyWebhook([]byte(body), webhookKey)
	require.NoError(t, err)
	assert.Equal(t, heleket.StatusFail, w.Status)
	assert.Equal(t, "o-1", w.OrderID)
}

// secret='relay-secret-1'; body='{"type":"payout","status":"paid"}'
// printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret"
//
//	# ee6dfa5fb23be49eeb7d4aeaa135e5173568fff8a2e8bf20a58691afc34f9913
const (
	relaySecret = "relay-secret-1"
	relayRaw    = `{"type":"payout","status":"paid"}`
	relayHMAC   = "ee6dfa5fb23be49eeb7d4aeaa135e5173568fff8a2e8bf20a58691afc34f9913"
)

func TestRelaySignature(t *testing.T) {
	assert.Equal(t, relayHMAC, heleket.RelaySignature([]byte(relayRaw), relaySecret))
	assert.NoError(t, heleket.VerifyRelaySignature([]byte(relayRaw), relayHMAC, relaySecret))
	assert.NoError(t, heleket.VerifyRelaySignature([]byte(relayRaw), strings.ToUpper(relayHMAC), relaySecret),
		"hex case carries no meaning")
}

func TestVerifyRelaySignatureRejections(t *testing.T) {
	cases := map[string]struct{ raw, header, secret string }{
		"missing header": {relayRaw, "", relaySecret},
		"not hex":        {relayRaw, "zz" + relayHMAC[2:], relaySecret},
		"truncated":      {relayRaw, relayHMAC[:32], relaySecret},
		"wrong secret":   {relayRaw, relayHMAC, relaySecret + "x"},
		"tampered body":  {strings.Replace(relayRaw, "paid", "fail", 1), relayHMAC, relaySecret},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := heleket.VerifyRelaySignature([]byte(tc.raw), tc.header, tc.secret)
			require.Error(t, err)
			assert.ErrorIs(t, err, heleket.ErrBadSignature)
			assert.NotContains(t, err.Error(), relaySecret)
		})
	}
	err := heleket.VerifyRelaySignature([]byte(relayRaw), relayHMAC, "")
	require.Error(t, err)
	assert.NotErrorIs(t, err, heleket.ErrBadSignature, "no secret is a configuration error")
}
