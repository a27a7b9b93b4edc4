package heleket_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/heleket"
)

// variants are re-encodings of one delivery that VerifyWebhook accepts:
// what a replay could be reworded into.
func variants(t *testing.T, body string) []string {
	t.Helper()
	var indented bytes.Buffer
	require.NoError(t, json.Indent(&indented, []byte(body), "", "  "))
	i := strings.Index(body, `,"sign":"`)
	sign := body[i+1 : len(body)-1]
	moved := "{" + sign + "," + body[1:i] + "}"
	upper := body[:i] + `,"sign":"` + strings.ToUpper(body[i+9:len(body)-2]) + `"}`
	return []string{indented.String(), moved, upper, " " + body + "\n"}
}

func TestEveryAcceptedRewordingOfAWebhookHasOneDedupeKey(t *testing.T) {
	key, err := heleket.WebhookDedupeKey([]byte(heleketBody), webhookKey)
	require.NoError(t, err)
	assert.Equal(t, heleketBody, string(key), "a body as Heleket sends it is its own key")
	for _, v := range append(variants(t, heleketBody), asciiRelayBody, relayBody) {
		_, err := heleket.VerifyWebhook([]byte(v), webhookKey)
		require.NoError(t, err, "the variant must verify, or it is no replay: %s", v)
		got, err := heleket.WebhookDedupeKey([]byte(v), webhookKey)
		require.NoError(t, err)
		assert.Equal(t, string(key), string(got), v)
	}
	_, err = heleket.WebhookDedupeKey([]byte(heleketBody), webhookKey+"-other")
	assert.ErrorIs(t, err, heleket.ErrBadSignature)
}

func FuzzWebhookDedupeKey(f *testing.F) {
	for _, seed := range []string{heleketBody, relayBody, asciiRelayBody, `{}`, `{"sign":"x"}`, `{"a":"\/"}`, `[1]`, `{"a":1`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Arbitrary data almost never carries a valid sign: sign it the
		// way Heleket would when it is a JSON object without one.
		body := data
		if enc, err := heleket.EncodePHPJSON(data); err == nil && len(enc) >= 2 && enc[0] == '{' && !bytes.Contains(enc, []byte(`"sign"`)) {
			sep := ","
			if len(enc) == 2 {
				sep = ""
			}
			body = append(append([]byte{}, enc[:len(enc)-1]...), []byte(sep+`"sign":"`+heleket.SignWebhook(enc, webhookKey)+`"}`)...)
			key, err := heleket.WebhookDedupeKey(body, webhookKey)
			require.NoError(t, err, "a signed object has a key")
			require.Equal(t, string(body), string(key), "a PHP-encoded body with its sign last is its own key")
		}
		key, err := heleket.WebhookDedupeKey(body, webhookKey)
		if err != nil {
			_, verr := heleket.VerifyWebhook(body, webhookKey)
			if verr == nil {
				t.Fatalf("verified body without a key: %v", err)
			}
			return
		}
		// The key is itself a delivery with the same key: what the inbox
		// stores for a replay is stable.
		again, err := heleket.WebhookDedupeKey(key, webhookKey)
		require.NoError(t, err, "key %q", key)
		require.Equal(t, string(key), string(again))
		var indented bytes.Buffer
		if json.Indent(&indented, body, "", " ") == nil {
			if other, err := heleket.WebhookDedupeKey(indented.Bytes(), webhookKey); err == nil {
				require.Equal(t, string(key), string(other), "whitespace changes nothing")
			}
		}
	})
}
