package heleket

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStripSignKeepsOtherBytes(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"last", `{"a":1,"b":"x","sign":"s"}`, `{"a":1,"b":"x"}`},
		{"first", `{"sign":"s","a":1,"b":"x"}`, `{"a":1,"b":"x"}`},
		{"middle", `{"a":1,"sign":"s","b":"x"}`, `{"a":1,"b":"x"}`},
		{"only", `{"sign":"s"}`, `{}`},
		{"whitespace middle", "{ \"a\" : 1 ,\n \"sign\" : \"s\" ,\n \"b\" : \"x\" }", "{ \"a\" : 1 ,\n \"b\" : \"x\" }"},
		{"whitespace last", "{\n  \"a\": 1,\n  \"sign\": \"s\"\n}", "{\n  \"a\": 1\n}"},
		{"whitespace first", "{ \"sign\":\"s\", \"a\":1 }", "{ \"a\":1 }"},
		{"escaped key name", `{"a":1,"\u0073ign":"s"}`, `{"a":1}`},
		{"nested sign untouched", `{"n":{"sign":"inner"},"sign":"s"}`, `{"n":{"sign":"inner"}}`},
		{"sign-like text in values", `{"a":"\"sign\":\"x\",","b":[1,{"c":"}"}],"sign":"s","d":null}`, `{"a":"\"sign\":\"x\",","b":[1,{"c":"}"}],"d":null}`},
		{"escaped slash kept", `{"u":"a\/b","sign":"s"}`, `{"u":"a\/b"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, sign, err := stripSign([]byte(tc.in))
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
			assert.Equal(t, "s", sign)
		})
	}
}

func TestRelayBodyNeedsMethodTwo(t *testing.T) {
	const key = "wh-payout-key-7f3a"
	const sign = "3cb9f0f86dfcf737a52af20fc9916272" // see webhook_test.go for the shell commands
	relay := "{\n  \"type\": \"payout\",\n  \"uuid\": \"a6f5b0e2-7c1d-4d1e-9a3b-2f4c5d6e7f80\",\n  \"order_id\": \"ord-42\",\n  \"amount\": \"10.00000000\",\n  \"merchant_amount\": \"10.50000000\",\n  \"commission\": \"0.50000000\",\n  \"is_final\": true,\n  \"status\": \"paid\",\n  \"txid\": \"0xabc123\",\n  \"currency\": \"USDT\",\n  \"network\": \"tron\",\n  \"payer_currency\": \"USDT\",\n  \"payer_amount\": \"10.00000000\",\n  \"description\": \"Saque para São Paulo / Привет\",\n  \"sign\": \"" + sign + "\"\n}"
	stripped, got, err := stripSign([]byte(relay))
	require.NoError(t, err)
	require.Equal(t, sign, got)
	assert.NotEqual(t, sign, SignWebhook(stripped, key), "method 1 alone must not accept a re-serialised body")
	assert.True(t, webhookSignMatches(stripped, sign, key), "method 2 accepts it")
}
